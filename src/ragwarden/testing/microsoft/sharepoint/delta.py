"""Graph's ``/drives/{id}/root/delta`` over the world's change journal.

Without a token: every live item of the drive, parents first; with ``token=latest``: nothing, and a delta link
from now; with a delta token: each item changed since, once, in its current state (deleted ones with the
``deleted`` facet). Pages of ``page_size`` items (``$top`` may ask for fewer) are linked by
``@odata.nextLink``; the last page carries ``@odata.deltaLink``. The change set is fixed when the first page is
asked for, each page is written from the world as it is when that page is asked for, with that page's own
``Prefer`` header: the sharing annotations appear only on pages that ask for them.

``Prefer: deltashowsharingchanges`` (with ``deltashowremovedasdeleted`` and ``deltatraversepermissiongaps``,
which it needs) marks items whose permissions changed with ``@microsoft.graph.sharedChanged: "True"``, never on
the first enumeration; ``hierarchicalsharing`` gives the ``shared`` facet only to items with permissions of
their own. A token issued before :meth:`DeltaFeed.expire` answers 410 ``resyncRequired`` with a ``Location``
to start a fresh enumeration. ``duplicates`` repeats the last item of each page at the head of the next one.
Graph's documented defects are on by default (:class:`Defects`); a test switches each off to see the ideal.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from ragwarden.testing.microsoft.sharepoint import render
from ragwarden.testing.microsoft.sharepoint.world import World

SHARING_PREFERS = frozenset({"deltashowsharingchanges", "deltashowremovedasdeleted", "deltatraversepermissiongaps"})
KNOWN_PREFERS = SHARING_PREFERS | {"hierarchicalsharing"}


@dataclass
class Defects:
    """Graph's documented delta defects, each on as Graph behaves (switch one off for the ideal behaviour)."""

    inheriting_children_omitted: bool = True  # a folder's permission change returns the folder only (#1250, #1670)
    no_shared_changed_on_removal: bool = True  # access removed: the item comes back unmarked (#1248)
    link_member_added_silent: bool = True  # a person added to an existing link: no entry (graph-docs#15242)
    folders_never_marked: bool = True  # sharedChanged only ever on files (msgraph-sdk-java#2548)


@dataclass
class _Entry:
    item_id: str
    sharing: bool = False
    removal_only: bool = False


