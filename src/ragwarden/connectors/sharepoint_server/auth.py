"""Windows authentication for SharePoint Server over HTTPS: NTLM (or Kerberos) through pyspnego, with
channel bindings, as an ``httpx.Auth``.

IIS signs in a *connection*, not a request: the handshake (401 ``WWW-Authenticate: NTLM`` → NEGOTIATE →
CHALLENGE in a 401 → AUTHENTICATE) must run on one keep-alive connection, after which its requests pass
without it. So a request goes out as it is; only a 401 offering our scheme starts the handshake, and every
response is read before the next leg is sent (an unread response would close the connection in httpcore,
and the server would forget the half-done handshake).

Channel bindings (RFC 5929 tls-server-end-point: the hash of the server's certificate, taken from the TLS
connection itself) bind the NTLM answer to this TLS session: a man in the middle with another certificate
cannot relay it, and servers with Extended Protection set to *Required* refuse clients without them (the
``httpx-ntlm`` package drops them, which is why this is written here). Kerberos (``Negotiate``) needs the
``gssapi`` package, built against the system's Kerberos: optional, refused with a clear error without it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from collections.abc import Generator
from typing import Any

import httpx
import spnego
from cryptography import x509
from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import SpnegoError

from ragwarden.core.errors import ConfigurationError

PROTOCOLS = {"ntlm": "NTLM", "kerberos": "Negotiate"}


def require_protocol(protocol: str) -> str:
    """The protocol, checked now rather than at the first request."""
    if protocol not in PROTOCOLS:
        raise ConfigurationError(f"auth must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    if protocol == "kerberos" and importlib.util.find_spec("gssapi") is None:
        raise ConfigurationError(
            "auth: kerberos needs the gssapi package (pip install gssapi, built against libkrb5-dev), which is not "
            "installed here; use auth: ntlm"
        )
    return protocol


class WindowsAuth(httpx.Auth):
    """NTLM or Kerberos sign-in of an httpx connection, with channel bindings (see the module docstring)."""

    requires_response_body = True

    def __init__(self, username: str, password: str, *, protocol: str = "ntlm", channel_bindings: bool = True) -> None:
        self._username, self._password = username, password
        self._protocol = require_protocol(protocol)
        self._scheme = PROTOCOLS[protocol]
        self._bind = channel_bindings  # off only to show that a server requiring them refuses such a client

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 401 or not self._offered(response):
            return
        context = spnego.client(
            self._username, self._password, hostname=request.url.host, service="HTTP", protocol=self._protocol,
            channel_bindings=_bindings(response) if self._bind else None,
        )  # fmt: skip
        token = context.step()
        while token is not None:
            request.headers["Authorization"] = f"{self._scheme} {base64.b64encode(token).decode()}"
            response = yield request
            challenge = self._challenge(response)
            if response.status_code != 401 or challenge is None or context.complete:
                return
            try:
                token = context.step(challenge)
            except SpnegoError:
                return  # the 401 stands: the caller reports refused credentials

    def _offered(self, response: httpx.Response) -> bool:
        offers = [v.split(" ")[0].lower() for v in response.headers.get_list("WWW-Authenticate")]
        return self._scheme.lower() in offers

    def _challenge(self, response: httpx.Response) -> bytes | None:
        for value in response.headers.get_list("WWW-Authenticate"):
            scheme, _, data = value.partition(" ")
            if scheme.lower() == self._scheme.lower() and data.strip():
                try:
                    return base64.b64decode(data.strip(), validate=True)
                except ValueError:
                    return None
        return None


def _bindings(response: httpx.Response) -> GssChannelBindings | None:
    """tls-server-end-point of the certificate the connection that answered presented."""
    stream: Any = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    der = ssl_object.getpeercert(True) if ssl_object is not None else None
    if not der:
        return None  # not TLS: no bindings (a server requiring them will refuse)
    algorithm = x509.load_der_x509_certificate(der).signature_hash_algorithm
    name = algorithm.name if algorithm is not None and algorithm.name not in ("md5", "sha1") else "sha256"
    return GssChannelBindings(application_data=b"tls-server-end-point:" + hashlib.new(name, der).digest())
