"""Who may read what, from the world model alone: the independent judge of the on-premises connector.

Written from SharePoint's rules, not from ragwarden's token mapping: an item's permissions are those of the
nearest node (itself, a folder, the library, the web) with its own role assignments; an assignment lets a
user read when its role definition carries ViewListItems and OpenItems; the principal is the user, an AD
group the user is in (transitively), Everyone or all authenticated users, or a SharePoint group one of
whose members is any of those. A disabled account reads nothing (it cannot sign in). Claims of other
providers (ADFS roles, forms users) name nobody in the Windows directory.
"""

from __future__ import annotations

from ragwarden.testing.microsoft.sharepoint_server.world import ALL_AUTHENTICATED, EVERYONE, World, grants_read


def can_read(world: World, user: str, key: str) -> bool:
    """Whether the Windows user ``user`` (a claim) may open the file ``key``."""
    with world.lock:
        account = world.users.get(user)
        node = world.nodes[key]
        if account is None or not account.enabled or node.deleted:
            return False
        scope = key
        while not world.nodes[scope].unique:
            parent = world.nodes[scope].parent
            assert parent is not None  # the web is always unique
            scope = parent
        return any(
            grants_read(role) and _includes(world, principal, user)
            for principal, role in world.nodes[scope].assignments
        )


def under_granted(world: World, user: str, key: str) -> bool:
    """Where ragwarden deliberately grants less than SharePoint: a user SharePoint shows without a SID
    (``UserId`` empty) who reads ``key`` only where their own claim is named (on the item or in a site
    group), not through an AD group or Everyone."""
    with world.lock:
        account = world.users.get(user)
        if account is None or account.name_id or not can_read(world, user, key):
            return False
        scope = world.scope_of(key)
        return not any(grants_read(r) and _includes(world, p, user, own=False) for p, r in scope.assignments)


def readers(world: World, key: str) -> set[str]:
    return {claim for claim in world.users if can_read(world, claim, key)}


def _includes(world: World, principal: str, user: str, *, own: bool = True) -> bool:
    """Whether ``principal`` stands for ``user``; ``own=False``: other than by naming the user's own claim."""
    if principal.startswith("group:"):
        members = world.site_groups[int(principal[6:])].members
        return any(_includes(world, m, user, own=own) for m in members if not m.startswith("group:"))
    if principal == user:
        return own
    if principal in (EVERYONE, ALL_AUTHENTICATED):
        return True
    group = next((g for g in world.groups.values() if g.claim == principal), None)
    return group is not None and group.sid in groups_of(world, world.users[user].sid)


def groups_of(world: World, sid: str) -> set[str]:
    """Every AD group that ``sid`` is a member of, directly or through other groups."""
    found: set[str] = set()
    todo = [sid]
    while todo:
        member = todo.pop()
        for group in world.groups.values():
            if member in group.members and group.sid not in found:
                found.add(group.sid)
                todo.append(group.sid)
    return found
