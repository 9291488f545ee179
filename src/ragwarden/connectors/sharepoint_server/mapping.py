"""SharePoint Server role assignments as principal tokens: pure functions, no I/O.

What a role assignment (``roleassignments?$expand=Member,RoleDefinitionBindings``) grants:

==========================================  ====================================================================
a binding whose ``BasePermissions.Low``      grants: Read, Contribute, Edit, Design, Full Control and any custom
holds ViewListItems (0x1) and OpenItems      level that lets its holders list *and* open items. Limited Access,
(0x20)                                       "View Only"-like levels (no OpenItems) grant nothing. Without
                                             ``BasePermissions``: the built-in kinds Reader..Editor (2-6)
``i:0#.w|DOMAIN\\user``                      ``sid:`` of ``UserId.NameId`` (SharePoint keeps the Windows user's
                                             SID there); without one: nothing, reported
``c:0+.w|s-1-5-21-…``                        ``sid:S-1-5-21-…`` (the AD group; the AD resolver emits every group
                                             of a caller's token, nested ones included)
``c:0(.s|true`` (Everyone)                   ``sid:S-1-1-0``, ``c:0!.s|windows`` (all authenticated users)
                                             ``sid:S-1-5-11``: the AD resolver gives both to every enabled account
a SharePoint group (PrincipalType 8)         ``spgroup:<siteId>:<groupId>``; its members, mapped by these same
                                             rules, go to :class:`~ragwarden.acl.site_groups.SiteGroupStore`
anything else (``c:0-.t|…`` ADFS roles,      nothing, reported
``i:0#.f|…`` forms users, ``i:05.t|…``)
==========================================  ====================================================================

Site-collection administrators read everything in SharePoint without a role assignment; they are not added
(an administrator's right to *manage* the site is not a reason to show them every file in search).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError

VIEW_LIST_ITEMS, OPEN_ITEMS = 0x1, 0x20
READING_KINDS = frozenset({2, 3, 4, 5, 6})  # Reader, Contributor, WebDesigner, Administrator, Editor
WINDOWS_USER = "i:0#.w|"
WINDOWS_GROUP = "c:0+.w|"
SPECIAL = {"c:0(.s|true": tokens.SID_EVERYONE, "c:0!.s|windows": tokens.SID_AUTHENTICATED_USERS}
SITE_GROUP = 8
LIMITED_ACCESS = 1  # RoleTypeKind "Guest": what SharePoint gives on every parent of an item shared below it

#: tokens found, and what was left out (and why)
Mapped = tuple[frozenset[str], tuple[str, ...]]


def grants_read(binding: Mapping[str, Any]) -> bool:
    """Whether a role definition lets its holders list and open items (see the module docstring)."""
    base = binding.get("BasePermissions")
    if isinstance(base, Mapping) and base.get("Low") is not None:
        try:
            low = int(str(base["Low"]))
        except ValueError:
            return False
        return low & (VIEW_LIST_ITEMS | OPEN_ITEMS) == VIEW_LIST_ITEMS | OPEN_ITEMS
    return binding.get("RoleTypeKind") in READING_KINDS


def principal_tokens(member: Mapping[str, Any], site_id: str) -> Mapped:
    """The tokens of a role assignment's ``Member`` or of a site group's user."""
    if member.get("PrincipalType") == SITE_GROUP:
        gid = str(member.get("Id", ""))
        if not (gid.isascii() and gid.isdigit()):
            return frozenset(), (f"site group {member.get('Title', '?')!r} without a numeric id",)
        return frozenset({tokens.spgroup(site_id, str(int(gid)))}), ()
    return claim_tokens(str(member.get("LoginName") or ""), member.get("UserId"))


def claim_tokens(login: str, user_id: object = None) -> Mapped:
    """A claims login name as tokens; ``user_id`` is the user's ``UserId`` (``NameId`` holds the SID)."""
    name = login.strip()
    lowered = name.lower()
    if lowered in SPECIAL:
        return frozenset({SPECIAL[lowered]}), ()
    if lowered.startswith(WINDOWS_GROUP):
        return _sid(name[len(WINDOWS_GROUP) :], name)
    if lowered.startswith(WINDOWS_USER):
        name_id = user_id.get("NameId") if isinstance(user_id, Mapping) else None
        if not name_id:
            return frozenset(), (f"{name}: SharePoint shows no SID for this Windows user (UserId.NameId)",)
        return _sid(str(name_id), name)
    return frozenset(), (f"the claim {name!r} maps to no Windows account or group (grants nothing)",)


def _sid(value: str, login: str) -> Mapped:
    try:
        return frozenset({tokens.sid(value.strip())}), ()
    except AccessControlError as exc:
        return frozenset(), (f"{login}: not a usable SID ({exc})",)


def assignments_tokens(assignments: Iterable[object], site_id: str) -> Mapped:
    """The union of what every reading role assignment grants, and what was left out."""
    allow: set[str] = set()
    problems: list[str] = []
    for entry in assignments:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("Member"), Mapping):
            problems.append("a role assignment without a member")
            continue
        member = entry["Member"]
        bindings = [b for b in entry.get("RoleDefinitionBindings") or () if isinstance(b, Mapping)]
        if not any(grants_read(b) for b in bindings):
            if not all(b.get("RoleTypeKind") == LIMITED_ACCESS for b in bindings):  # Limited Access is routine
                names = sorted(str(b.get("Name", "?")) for b in bindings)
                problems.append(f"{member.get('LoginName', '?')}: {names} do not let anyone read")
            continue
        found, notes = principal_tokens(member, site_id)
        allow |= found
        problems += list(notes)
    return frozenset(allow), tuple(dict.fromkeys(problems))
