"""SharePoint permissions as principal tokens: pure functions, no I/O (the directory look-ups are passed in).

What a Graph ``permission`` of a ``driveItem`` grants:

=============================================  ===============================================================
``roles`` ``read`` / ``write`` / ``owner``     grant; any other role (``sp.limited access``, ``limitedAccess``,
                                               a custom level) grants nothing
``grantedToV2.user`` / ``.group`` {id}         ``entra:<id>``, plus ``sid:`` when the directory object has an
                                               ``onPremisesSecurityIdentifier``
``grantedToV2.siteGroup`` {id}                 ``spgroup:<siteCollectionId>:<id>``: its members are added to a
                                               caller's scope at resolution (:mod:`ragwarden.acl.site_groups`)
``grantedToV2.siteUser`` {loginName}           :func:`login_tokens` (below)
``link`` scope ``users`` / ``organization``    only the people in ``grantedToIdentitiesV2``; an organization
                                               link also the tenant token when ``organization_links`` is on
``link`` scope ``anonymous``                   nothing; the tenant token when ``anonymous_links`` is on
``link`` scope ``existingAccess``              nothing (such a link adds no access)
``invitation`` without a grantee (pending)     nothing until it is redeemed (then ``grantedToV2`` names who)
``expirationDateTime`` at or before now        nothing (``0001-01-01T00:00:00Z``, .NET's MinValue: no expiry)
=============================================  ===============================================================

A link's grantees are the people listed on it, never its ``SharingLinks.…`` site group, whose members are
whoever once opened the link.

Login names (SharePoint claims), in a ``siteUser`` and in a site group's member list:

- ``i:0#.f|membership|<upn>``: the Entra user with that UPN (not in the directory: nothing);
- ``c:0t.c|tenant|<oid>``: the Entra security group;
- ``c:0o.c|federateddirectoryclaimprovider|<oid>``: the members of the Microsoft 365 group, ``entra:<oid>``
  (the Entra resolver gives it to every transitive member). With the suffix ``_o`` the claim means the
  group's **owners**: nothing, reported. Owners need not be members, so ``entra:<oid>`` would give the
  members what only the owners hold, and no resolver emits an owners token in this slice: an owner who
  reads only through such a grant is under-granted.
- ``c:0-.f|rolemanager|spo-grid-all-users/<tenantId>`` ("Everyone except external users") and ``c:0(.s|true``
  ("Everyone"): the tenant token ``entra:<tenantId>``, which the Entra resolver gives enabled **member**
  accounts only: guests are under-granted on "Everyone" (reported). Another tenant's claim grants nothing.
- anything else (Windows claims, ADFS roles, a bare display name): nothing, reported.

Restricted Access Control groups (``MappingContext.rac_groups``) become the ``share`` set: a caller must be in
one of them as well. No allow token left: ``ItemAcl(None, problems)``, and the item is not indexed. With an
ACL, ``problems`` lists the grants left out. A directory look-up that fails raises
``DirectoryUnavailableError`` out of these functions: nothing is guessed around it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessControl

GRANTING_ROLES = frozenset({"read", "write", "owner"})
USER_CLAIM = "i:0#.f|membership|"
GROUP_CLAIM = "c:0t.c|tenant|"
M365_CLAIM = "c:0o.c|federateddirectoryclaimprovider|"
EVERYONE_EXCEPT_EXTERNAL_CLAIM = "c:0-.f|rolemanager|spo-grid-all-users/"
EVERYONE_CLAIM = "c:0(.s|true"
_UNSAFE_IN_UPN = frozenset("/\\?%&")  # a UPN goes into a Graph URL: nothing that could change its path

#: tokens found, and why something was left out (or is under-granted)
Mapped = tuple[frozenset[str], tuple[str, ...]]
NONE: Mapped = (frozenset(), ())


@dataclass(frozen=True, kw_only=True)
class MappingContext:
    """The site being mapped and the source's options. ``now`` decides which grants have expired (a naive
    ``now`` is taken as UTC). Invalid ids raise :class:`AccessControlError` here, at configuration time."""

    tenant_id: str
    site_collection_id: str
    organization_links: bool = False
    anonymous_links: bool = False
    now: datetime
    rac_groups: tuple[str, ...] = ()  # Entra group object ids of Restricted Access Control: acl_share

    def __post_init__(self) -> None:
        object.__setattr__(self, "tenant_id", tokens.name_of(tokens.entra(self.tenant_id)))
        site = tokens.name_of(tokens.entra(self.site_collection_id))  # a site collection id is a GUID
        object.__setattr__(self, "site_collection_id", site)
        object.__setattr__(self, "rac_groups", tuple(tokens.name_of(tokens.entra(g)) for g in self.rac_groups))
        if self.now.tzinfo is None:
            object.__setattr__(self, "now", self.now.replace(tzinfo=UTC))

    @property
    def tenant_token(self) -> str:
        return tokens.entra(self.tenant_id)


class DirectoryLookup(Protocol):
    """Graph user and group objects (``id``, ``onPremisesSecurityIdentifier``, ``userType``,
    ``accountEnabled``); None when unknown. Implementations quote the argument into their URL."""

    def user_by_upn(self, upn: str) -> dict[str, Any] | None: ...

    def object(self, object_id: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class ItemAcl:
    """An item's ACL (None: nobody left to allow, not indexed) and what was left out, and why."""

    acl: AccessControl | None
    problems: tuple[str, ...]


