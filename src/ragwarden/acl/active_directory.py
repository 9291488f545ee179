"""Who is asking, according to Active Directory: a user name to every SID in their logon token.

The resolver binds as a service account over LDAPS or StartTLS (plain LDAP only when explicitly
allowed) and reads, for one user: ``objectSid``, ``tokenGroups`` (every nested group, computed by the
domain controller with a BASE-scope read of the user object), the primary group (``primaryGroupID``
appended to the domain SID), ``sIDHistory`` and the well-known SIDs every authenticated account has
(Everyone, Authenticated Users). BUILTIN SIDs (``S-1-5-32-*``) in ``tokenGroups`` are the DC's own local
groups; a file server evaluates BUILTIN against its own, so they are left out unless ``builtin_sids``.
Disabled, locked-out, expired (``accountExpires``), password-expired (``msDS-User-Account-Control-
Computed``), ambiguous and unknown accounts resolve to an empty scope. Anything the resolver cannot read
raises :class:`DirectoryUnavailableError`: a partial group list could miss a deny entry.
"""

from __future__ import annotations

import logging
import math
import ssl
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from ragwarden.acl import tokens
from ragwarden.acl.principals import WELL_KNOWN_AUTHENTICATED, Emittable
from ragwarden.core.errors import AccessControlError, ConfigurationError, DirectoryUnavailableError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver

log = logging.getLogger(__name__)

Security = Literal["ldaps", "starttls", "plain"]
T = TypeVar("T")

# Every authenticated account holds these; BUILTIN\Users only with ``builtin_sids`` (see the docstring).
WELL_KNOWN_SIDS = tuple(tokens.name_of(t) for t in sorted(WELL_KNOWN_AUTHENTICATED))
BUILTIN_USERS = "S-1-5-32-545"
_NAMES: Mapping[str, str] = {
    "S-1-1-0": "Everyone",
    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
    BUILTIN_USERS: "BUILTIN\\Users",
}
UF_ACCOUNTDISABLE = 0x2
UF_LOCKOUT = 0x10
UF_PASSWORD_EXPIRED = 0x800000  # msDS-User-Account-Control-Computed: FGPP, "never expires", pwdLastSet=0
NEVER_EXPIRES = (0, 0x7FFFFFFFFFFFFFFF)  # accountExpires
_FILETIME_UNIX_EPOCH = 116444736000000000  # 1970-01-01 in 100 ns intervals since 1601-01-01
NORMAL_USER_ACCOUNT = 805306368  # sAMAccountType of user accounts (not computers, trusts or groups)
MAX_NAME_LENGTH = 256
# success, size limit exceeded (more than one match: the callers treat it as ambiguous), no such object
_ACCEPTED_RESULTS = frozenset({0, 4, 32})
_USER_ATTRIBUTES = [
    "objectSid",
    "primaryGroupID",
    "userAccountControl",
    "lockoutTime",
    "sIDHistory",
    "userPrincipalName",
    "accountExpires",
    "msDS-User-Account-Control-Computed",
]


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


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


def sid_from_bytes(raw: bytes) -> str:
    """The string form of a binary SID (MS-DTYP 2.4.2.2)."""
    if len(raw) < 8 or len(raw) != 8 + 4 * raw[1]:
        raise ValueError("malformed binary SID")
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack(f"<{raw[1]}I", raw[8:])
    return f"S-{raw[0]}-{authority}" + "".join(f"-{s}" for s in subs)


def sid_to_bytes(value: str) -> bytes:
    parts = value.split("-")
    if len(parts) < 3 or parts[0].upper() != "S":
        raise ValueError(f"malformed SID {value!r}")
    subs = [int(p) for p in parts[3:]]
    head = bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big")
    return head + struct.pack(f"<{len(subs)}I", *subs)


def _escape_bytes(raw: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in raw)


def _first(entry: Mapping[str, Any], name: str) -> Any:
    values = entry["raw_attributes"].get(name) or []
    return values[0] if values else None


