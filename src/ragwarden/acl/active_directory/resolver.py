"""The Active Directory :class:`~ragwarden.core.ports.PrincipalResolver` and its factory.

It discovers the domain (naming context, NetBIOS name) once per connection, finds one user account by
any accepted name, and reads every SID of the logon token (see the package docstring); what the returned
attributes mean is in :mod:`.wire`, how the connection is opened in :mod:`.config`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from ragwarden.acl import tokens
from ragwarden.acl.active_directory.config import ADConfig, connect
from ragwarden.acl.active_directory.wire import (
    account_filter,
    as_int,
    escape_bytes,
    first,
    is_active,
    sid_from_bytes,
    sid_to_bytes,
    upn_of,
)
from ragwarden.acl.principals import WELL_KNOWN_AUTHENTICATED, Emittable
from ragwarden.core.errors import AccessControlError, DirectoryUnavailableError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver
from ragwarden.core.settings import PRINCIPAL_CACHE_TTL

log = logging.getLogger(__name__)

T = TypeVar("T")

# Every authenticated account holds these; BUILTIN\Users only with ``builtin_sids`` (see the docstring).
WELL_KNOWN_SIDS = tuple(tokens.name_of(t) for t in sorted(WELL_KNOWN_AUTHENTICATED))
BUILTIN_USERS = "S-1-5-32-545"
_NAMES: Mapping[str, str] = {
    "S-1-1-0": "Everyone",
    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
    BUILTIN_USERS: "BUILTIN\\Users",
}
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
        self._connection_factory = connection_factory or partial(connect, config)
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
        if entry is None or not is_active(entry, self._clock()):
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
            naming, config = (first(root[0], a) if root else None for a in attrs)
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
        value = first(found[0], "nETBIOSName") if found else None
        return value.decode() if value is not None else None

    def _read_domain_sid(self, conn: ldap3.Connection) -> str:
        found = self._search(conn, self._base_dn or "", "(objectClass=*)", ["objectSid"], ldap3.BASE)
        raw = first(found[0], "objectSid") if found else None
        if raw is None:
            raise DirectoryUnavailableError(f"the directory did not name the SID of {self._base_dn}")
        try:
            return tokens.canonical_domain_sid(sid_from_bytes(raw))
        except (ValueError, AccessControlError) as exc:
            raise DirectoryUnavailableError(f"the domain's SID is malformed: {exc}") from exc

    def _find_user(self, conn: ldap3.Connection, user: str) -> dict[str, Any] | None:
        query = account_filter(user, netbios=self._netbios, dns_domain=self._dns_domain)
        if query is None or self._base_dn is None:
            return None
        found = self._search(conn, self._base_dn, query, _USER_ATTRIBUTES, size_limit=3)
        if len(found) > 1:
            # the implicit UPN of one account may equal the explicit UPN of another: the explicit wins
            explicit = [e for e in found if upn_of(e) == user.strip().lower()]
            if len(explicit) != 1:
                log.warning("%d accounts match %r; resolving to nothing", len(found), user)
                return None
            found = explicit
        return found[0] if found else None

    def _all_sids(self, conn: ldap3.Connection, entry: Mapping[str, Any]) -> set[str]:
        user_sid = sid_from_bytes(first(entry, "objectSid"))
        domain_sid = user_sid.rsplit("-", 1)[0]
        sids = {user_sid, *WELL_KNOWN_SIDS, *([BUILTIN_USERS] if self.config.builtin_sids else [])}
        primary = as_int(first(entry, "primaryGroupID"))
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
        query = f"(objectSid={escape_bytes(sid_to_bytes(value))})"
        found = self._search(conn, self._base_dn, query, ["sAMAccountName"], size_limit=1)
        sam = first(found[0], "sAMAccountName") if found else None
        if sam is None:
            return None
        prefix = "BUILTIN" if value.startswith("S-1-5-32-") else (self._netbios or self._dns_domain or "")
        return f"{prefix}\\{sam.decode()}" if prefix else sam.decode()


def _secret(value: str | _Secret) -> str:
    return value if isinstance(value, str) else value.get_secret_value()


def build_ad_resolver(
    *,
    host: str,
    bind_user: str,
    bind_password: str | _Secret,
    cache_ttl: float | None = PRINCIPAL_CACHE_TTL,
    **options: Any,
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