def login_tokens(login_name: str, ctx: MappingContext, lookup: DirectoryLookup) -> frozenset[str]:
    """The tokens of a SharePoint login name (see the module docstring); unknown claims: the empty set."""
    return _login(login_name, ctx, lookup)[0]


def item_acl(permissions: list[dict[str, Any]], ctx: MappingContext, lookup: DirectoryLookup) -> ItemAcl:
    """A ``driveItem``'s Graph permissions as an ACL: the union of what each permission grants."""
    allow: set[str] = set()
    problems: list[str] = []
    for permission in permissions:
        label = f"permission {permission.get('id', '?')}" if isinstance(permission, Mapping) else "permission"
        granted, notes = _permission(permission, ctx, lookup)
        allow |= granted
        problems += [f"{label}: {note}" for note in notes]
    share: set[str] = set()
    for group in ctx.rac_groups:
        found, notes = _directory_object(group, lookup)
        share |= found
        problems += [f"restricted access control group {group}: {note}" for note in notes]
    unique = tuple(dict.fromkeys(problems))
    if not allow:
        return ItemAcl(None, (*unique, "no permission lets anyone a directory knows read the item: not indexed"))
    return ItemAcl(AccessControl(allow=frozenset(allow), share=frozenset(share)), unique)


def _permission(permission: object, ctx: MappingContext, lookup: DirectoryLookup) -> Mapped:
    if not isinstance(permission, Mapping):
        return frozenset(), ("not a permission object",)
    raw_roles = permission.get("roles")
    roles = sorted({str(r).lower() for r in raw_roles}) if isinstance(raw_roles, list) else []
    if not GRANTING_ROLES.intersection(roles):
        return frozenset(), (f"roles {roles} do not let anyone read (Limited Access and other levels grant nothing)",)
    expired = _expired(permission.get("expirationDateTime"), ctx.now)
    if expired:
        return frozenset(), (expired,)
    link = permission.get("link")
    if isinstance(link, Mapping):
        return _link(permission, link, ctx, lookup)
    grantee = permission.get("grantedToV2")
    if isinstance(grantee, Mapping) and grantee:
        return _identity(grantee, ctx, lookup)
    invitation = permission.get("invitation")
    if isinstance(invitation, Mapping):
        return frozenset(), (f"a pending invitation to {invitation.get('email', '?')!r} grants nothing yet",)
    return frozenset(), ("names nobody",)


def _expired(value: object, now: datetime) -> str | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return f"an unreadable expiration date {value!r}: treated as expired"
    if when.year == 1:  # DateTime.MinValue: Graph's "no expiration set"
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return f"expired at {when.isoformat()}" if when <= now else None


def _link(
    permission: Mapping[str, Any], link: Mapping[str, Any], ctx: MappingContext, lookup: DirectoryLookup
) -> Mapped:
    scope = str(link.get("scope") or "")
    if scope == "existingAccess":
        return NONE
    if scope == "anonymous":
        if ctx.anonymous_links:
            return frozenset({ctx.tenant_token}), (
                "an anyone link, mapped to the tenant token (anonymous_links is on): anyone holding the link "
                "could open the item, only the tenant's members see it in search",
            )
        return frozenset(), ("an anyone link grants nothing (anonymous_links is off)",)
    if scope not in ("users", "organization"):
        return frozenset(), (f"a sharing link of unknown scope {scope!r} grants nothing",)
    found: set[str] = set()
    notes: list[str] = []
    listed = permission.get("grantedToIdentitiesV2")
    for identity in listed if isinstance(listed, list) else ():
        granted, why = _identity(identity, ctx, lookup)
        found |= granted
        notes += why
    if scope == "organization" and ctx.organization_links:
        found.add(ctx.tenant_token)
    return frozenset(found), tuple(notes)


