"""The on-premises connector against the independent oracle under random changes: from the small site of
``conftest.populate``, Hypothesis draws a few steps of changes (grants and revocations with any permission
level, inheritance broken and restored, moves, renames, deletions, new files, site-group members, a change
log trimmed so that the token is too old), each followed by an incremental sync through the registry-built
connector and ragwarden's services into the real index; after every sync each (user, file) pair must equal
:func:`~ragwarden.testing.microsoft.sharepoint_server.can_read` (never visible where it says no; visible
wherever it says yes outside the documented under-grant). Few examples by default (each sync runs over HTTPS
with NTLM); ``RAGWARDEN_SPS_PROPERTY_EXAMPLES`` runs more."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ragwarden.testing.microsoft.sharepoint_server import ALL_AUTHENTICATED, EVERYONE, World
from ragwarden.testing.microsoft.sharepoint_server.world import ROLES
from tests.sharepoint_server.conftest import ADFS_ROLE, populate
from tests.sharepoint_server.server_site import ServerSite

FOLDERS = ("Dokumente", "Personal", "Kantine", "Revision", "Vertraulich")
FILES = ("top", "gehalt", "akte", "menu", "pruefung")
KINDS = ("grant", "revoke", "break", "restore", "move", "rename", "delete", "add", "member", "unmember", "expire")
STEP = st.tuples(st.sampled_from(KINDS), st.integers(0, 99), st.integers(0, 99), st.sampled_from(sorted(ROLES)))


def _principals(world: World) -> list[str]:
    groups = [g.claim for g in world.groups.values()]
    site_groups = [f"group:{g}" for g in world.site_groups]
    return [*world.users, *groups, *site_groups, EVERYONE, ALL_AUTHENTICATED, ADFS_ROLE]


def _apply(world: World, keys: dict[str, str], step: tuple[str, int, int, str]) -> None:
    kind, a, b, role = step
    live = [k for k in (*FOLDERS, *FILES) if not world.nodes[keys[k]].deleted]
    node = keys[live[a % len(live)]]
    folders = [  # a live folder that is neither the node's parent chain nor below the node (no cycles)
        keys[f] for f in FOLDERS
        if not world.nodes[keys[f]].deleted and keys[f] not in world.ancestors(node)
        and node not in world.ancestors(keys[f])
    ]  # fmt: skip
    principal = _principals(world)[b % len(_principals(world))]
    if kind == "grant":
        world.grant(node, principal, role)
    elif kind == "revoke" and world.nodes[node].unique:
        world.revoke(node, principal)
    elif kind == "break":
        world.break_inheritance(node, copy=bool(b % 2))
    elif kind == "restore" and node != keys["Dokumente"]:
        world.restore_inheritance(node)
    elif kind == "move" and folders and node != keys["Dokumente"]:
        world.move(node, folders[b % len(folders)])
    elif kind == "rename" and node != keys["Dokumente"]:
        stem, dot, suffix = world.nodes[node].name.rpartition(".")
        world.rename(node, f"{stem}-{b}.{suffix}" if dot else f"{suffix}-{b}")  # the parser needs the suffix
    elif kind == "delete" and node != keys["Dokumente"]:
        world.delete(node)
    elif kind == "add" and world.nodes[node].folder:
        world.add_file(node, f"Neu {b} Müller's.txt", f"neu {b}".encode())
    elif kind in ("member", "unmember"):
        group = sorted(world.site_groups)[a % len(world.site_groups)]
        members = world.site_groups[group].members
        if kind == "member" and not principal.startswith("group:"):
            world.add_site_group_member(group, principal)
        elif kind == "unmember" and members:
            world.remove_site_group_member(group, members[b % len(members)])
    elif kind == "expire":
        world.expire_changes()


# No explain phase: after a failure it traces every line of every example (NTLM and the sync engine are pure
# Python), which is slow and memory-hungry. (The 20 GB CI runs of 2026-12-05 were not that but a step that moved a
# folder below itself; the emulator now refuses that, as SharePoint does, and the steps no longer draw it.)
@settings(max_examples=int(os.environ.get("RAGWARDEN_SPS_PROPERTY_EXAMPLES", "4")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow],
          phases=[p for p in Phase if p is not Phase.explain])  # fmt: skip
@given(st.lists(st.lists(STEP, min_size=1, max_size=4), min_size=1, max_size=3))
def test_every_user_finds_exactly_what_sharepoint_server_lets_them_read(batches: list[list[tuple]]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as folder:
        world = World()
        _, keys = populate(world)
        site = ServerSite(Path(folder), world)
        try:
            site.sync()
            assert site.mismatches() == []
            for batch in batches:
                for step in batch:
                    _apply(world, keys, step)
                site.sync()
                assert site.mismatches() == [], batches
        finally:
            site.close()