def _as_int(raw: Any, default: int = 0) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def _is_active(entry: Mapping[str, Any], now: float) -> bool:
    """Could this account log on now? Disabled, locked out, expired or with an expired password: no."""
    if _as_int(_first(entry, "userAccountControl")) & UF_ACCOUNTDISABLE:
        return False
    # lockoutTime stays set after the lockout duration until the next logon; treating every non-zero
    # value as locked may hide documents from a user for a while, never show them to a locked account.
    if _as_int(_first(entry, "lockoutTime")) != 0:
        return False
    computed = _first(entry, "msDS-User-Account-Control-Computed")
    if computed is None:
        # Constructed by every AD and Samba DC; without it an expired password would go unnoticed.
        raise DirectoryUnavailableError(f"the directory did not compute the account state of {entry.get('dn')}")
    if _strict_int(computed) & (UF_LOCKOUT | UF_PASSWORD_EXPIRED):
        return False
    expires = _first(entry, "accountExpires")
    ticks = 0 if expires is None else _strict_int(expires)
    return ticks in NEVER_EXPIRES or (ticks - _FILETIME_UNIX_EPOCH) / 1e7 > now


def _strict_int(raw: Any) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise DirectoryUnavailableError(f"the directory returned a malformed number: {raw!r}") from exc