@dataclass
class _Snapshot:
    drive_id: str
    generation: int
    head: int  # the journal position the delta link continues from
    entries: list[_Entry]
    initial: bool
    number: int = 0  # its id in the page tokens
    top: int | None = None  # the page size the first request asked for, kept for the next pages


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class DeltaFeed:
    def __init__(self, world: World, graph_url: str, origin: str, *, page_size: int, defects: Defects) -> None:
        self.world, self.graph_url, self.origin = world, graph_url, origin
        self.page_size, self.defects = page_size, defects
        self.duplicates = False
        self.resync_code = "resyncRequired"
        self._generation: dict[str, int] = {}
        self._snapshots: dict[int, _Snapshot] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def expire(self, drive_id: str | None = None) -> None:
        """Every token issued so far for the drive (default: every drive) answers 410 from now on."""
        for d in [drive_id] if drive_id else list(self.world.drive_roots):
            self._generation[d] = self._generation.get(d, 0) + 1

    def answer(self, drive_id: str, token: str | None, top: int | None, prefer: set[str]) -> Answer:
        generation = self._generation.get(drive_id, 0)
        if token is None:
            snapshot = self._snapshot(drive_id, generation, None)
            return self._page(snapshot, 0, top, prefer)
        if token == "latest":  # noqa: S105 - a keyword, not a secret
            with self.world.lock:
                return self._page(_Snapshot(drive_id, generation, self.world.seq, [], False), 0, top, prefer)
        parsed = _parse(token)
        if parsed is None:
            return Answer(400, {"error": {"code": "invalidRequest", "message": "malformed delta token"}})
        kind, token_generation, number, offset = parsed
        if token_generation != generation:
            location = f"{self.graph_url}/drives/{drive_id}/root/delta"
            error = {"error": {"code": self.resync_code, "message": "Resync required."}}
            return Answer(410, error, {"Location": location})
        if kind == "d":
            return self._page(self._snapshot(drive_id, generation, number), 0, top, prefer)
        cached = self._snapshots.get(number)
        if cached is None or cached.drive_id != drive_id:
            return Answer(400, {"error": {"code": "invalidRequest", "message": "unknown page token"}})
        return self._page(cached, offset, top, prefer)

    # -- the change set --------------------------------------------------------------------------------------
    def _snapshot(self, drive_id: str, generation: int, since: int | None) -> _Snapshot:
        with self.world.lock:
            root = self.world.drive_roots[drive_id]
            if since is None:
                entries = [_Entry(root)] + [_Entry(i.id) for i in self.world.descendants(root)]
            else:
                entries = self._changed(drive_id, since)
            snapshot = _Snapshot(drive_id, generation, self.world.seq, entries, since is None)
        with self._lock:
            snapshot.number = next(self._ids)
            self._snapshots[snapshot.number] = snapshot
        return snapshot

    def _changed(self, drive_id: str, since: int) -> list[_Entry]:
        found: dict[str, _Entry] = {}
        for change in self.world.changes_since(drive_id, since):
            if change.silent and self.defects.link_member_added_silent:
                continue
            old = found.pop(change.item_id, None)
            entry = old or _Entry(change.item_id)
            if change.kind == "sharing":
                entry.removal_only = (entry.removal_only or not entry.sharing) and change.removal
                entry.sharing = True
            found[change.item_id] = entry
        if not self.defects.inheriting_children_omitted:
            for entry in [e for e in found.values() if e.sharing]:
                for child in self._inheriting(entry.item_id):
                    found.setdefault(child, _Entry(child, True, entry.removal_only))
        depth = {i: self.world.path_of(i).count("/") + (self.world.items[i].parent_id is not None) for i in found}
        return sorted(found.values(), key=lambda e: depth[e.item_id])  # parents before their children

    def _inheriting(self, folder_id: str) -> list[str]:
        """The items below a folder that take their permissions from it."""
        out: list[str] = []
        for child in self.world.children(folder_id):
            if not child.unique:
                out += [child.id, *self._inheriting(child.id)]
        return out

    # -- pages -----------------------------------------------------------------------------------------------
    def _page(self, snapshot: _Snapshot, offset: int, top: int | None, prefer: set[str]) -> Answer:
        if offset == 0:
            snapshot.top = top
        size = max(1, min(self.page_size, snapshot.top or self.page_size))
        start = offset - 1 if self.duplicates and offset > 0 and size > 1 else offset
        entries = snapshot.entries[start : start + size]
        with self.world.lock:
            body: dict[str, Any] = {"value": [self._write(e, snapshot.initial, prefer) for e in entries]}
        base = f"{self.graph_url}/drives/{snapshot.drive_id}/root/delta?token="
        if start + size < len(snapshot.entries):
            body["@odata.nextLink"] = base + _token("p", snapshot.generation, snapshot.number, start + size)
        else:
            body["@odata.deltaLink"] = base + _token("d", snapshot.generation, snapshot.head, 0)
        applied = sorted(prefer & KNOWN_PREFERS)
        return Answer(200, body, {"Preference-Applied": ", ".join(applied)} if applied else {})

    def _write(self, entry: _Entry, initial: bool, prefer: set[str]) -> dict[str, Any]:
        world = self.world
        item = world.items[entry.item_id]
        if item.deleted:
            return render.deleted_item(item)
        if "hierarchicalsharing" in prefer:
            shared = item.unique and item.parent_id is not None
        else:
            shared = world.permission_root(item.id).parent_id is not None
        out = render.drive_item(world, item, self.origin, shared=shared)
        marked = entry.sharing and not initial and SHARING_PREFERS <= prefer
        if entry.removal_only and self.defects.no_shared_changed_on_removal:
            marked = False
        if item.folder and self.defects.folders_never_marked:
            marked = False
        if marked:
            out["@microsoft.graph.sharedChanged"] = "True"
        return out


def _token(kind: str, generation: int, number: int, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{generation}:{number}:{offset}".encode()).decode().rstrip("=")


def _parse(token: str) -> tuple[str, int, int, int] | None:
    try:
        kind, generation, number, offset = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")
        return kind, int(generation), int(number), int(offset)
    except ValueError:
        return None
