"""The emulator's Windows authentication: an NTLM acceptor per keep-alive connection, as IIS runs it.

A request on a connection that has not signed in gets 401 with ``WWW-Authenticate: NTLM`` (and ``Negotiate``);
``Authorization: NTLM <negotiate>`` gets the challenge in a 401 on the same connection; ``NTLM <authenticate>``
signs the connection in (pyspnego's acceptor checks the password against a user file in pyspnego's
``NTLM_USER_FILE`` format, ``DOMAIN:user:password``), or gets a bare 401. The acceptor is given the
channel bindings of the server's certificate (tls-server-end-point), and, stricter than pyspnego alone
(which lets an initiator send none), an initiator that sends none is refused too, as IIS does with
Extended Protection set to *Required*.

pyspnego reads the user file's path from the process environment: the variable is set around each step,
under one lock, and put back.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import spnego
from cryptography import x509
from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import SpnegoError

_ENV_LOCK = threading.Lock()
_NO_BINDINGS = b"\x00" * 16


def end_point_bindings(server_pem: Path) -> GssChannelBindings:
    """tls-server-end-point of the certificate in ``server_pem`` (RFC 5929: SHA-256 for MD5/SHA-1 ones)."""
    cert = x509.load_pem_x509_certificate(server_pem.read_bytes())
    algorithm = cert.signature_hash_algorithm
    name = algorithm.name if algorithm is not None and algorithm.name not in ("md5", "sha1") else "sha256"
    digest = hashlib.new(name, cert.public_bytes(_der())).digest()
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest)


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


class Acceptor:
    """NTLM sign-in of the emulator's connections (see the module docstring)."""

    def __init__(self, user_file: Path, bindings: GssChannelBindings) -> None:
        self.user_file, self.bindings = user_file, bindings
        self.require_bindings = True
        self.failures: list[str] = []

    @contextmanager
    def _user_file(self) -> Iterator[None]:
        with _ENV_LOCK:
            before = os.environ.get("NTLM_USER_FILE")
            os.environ["NTLM_USER_FILE"] = str(self.user_file)
            try:
                yield
            finally:
                if before is None:
                    os.environ.pop("NTLM_USER_FILE", None)
                else:
                    os.environ["NTLM_USER_FILE"] = before

    def step(self, connection: dict[str, Any], header: str) -> tuple[str | None, str | None]:
        """(a challenge to send back, or the signed-in user); (None, None): refused."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("ntlm", "negotiate") or not value:
            return None, None
        try:
            token = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            return None, None
        with self._user_file():
            try:
                if token[8:12] == b"\x01\x00\x00\x00" or "ntlm" not in connection:  # NEGOTIATE_MESSAGE
                    connection["ntlm"] = spnego.server(protocol="ntlm", channel_bindings=self.bindings)
                context = connection["ntlm"]
                if token[8:12] == b"\x03\x00\x00\x00" and self.require_bindings and not _has_bindings(token):
                    self.failures.append("no channel bindings")
                    return None, None
                answer = context.step(token)
            except SpnegoError as exc:
                self.failures.append(str(exc))
                connection.pop("ntlm", None)
                return None, None
        if context.complete:
            connection.pop("ntlm", None)
            return None, str(context.client_principal)
        return f"NTLM {base64.b64encode(answer or b'').decode()}", None


def _has_bindings(token: bytes) -> bool:
    from spnego._ntlm_raw.messages import Authenticate, AvId, NTClientChallengeV2  # the harness may use internals

    response = Authenticate.unpack(token).nt_challenge_response or b""
    if len(response) <= 24:
        return False  # NTLMv1 carries no bindings at all
    pairs = NTClientChallengeV2.unpack(response[16:]).av_pairs
    return pairs.get(AvId.channel_bindings, _NO_BINDINGS) != _NO_BINDINGS
