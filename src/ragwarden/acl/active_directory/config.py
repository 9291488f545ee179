"""How to reach the directory: :class:`ADConfig` (validated when built) and :func:`connect`, which opens
and binds one connection over LDAPS or StartTLS (plain LDAP only when explicitly allowed).

Apart from the resolver so that everything about transport security (ports, TLS verification, the
certificate's name) is read in one place, and the resolver only runs queries on a connection it is given.
"""

from __future__ import annotations

import math
import ssl
from dataclasses import dataclass
from typing import Literal

import ldap3

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError, ConfigurationError, DirectoryUnavailableError

Security = Literal["ldaps", "starttls", "plain"]


@dataclass(frozen=True, slots=True)
class ADConfig:
    """How to reach the directory. ``tls_server_name`` is the name the DC's certificate carries when
    ``host`` is an address or an alias; ``ca_cert_file`` ``None`` means the system trust store."""

    host: str
    bind_user: str
    bind_password: str
    port: int | None = None
    security: Security = "ldaps"
    allow_plain: bool = False
    ca_cert_file: str | None = None
    tls_server_name: str | None = None
    base_dn: str | None = None
    netbios_domain: str | None = None
    connect_timeout: float = 5.0
    timeout: float = 10.0
    builtin_sids: bool = False  # emit the DC's BUILTIN memberships (only if the file servers agree)
    extra_domain_sids: tuple[str, ...] = ()  # other domains callers carry SIDs of (sIDHistory, forest)

    def __post_init__(self) -> None:
        try:
            domains = tuple(tokens.canonical_domain_sid(d) for d in self.extra_domain_sids)
        except AccessControlError as exc:
            raise ConfigurationError(f"AD extra domain SIDs: {exc}") from exc
        object.__setattr__(self, "extra_domain_sids", domains)
        if self.security not in ("ldaps", "starttls", "plain"):
            raise ConfigurationError(f"unknown AD security mode {self.security!r}")
        if self.security == "plain" and not self.allow_plain:
            raise ConfigurationError(
                "plain LDAP sends the service account's password in clear text; use ldaps or starttls, "
                "or allow plain LDAP explicitly"
            )
        if not self.host or not self.bind_user or not self.bind_password:
            raise ConfigurationError("the AD resolver needs a host, a service account and its password")

    @property
    def effective_port(self) -> int:
        return self.port or (636 if self.security == "ldaps" else 389)


def _tls(config: ADConfig) -> ldap3.Tls:
    # version None: ldap3 builds ssl.create_default_context() (TLS >= 1.2, system or given CAs);
    # the certificate must name the host or tls_server_name.
    name = config.tls_server_name
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=config.ca_cert_file,
        valid_names=[name] if name else None,
        sni=name,
    )


def connect(config: ADConfig) -> ldap3.Connection:
    """A bound, read-only connection to the directory ``config`` names; a refusal is
    :class:`DirectoryUnavailableError`, a network failure an ``LDAPException`` or ``OSError``."""
    cfg = config
    server = ldap3.Server(
        cfg.host,
        port=cfg.effective_port,
        use_ssl=cfg.security == "ldaps",
        tls=None if cfg.security == "plain" else _tls(cfg),
        get_info=ldap3.NONE,
        connect_timeout=cfg.connect_timeout,
    )
    conn = ldap3.Connection(
        server,
        user=cfg.bind_user,
        password=cfg.bind_password,
        auto_referrals=False,
        # ldap3 packs the receive timeout into SO_RCVTIMEO as whole seconds
        receive_timeout=max(1, math.ceil(cfg.timeout)),
        raise_exceptions=False,
        read_only=True,
    )
    conn.open()
    if cfg.security == "starttls" and not conn.start_tls():
        raise DirectoryUnavailableError(f"StartTLS with {cfg.host} failed: {conn.result}")
    if not conn.bind():
        description = (conn.result or {}).get("description")
        raise DirectoryUnavailableError(f"the AD service account bind was refused ({description})")
    return conn
