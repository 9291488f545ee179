"""The directory's encodings, as pure functions: binary SIDs (MS-DTYP), escaped LDAP filters for an
account name, and the attributes of a returned user entry, down to whether the account could log on now.

Apart from the resolver because none of it needs a server: each rule about what AD sends or expects is
readable (and testable) on its own, and the resolver is left with the queries and the connection.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from ldap3.utils.conv import escape_filter_chars

from ragwarden.core.errors import DirectoryUnavailableError

UF_ACCOUNTDISABLE = 0x2
UF_LOCKOUT = 0x10
UF_PASSWORD_EXPIRED = 0x800000  # msDS-User-Account-Control-Computed: FGPP, "never expires", pwdLastSet=0
NEVER_EXPIRES = (0, 0x7FFFFFFFFFFFFFFF)  # accountExpires
_FILETIME_UNIX_EPOCH = 116444736000000000  # 1970-01-01 in 100 ns intervals since 1601-01-01
NORMAL_USER_ACCOUNT = 805306368  # sAMAccountType of user accounts (not computers, trusts or groups)
MAX_NAME_LENGTH = 256


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


def escape_bytes(raw: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in raw)


def account_filter(user: str, *, netbios: str | None, dns_domain: str | None) -> str | None:
    """The LDAP filter for a name in any accepted form, every value escaped; None: not a name.

    ``DOMAIN\\sam`` must name this domain (``netbios`` or ``dns_domain``); ``x@dns_domain`` also matches
    the implicit UPN ``sAMAccountName@dns-domain``."""
    name = user.strip()
    if not name or len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):
        return None
    if "\\" in name:
        domain, _, sam = name.partition("\\")
        known = {d.lower() for d in (netbios, dns_domain) if d}
        if domain.lower() not in known or not sam:
            return None  # another domain's account: not ours to resolve
        inner = f"(sAMAccountName={escape_filter_chars(sam)})"
    elif "@" in name:
        local, _, suffix = name.rpartition("@")
        inner = f"(userPrincipalName={escape_filter_chars(name)})"
        if local and dns_domain and suffix.lower() == dns_domain.lower():
            # the implicit UPN sAMAccountName@dns-domain is accepted at logon as well
            inner = f"(|{inner}(sAMAccountName={escape_filter_chars(local)}))"
    else:
        inner = f"(sAMAccountName={escape_filter_chars(name)})"
    return f"(&(sAMAccountType={NORMAL_USER_ACCOUNT}){inner})"


def first(entry: Mapping[str, Any], name: str) -> Any:
    """The first raw value of attribute ``name`` of a search result entry, or None."""
    values = entry["raw_attributes"].get(name) or []
    return values[0] if values else None


def as_int(raw: Any, default: int = 0) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def is_active(entry: Mapping[str, Any], now: float) -> bool:
    """Could this account log on now? Disabled, locked out, expired or with an expired password: no."""
    if as_int(first(entry, "userAccountControl")) & UF_ACCOUNTDISABLE:
        return False
    # lockoutTime stays set after the lockout duration until the next logon; treating every non-zero
    # value as locked may hide documents from a user for a while, never show them to a locked account.
    if as_int(first(entry, "lockoutTime")) != 0:
        return False
    computed = first(entry, "msDS-User-Account-Control-Computed")
    if computed is None:
        # Constructed by every AD and Samba DC; without it an expired password would go unnoticed.
        raise DirectoryUnavailableError(f"the directory did not compute the account state of {entry.get('dn')}")
    if _strict_int(computed) & (UF_LOCKOUT | UF_PASSWORD_EXPIRED):
        return False
    expires = first(entry, "accountExpires")
    ticks = 0 if expires is None else _strict_int(expires)
    return ticks in NEVER_EXPIRES or (ticks - _FILETIME_UNIX_EPOCH) / 1e7 > now


def _strict_int(raw: Any) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise DirectoryUnavailableError(f"the directory returned a malformed number: {raw!r}") from exc


def upn_of(entry: Mapping[str, Any]) -> str | None:
    value = first(entry, "userPrincipalName")
    return value.decode().lower() if value is not None else None