class ActiveDirectoryResolver(PrincipalResolver):
    """``PrincipalResolver`` over LDAP(S). One reused connection, serialised by a lock."""

    def __init__(
        self,
        config: ADConfig,
        *,
        connection_factory: Callable[[], ldap3.Connection] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.config = config
        self._clock = clock  # wall clock: accountExpires is a date
        self._domain_sid: str | None = None
        self._connection_factory = connection_factory or self._connect
        self._conn: ldap3.Connection | None = None
        self._lock = threading.Lock()
        self._base_dn = config.base_dn
        self._netbios = config.netbios_domain
        self._dns_domain: str | None = None
        self._names: dict[str, str] = {}

    # -- the port ---------------------------------------------------------------------------------
    def resolve(self, user: str) -> AccessScope:
        empty = AccessScope(principal=user, tokens=frozenset())
        entry = self._run(lambda conn: self._find_user(conn, user))
        if entry is None or not _is_active(entry, self._clock()):
            return empty
        sids = self._run(lambda conn: self._all_sids(conn, entry))
        if not self.config.builtin_sids:
            sids = {s for s in sids if tokens.sid_domain(tokens.sid(s)) != tokens.BUILTIN_DOMAIN}
        return AccessScope(principal=user, tokens=frozenset(tokens.sid(s) for s in sids))

    def emittable(self) -> Emittable:
        """Accounts of this domain and the configured extra domains, Everyone, Authenticated Users, and
        BUILTIN only with ``builtin_sids``. Asks the directory for its domain SID once."""
        if self._domain_sid is None:
            self._domain_sid = self._run(self._read_domain_sid)
        domains = {self._domain_sid, *self.config.extra_domain_sids}
        if self.config.builtin_sids:
            domains.add(tokens.BUILTIN_DOMAIN)
        return Emittable(exact=WELL_KNOWN_AUTHENTICATED, sid_domains=frozenset(domains))

    def describe(self, token: str) -> str:
        if tokens.kind_of(token) != "sid":
            return token
        value = tokens.name_of(token)
        if value in _NAMES:
            return _NAMES[value]
        if token not in self._names:
            try:
                name = self._run(lambda conn: self._name_of_sid(conn, value))
            except (DirectoryUnavailableError, ValueError):
                return token  # a cosmetic lookup; the access decision never depends on it
            if name is None:
                return token
            self._names[token] = name
        return self._names[token]

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- connection -------------------------------------------------------------------------------
    def _tls(self) -> ldap3.Tls:
        # version None: ldap3 builds ssl.create_default_context() (TLS >= 1.2, system or given CAs);
        # the certificate must name the host or tls_server_name.
        name = self.config.tls_server_name
        return ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=self.config.ca_cert_file,
            valid_names=[name] if name else None,
            sni=name,
        )

    def _connect(self) -> ldap3.Connection:
        cfg = self.config
        server = ldap3.Server(
            cfg.host,
            port=cfg.effective_port,
            use_ssl=cfg.security == "ldaps",
            tls=None if cfg.security == "plain" else self._tls(),
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

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.unbind()
            except (LDAPException, OSError):
                pass
            self._conn = None

    def _run(self, operation: Callable[[ldap3.Connection], T]) -> T:
        """Run one operation on the shared connection; a broken connection is replaced once."""
        last: Exception | None = None
        with self._lock:
            for _ in range(2):
                try:
                    if self._conn is None:
                        self._conn = self._connection_factory()
                        self._discover(self._conn)
                    return operation(self._conn)
                except (LDAPException, OSError) as exc:
                    last = exc
                    self._drop()
                except DirectoryUnavailableError:
                    self._drop()
                    raise
        raise DirectoryUnavailableError(
            f"Active Directory at {self.config.host} is unreachable: {last}"
        ) from last

    # -- queries ----------------------------------------------------------------------------------
    def _search(
        self,
        conn: ldap3.Connection,
        base: str,
        query: str,
        attributes: Sequence[str],
        scope: str = ldap3.SUBTREE,
        size_limit: int = 0,
    ) -> list[dict[str, Any]]:
        conn.search(base, query, search_scope=scope, attributes=list(attributes), size_limit=size_limit)
        code = (conn.result or {}).get("result")
        if code not in _ACCEPTED_RESULTS:
            raise DirectoryUnavailableError(
                f"the directory refused a search: {conn.result.get('description')}"
            )
        return [r for r in (conn.response or []) if r.get("type") == "searchResEntry"]

    def _discover(self, conn: ldap3.Connection) -> None:
        """The domain's naming context and NetBIOS name, from the rootDSE, unless configured."""
        if self._base_dn is None or self._netbios is None:
            attrs = ["defaultNamingContext", "configurationNamingContext"]
            root = self._search(conn, "", "(objectClass=*)", attrs, ldap3.BASE)
            naming, config = (_first(root[0], a) if root else None for a in attrs)
            if naming is None:
                raise DirectoryUnavailableError("the directory did not name its default naming context")
            self._base_dn = self._base_dn or naming.decode()
            if self._netbios is None and config is not None:
                self._netbios = self._discover_netbios(conn, self._base_dn, config.decode())
        labels = [p.split("=", 1)[1] for p in self._base_dn.split(",") if p.strip().lower().startswith("dc=")]
        self._dns_domain = ".".join(labels)

    def _discover_netbios(self, conn: ldap3.Connection, base: str, config: str) -> str | None:
        query = f"(&(objectClass=crossRef)(nCName={escape_filter_chars(base)})(nETBIOSName=*))"
        found = self._search(conn, f"CN=Partitions,{config}", query, ["nETBIOSName"])
        value = _first(found[0], "nETBIOSName") if found else None
        return value.decode() if value is not None else None

    def _read_domain_sid(self, conn: ldap3.Connection) -> str:
        found = self._search(conn, self._base_dn or "", "(objectClass=*)", ["objectSid"], ldap3.BASE)
        raw = _first(found[0], "objectSid") if found else None
        if raw is None:
            raise DirectoryUnavailableError(f"the directory did not name the SID of {self._base_dn}")
        try:
            return tokens.canonical_domain_sid(sid_from_bytes(raw))
        except (ValueError, AccessControlError) as exc:
            raise DirectoryUnavailableError(f"the domain's SID is malformed: {exc}") from exc

    def _account_filter(self, user: str) -> str | None:
        """The LDAP filter for a name in any accepted form, every value escaped; None: not a name."""
        name = user.strip()
        if not name or len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):
            return None
        if "\\" in name:
            domain, _, sam = name.partition("\\")
            known = {d.lower() for d in (self._netbios, self._dns_domain) if d}
            if domain.lower() not in known or not sam:
                return None  # another domain's account: not ours to resolve
            inner = f"(sAMAccountName={escape_filter_chars(sam)})"
        elif "@" in name:
            local, _, suffix = name.rpartition("@")
            inner = f"(userPrincipalName={escape_filter_chars(name)})"
            if local and self._dns_domain and suffix.lower() == self._dns_domain.lower():
                # the implicit UPN sAMAccountName@dns-domain is accepted at logon as well
                inner = f"(|{inner}(sAMAccountName={escape_filter_chars(local)}))"
        else:
            inner = f"(sAMAccountName={escape_filter_chars(name)})"
        return f"(&(sAMAccountType={NORMAL_USER_ACCOUNT}){inner})"

    def _find_user(self, conn: ldap3.Connection, user: str) -> dict[str, Any] | None:
        query = self._account_filter(user)
        if query is None or self._base_dn is None:
            return None
        found = self._search(conn, self._base_dn, query, _USER_ATTRIBUTES, size_limit=3)
        if len(found) > 1:
            # the implicit UPN of one account may equal the explicit UPN of another: the explicit wins
            explicit = [e for e in found if _upn_of(e) == user.strip().lower()]
            if len(explicit) != 1:
                log.warning("%d accounts match %r; resolving to nothing", len(found), user)
                return None
            found = explicit
        return found[0] if found else None

    def _all_sids(self, conn: ldap3.Connection, entry: Mapping[str, Any]) -> set[str]:
        user_sid = sid_from_bytes(_first(entry, "objectSid"))
        domain_sid = user_sid.rsplit("-", 1)[0]
        sids = {user_sid, *WELL_KNOWN_SIDS, *([BUILTIN_USERS] if self.config.builtin_sids else [])}
        primary = _as_int(_first(entry, "primaryGroupID"))
        if primary:
            sids.add(f"{domain_sid}-{primary}")
        sids.update(sid_from_bytes(v) for v in entry["raw_attributes"].get("sIDHistory") or [])
        found = self._search(conn, entry["dn"], "(objectClass=*)", ["tokenGroups"], ldap3.BASE)
        groups = found[0]["raw_attributes"].get("tokenGroups") if found else None
        if not groups:
            # tokenGroups always holds at least the primary group: an empty answer means the service
            # account may not read it, and a partial token could miss a deny entry.
            raise DirectoryUnavailableError(f"could not read tokenGroups of {entry['dn']}")
        sids.update(sid_from_bytes(v) for v in groups)
        return sids

    def _name_of_sid(self, conn: ldap3.Connection, value: str) -> str | None:
        if self._base_dn is None:
            return None
        query = f"(objectSid={_escape_bytes(sid_to_bytes(value))})"
        found = self._search(conn, self._base_dn, query, ["sAMAccountName"], size_limit=1)
        sam = _first(found[0], "sAMAccountName") if found else None
        if sam is None:
            return None
        prefix = "BUILTIN" if value.startswith("S-1-5-32-") else (self._netbios or self._dns_domain or "")
        return f"{prefix}\\{sam.decode()}" if prefix else sam.decode()


def _upn_of(entry: Mapping[str, Any]) -> str | None:
    value = _first(entry, "userPrincipalName")
    return value.decode().lower() if value is not None else None


def _secret(value: str | _Secret) -> str:
    return value if isinstance(value, str) else value.get_secret_value()


def build_ad_resolver(
    *, host: str, bind_user: str, bind_password: str | _Secret, cache_ttl: float | None = 60.0, **options: Any
) -> PrincipalResolver:
    """The AD resolver behind the principal cache (``cache_ttl`` ``None``: uncached, for diagnostics).

    ``options`` are the other :class:`ADConfig` fields (port, security, allow_plain, ca_cert_file,
    tls_server_name, base_dn, netbios_domain, connect_timeout, timeout).
    """
    from ragwarden.acl.principal_cache import CachingResolver

    for key in ("ca_cert_file",):
        if options.get(key) is not None:
            options[key] = str(options[key])
    config = ADConfig(host=host, bind_user=bind_user, bind_password=_secret(bind_password), **options)
    resolver = ActiveDirectoryResolver(config)
    return resolver if cache_ttl is None else CachingResolver(resolver, ttl=cache_ttl)
