"""The one module that formats and parses principal tokens, at index time and at query time alike.

Every token carries a type prefix:

    user:<name>              local directory user
    group:<name>             local directory group
    everyone                 every caller the local directory knows
    sid:S-1-5-21-…           Active Directory user or group (full SID, never a bare RID)
    entra:<objectId>         Entra ID user or group
    spgroup:<siteId>:<id>    SharePoint group
    upn:<user@domain>        a user principal name
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ragwarden.core.errors import AccessControlError

EVERYONE = "everyone"
SID_EVERYONE = "sid:S-1-1-0"
SID_AUTHENTICATED_USERS = "sid:S-1-5-11"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
_SID = re.compile(r"^S-1-\d+(-\d+)+$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_UPN = re.compile(r"^[^@\s:]+@[^@\s:]+$")
_SPGROUP = re.compile(r"^[^:\s]+:[^:\s]+$")

KINDS = ("user", "group", "sid", "entra", "spgroup", "upn")


def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise AccessControlError(f"invalid {kind} name: {name!r}")
    return name.lower()


def user(name: str) -> str:
    return f"user:{_check_name('user', name)}"


def group(name: str) -> str:
    return f"group:{_check_name('group', name)}"


def sid(value: str) -> str:
    if not isinstance(value, str) or not _SID.match(value):
        raise AccessControlError(f"invalid SID: {value!r}")
    return f"sid:{value.upper()}"


def entra(object_id: str) -> str:
    if not isinstance(object_id, str) or not _GUID.match(object_id):
        raise AccessControlError(f"invalid Entra object id: {object_id!r}")
    return f"entra:{object_id.lower()}"


def spgroup(site_id: str, group_id: str) -> str:
    value = f"{site_id}:{group_id}"
    if not _SPGROUP.match(value):
        raise AccessControlError(f"invalid SharePoint group: {value!r}")
    return f"spgroup:{value}"


def upn(value: str) -> str:
    if not isinstance(value, str) or not _UPN.match(value):
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