def _identity(identity: object, ctx: MappingContext, lookup: DirectoryLookup) -> Mapped:
    """A ``sharePointIdentitySet``: the directory object if it names one, else the site group, else the login."""
    if not isinstance(identity, Mapping):
        return frozenset(), ("an identity that is not an object",)
    site_user = identity.get("siteUser")
    login = site_user.get("loginName") if isinstance(site_user, Mapping) else None
    if isinstance(login, str) and _is_owners_claim(login):
        return _login(login, ctx, lookup)  # never the group's own id: that would grant its members
    for key in ("user", "group"):
        entry = identity.get(key)
        if isinstance(entry, Mapping) and entry.get("id"):
            return _directory_object(str(entry["id"]), lookup)
    site_group = identity.get("siteGroup")
    if isinstance(site_group, Mapping):
        return _site_group(site_group, ctx)
    if isinstance(login, str) and login:
        return _login(login, ctx, lookup)
    return frozenset(), (f"names no user, group or site group ({', '.join(sorted(map(str, identity)))})",)


def _site_group(site_group: Mapping[str, Any], ctx: MappingContext) -> Mapped:
    gid = str(site_group.get("id", ""))
    if not (gid.isascii() and gid.isdigit()):
        return frozenset(), (f"site group {site_group.get('displayName', '?')!r} has no numeric id ({gid!r})",)
    return frozenset({tokens.spgroup(ctx.site_collection_id, str(int(gid)))}), ()


def _login(login_name: str, ctx: MappingContext, lookup: DirectoryLookup) -> Mapped:
    name = login_name.strip() if isinstance(login_name, str) else ""
    lowered = name.lower()
    if lowered.startswith(USER_CLAIM):
        return _user_by_upn(name[len(USER_CLAIM):], lookup)
    if _is_owners_claim(name):
        return frozenset(), (f"{name}: the owners of a Microsoft 365 group are not expanded (owners under-granted)",)
    if lowered.startswith(M365_CLAIM):
        return _directory_object(name[len(M365_CLAIM):], lookup)
    if lowered.startswith(GROUP_CLAIM):
        return _directory_object(name[len(GROUP_CLAIM):], lookup)
    if lowered.startswith(EVERYONE_EXCEPT_EXTERNAL_CLAIM):
        if name[len(EVERYONE_EXCEPT_EXTERNAL_CLAIM):].lower() != ctx.tenant_id:
            return frozenset(), (f"{name}: everyone except external users of another tenant grants nothing",)
        return frozenset({ctx.tenant_token}), ()
    if lowered == EVERYONE_CLAIM:
        return frozenset({ctx.tenant_token}), (
            "Everyone (c:0(.s|true) mapped to the tenant token: guests are under-granted",
        )
    return frozenset(), (f"the login name {name!r} maps to no directory principal",)


def _is_owners_claim(login_name: str) -> bool:
    lowered = login_name.strip().lower()
    return lowered.startswith(M365_CLAIM) and lowered.endswith("_o")


def _user_by_upn(upn: str, lookup: DirectoryLookup) -> Mapped:
    if not upn or _UNSAFE_IN_UPN.intersection(upn) or not upn.isprintable() or "@" not in upn:
        return frozenset(), (f"{upn!r} is not a user principal name",)
    found = lookup.user_by_upn(upn)
    if found is None:
        return frozenset(), (f"the user {upn!r} is not in the directory",)
    return _directory_object(str(found.get("id", "")), None, found)


def _directory_object(
    object_id: str, lookup: DirectoryLookup | None, found: Mapping[str, Any] | None = None
) -> Mapped:
    """``entra:<id>``, plus ``sid:`` of the on-premises twin when the directory knows one. An object the
    directory does not know keeps its ``entra:`` token (the id is what Graph granted): harmless, nobody holds it."""
    try:
        own = tokens.entra(object_id)
    except AccessControlError:
        return frozenset(), (f"{object_id!r} is not an Entra object id",)
    if found is None and lookup is not None:
        found = lookup.object(tokens.name_of(own))
    sid = found.get("onPremisesSecurityIdentifier") if found else None
    if not sid:
        return frozenset({own}), ()
    try:
        return frozenset({own, tokens.sid(str(sid))}), ()
    except AccessControlError:
        return frozenset({own}), (f"{own} has an unusable on-premises SID {sid!r}: its SID is left out",)
