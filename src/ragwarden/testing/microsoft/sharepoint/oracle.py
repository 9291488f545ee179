"""Who may read which item of a SharePoint :class:`~.world.World`, decided from the model alone.

It reads the world's fields directly (never the emulator's Graph answers, never ragwarden's mapping), so a
property test can hold the whole pipeline -- emulator, connector, mapping, resolvers, index filter -- against
it. The rules, from Microsoft's documentation and the research note (``research/sharepoint.md``):

- a deleted item, an unknown, deleted or disabled user: nothing;
- Restricted Access Control: when the site has RAC groups, only their (transitive) members reach anything;
- the role assignments that apply are the item's own when it has unique permissions, else those of its nearest
  ancestor that has them (a drive root always has);
- only ``read``, ``write`` and ``owner`` let a principal read; Limited Access grants nothing; a grant, link or
  invitation past its expiry grants nothing; a pending invitation grants nothing (a redeemed one is a grant);
- a user grant reaches that user; an Entra group grant every transitive member; an M365 owners grant the
  group's owners (not its members); a site group grant whoever one of its member login names reaches (users
  by UPN, Entra groups transitively, M365 owners, the two tenant-wide claims); SharePoint groups do not nest;
- "Everyone except external users": enabled members (``userType`` Member); "Everyone": members and guests;
- a link grants the identities listed on it; an organization link also every member when
  ``organization_links`` is on, an anonymous link when ``anonymous_links`` is on (what the connector's options
  of those names map to the tenant token); an ``existingAccess`` link grants nothing new.

**Where ragwarden deliberately under-grants** (so a property test expects less than SharePoint allows):
- the tenant token that stands for "Everyone" is given to enabled *members* only, so a guest who reaches an
  item only through "Everyone" (directly or as a site-group member) is not shown it;
- the owners of an M365 group (the ``…_o`` claim) are not expanded in this slice, so an owner who reaches an
  item only as an owner is not shown it;
- an anyone link grants nobody, not even the people SharePoint lists on it (those who redeemed it), unless
  ``anonymous_links`` is on: ragwarden cannot tell a listed redeemer from whoever else the link reached, so it
  treats the link as what it is, a link for anybody.
:data:`TOKEN_MODEL` (``Policy(guests_in_everyone=False, m365_owners=False, anyone_link_people=False)``) is that
model;
:func:`under_granted` names exactly the cases where it and SharePoint differ.

Simplifications: a user login name in a site group is matched by UPN against the current directory (a deleted
account's login matches a new account with the same UPN); link identities are users.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ragwarden.testing.microsoft.sharepoint.model import (
    EVERYONE_LOGIN,
    M365_GROUP_CLAIM,
    READ_ROLES,
    SECURITY_GROUP_CLAIM,
    USER_CLAIM,
    Grant,
    Item,
    Link,
    User,
    eeeu_login,
)
from ragwarden.testing.microsoft.sharepoint.world import World


@dataclass(frozen=True)
class Policy:
    organization_links: bool = False  # the connector's option of that name
    anonymous_links: bool = False  # the connector's option of that name
    guests_in_everyone: bool = True  # SharePoint's truth; False: ragwarden's token model (see the docstring)
    m365_owners: bool = True  # SharePoint's truth; False: ragwarden's token model (see the docstring)
    anyone_link_people: bool = True  # SharePoint's truth; False: ragwarden's token model (see the docstring)


TOKEN_MODEL = Policy(guests_in_everyone=False, m365_owners=False, anyone_link_people=False)


def can_read(world: World, user_id: str, item_id: str, policy: Policy = Policy()) -> bool:
    with world.lock:
        user = world.users.get(user_id)
        item = world.items.get(item_id)
        if user is None or not user.enabled or item is None or item.deleted:
            return False
        groups = _groups_of(world, user_id)
        if world.rac_groups and not groups & set(world.rac_groups):
            return False
        holder = _assignments_of(world, item)
        now = world.now()
        if any(_grant_reaches(world, user, groups, g, policy) for g in holder.grants if _live(g.role, g.expires, now)):
            return True
        return any(_link_reaches(user, link, policy) for link in holder.links if _live(link.role, link.expires, now))


def under_granted(world: World, user_id: str, item_id: str, policy: Policy = Policy()) -> bool:
    """SharePoint lets the user read the item, ragwarden's token model does not (a documented under-grant)."""
    truth = can_read(world, user_id, item_id, replace(policy, guests_in_everyone=True, m365_owners=True,
                                                      anyone_link_people=True))
    model = replace(policy, guests_in_everyone=False, m365_owners=False, anyone_link_people=False)
    return truth and not can_read(world, user_id, item_id, model)


def readers(world: World, item_id: str, policy: Policy = Policy()) -> set[str]:
    """Every user id that may read the item."""
    return {uid for uid in list(world.users) if can_read(world, uid, item_id, policy)}


def _assignments_of(world: World, item: Item) -> Item:
    # Walked here rather than with World.permission_root, which the emulator uses: the oracle stays independent.
    while not item.unique:
        if item.parent_id is None:
            raise AssertionError(f"drive root {item.id} without role assignments")
        item = world.items[item.parent_id]
    return item


def _live(role: str, expires: datetime | None, now: datetime) -> bool:
    return role in READ_ROLES and (expires is None or expires > now)


def _groups_of(world: World, oid: str) -> set[str]:
    found: set[str] = set()
    frontier = {oid}
    while frontier:
        frontier = {gid for gid, g in world.groups.items() if g.members & frontier and gid not in found}
        found |= frontier
    return found


def _grant_reaches(world: World, user: User, groups: set[str], grant: Grant, policy: Policy) -> bool:
    match grant.kind:
        case "user":
            return grant.ref == user.id
        case "group":
            return grant.ref in groups
        case "owners":
            owned = world.groups.get(grant.ref)
            return policy.m365_owners and owned is not None and user.id in owned.owners
        case "eeeu":
            return user.user_type == "Member"
        case "everyone":
            return user.user_type == "Member" or policy.guests_in_everyone
        case "siteGroup":
            site_group = world.site_groups.get(int(grant.ref))
            return site_group is not None and any(
                _login_reaches(world, user, groups, login, policy) for login in site_group.members
            )
    return False


def _login_reaches(world: World, user: User, groups: set[str], login: str, policy: Policy) -> bool:
    low = login.lower()
    if low == EVERYONE_LOGIN:
        return user.user_type == "Member" or policy.guests_in_everyone
    if low == eeeu_login(world.tenant_id).lower():
        return user.user_type == "Member"
    if low.startswith(USER_CLAIM):
        return low[len(USER_CLAIM) :] == user.upn.lower()
    if low.startswith(SECURITY_GROUP_CLAIM):
        return low[len(SECURITY_GROUP_CLAIM) :] in groups
    if low.startswith(M365_GROUP_CLAIM):
        gid = low[len(M365_GROUP_CLAIM) :]
        if gid.endswith("_o"):
            owned = world.groups.get(gid[:-2])
            return policy.m365_owners and owned is not None and user.id in owned.owners
        return gid in groups
    return False  # a claim this tenant does not know grants nothing


def _link_reaches(user: User, link: Link, policy: Policy) -> bool:
    if link.scope == "existingAccess":
        return False
    if user.id in link.identities and (link.scope != "anonymous" or policy.anyone_link_people):
        return True
    if link.scope == "organization" and policy.organization_links:
        return user.user_type == "Member"
    if link.scope == "anonymous" and policy.anonymous_links:
        return user.user_type == "Member"
    return False
