"""The one module that formats and parses principal tokens, at index time and at query time alike.

Every token carries a type prefix:

    user:<name>              local directory user
    group:<name>             local directory group
    everyone                 every caller the local directory knows
    sid:S-1-5-21-…           Active Directory user or group (full SID, never a bare RID)
    entra:<objectId>         Entra ID user or group
    spgroup:<siteId>:<id>    SharePoint group
    upn:<user@domain>        a user principal name

SIDs have one canonical text form, made here and nowhere else (:func:`canonical_sid`): upper-case
``S``, revision 1, decimal ASCII digits without leading zeros, and an account SID of a domain
(``S-1-5-21-…``) in full: the domain's three numbers and the RID. Other spellings of the same SID are
canonicalised; what is not a SID, or not a whole one, is refused. Whether a resolver can ever put a
token into a caller's scope is a different question, answered by :mod:`ragwarden.acl.principals`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ragwarden.core.errors import AccessControlError

EVERYONE = "everyone"
SID_EVERYONE = "sid:S-1-1-0"
SID_AUTHENTICATED_USERS = "sid:S-1-5-11"
BUILTIN_DOMAIN = "S-1-5-32"  # BUILTIN\Users, …\Administrators: what they hold is decided per machine

# Every pattern is matched with fullmatch: ``$`` would let a trailing newline through.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
# [0-9], not \d: \d (and int()) accept other scripts' digits, e.g. "S-1-5-٢١-…".
_SID = re.compile(r"[Ss]-1(?:-[0-9]{1,20}){2,}")  # an authority and at least one sub-authority
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_UPN = re.compile(r"[^@\s:]+@[^@\s:]+")
_SPGROUP = re.compile(r"[^:\s]+:[^:\s]+")
_MAX_SUB_AUTHORITIES = 15  # [MS-DTYP] 2.4.2
NT_AUTHORITY_DOMAIN_PREFIX = (5, 21)  # S-1-5-21-a-b-c-RID: accounts of a domain (or of one machine)

KINDS = ("user", "group", "sid", "entra", "spgroup", "upn")


def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise AccessControlError(f"invalid {kind} name: {name!r}")
    return name.lower()


def user(name: str) -> str:
    return f"user:{_check_name('user', name)}"


def group(name: str) -> str:
    return f"group:{_check_name('group', name)}"


def canonical_sid(value: str) -> str:
    """The canonical text form of a SID (see the module docstring); anything else raises."""
    if not isinstance(value, str) or not _SID.fullmatch(value):
        raise AccessControlError(f"invalid SID: {value!r} (S-1-<authority>-<sub-authorities>, ASCII digits)")
    authority, *subs = (int(part) for part in value.split("-")[2:])
    if authority >= 1 << 48 or any(s >= 1 << 32 for s in subs) or len(subs) > _MAX_SUB_AUTHORITIES:
        raise AccessControlError(f"invalid SID: {value!r} (a number out of range)")
    if (authority, subs[0]) == NT_AUTHORITY_DOMAIN_PREFIX and len(subs) != 5:
        # S-1-5-21-1105 or a bare domain SID: not one account, and never to be matched by prefix.
        raise AccessControlError(f"not a full account SID: {value!r} (S-1-5-21-<domain: 3 numbers>-<RID>)")
    return "-".join(["S", "1", str(authority), *(str(s) for s in subs)])


def sid(value: str) -> str:
    return f"sid:{canonical_sid(value)}"


def canonical_domain_sid(value: str) -> str:
    """A domain SID in canonical form: what is left of an account SID without its RID
    (``S-1-5-21-a-b-c`` for a domain or a machine, ``S-1-5-32`` for BUILTIN)."""
    if not isinstance(value, str) or value.count("-") < 2:
        raise AccessControlError(f"invalid domain SID: {value!r}")
    try:
        domain = canonical_sid(f"{value}-0").rsplit("-", 1)[0]
    except AccessControlError:
        domain = ""
    # Only real account domains: "S-1-5" would take in NETWORK, INTERACTIVE, SYSTEM and the like.
    if not (domain.startswith("S-1-5-21-") or domain == BUILTIN_DOMAIN):
        raise AccessControlError(f"invalid domain SID: {value!r} (S-1-5-21-<3 numbers>, or S-1-5-32)")
    return domain


def sid_domain(token: str) -> str | None:
    """The domain SID of a ``sid:`` token (the SID without its last number); None for other tokens."""
    if kind_of(token) != "sid":
        return None
    value = name_of(token)
    return value.rsplit("-", 1)[0] if value.count("-") > 2 else None


def entra(object_id: str) -> str:
    if not isinstance(object_id, str) or not _GUID.fullmatch(object_id):
        raise AccessControlError(f"invalid Entra object id: {object_id!r}")
    return f"entra:{object_id.lower()}"


def spgroup(site_id: str, group_id: str) -> str:
    value = f"{site_id}:{group_id}"
    if not _SPGROUP.fullmatch(value):
        raise AccessControlError(f"invalid SharePoint group: {value!r}")
    return f"spgroup:{value}"


def upn(value: str) -> str:
    if not isinstance(value, str) or not _UPN.fullmatch(value):
        raise AccessControlError(f"invalid UPN: {value!r}")
    return f"upn:{value.lower()}"


_FORMATTERS = {"user": user, "group": group, "sid": sid, "entra": entra, "upn": upn}


def parse(token: str) -> str:
    """Validate a token written by a person or a source (e.g. an ACL sidecar) and return its
    canonical form. Anything not understood raises :class:`AccessControlError` (fail closed)."""
    if not isinstance(token, str):
        raise AccessControlError(f"a token must be a string, got {type(token).__name__}")
    if token == EVERYONE:
        return EVERYONE
    kind, sep, value = token.partition(":")
    if not sep:
        raise AccessControlError(f"token without a type prefix: {token!r}")
    if kind == "spgroup":
        site, _, gid = value.partition(":")
        return spgroup(site, gid)
    formatter = _FORMATTERS.get(kind)
    if formatter is None:
        raise AccessControlError(f"unknown token type {kind!r} in {token!r}")
    return formatter(value)


def parse_all(tokens: Iterable[str]) -> frozenset[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Iterable):
        raise AccessControlError("tokens must be given as a list")
    return frozenset(parse(t) for t in tokens)


def kind_of(token: str) -> str:
    return "everyone" if token == EVERYONE else token.partition(":")[0]


def name_of(token: str) -> str:
    return token if token == EVERYONE else token.partition(":")[2]
