"""The stand-ins' own CA: a server certificate for 127.0.0.1 and an app's client certificate it signed.

Made once per process (RSA key generation is the slow part) and shared by every stand-in, so one CA
file trusts them all; each stand-in writes the files into its own folder.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ragwarden.testing.microsoft.keys import rsa_key


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # the CA certificate: what a client trusts
    server: Path  # the server's certificate and key, for ``SSLContext.load_cert_chain``
    client: Path  # the app's client certificate (self-signed) and key: a certificate credential
    client_public_key: rsa.RSAPublicKey  # what the authority checks a client assertion against


@dataclass(frozen=True)
class _Material:
    ca: x509.Certificate
    server: x509.Certificate
    server_key: rsa.RSAPrivateKey
    client: x509.Certificate
    client_key: rsa.RSAPrivateKey


def pem(obj: x509.Certificate | rsa.RSAPrivateKey) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    pkcs8, unencrypted = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    return obj.private_bytes(serialization.Encoding.PEM, pkcs8, unencrypted)


def write_tls_files(root: Path) -> TlsFiles:
    """The CA, server and client PEM files in ``root`` (``ca.pem``, ``server.pem``, ``client.pem``)."""
    m = _material()
    files = TlsFiles(root / "ca.pem", root / "server.pem", root / "client.pem", m.client_key.public_key())
    files.ca.write_bytes(pem(m.ca))
    files.server.write_bytes(pem(m.server) + pem(m.server_key))
    files.client.write_bytes(pem(m.client_key) + pem(m.client))
    return files


@functools.lru_cache(maxsize=1)
def _material() -> _Material:
    ca_key, server_key, client_key = rsa_key(), rsa_key(), rsa_key()
    ca = _certificate("ragwarden test CA", ca_key, ca=True)
    server = _certificate("127.0.0.1", server_key, (ca.subject, ca_key), ips=("127.0.0.1",))
    return _Material(ca, server, server_key, _certificate("ragwarden app", client_key), client_key)


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None = None,
    *,
    ca: bool = False,
    ips: tuple[str, ...] = (),
) -> x509.Certificate:
    """A certificate for ``subject`` signed by ``issuer`` (default: self-signed), valid for two days."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ips:
        sans: list[Any] = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips] + [x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())
