"""One refresh of the on-premises mirror: a full enumeration, or the changes since the stored token.

**Full** (the first run, every ``reconcile_interval``, and whenever the server no longer has the changes since
the stored token): the current change token is taken *first*, so that whatever changes while the site is
read is replayed next time; then the document libraries, every item of each (paged by ID), and the role
assignments of the web, of each library and item with unique permissions. The new picture replaces the old
one only when all of it has been read: until then the index keeps what it had.

**Incremental**: ``getChanges`` from the stored token. An item added, changed, renamed or moved is read again
(and its role assignments, if it has its own); a deleted one is dropped with what was below it; a renamed or
moved folder re-reads its library (its files' URLs changed); a security change (role assignment added or
removed, inheritance broken or restored) re-reads that object's role assignments or its inheritance flag.
Files below a folder whose permissions changed need nothing: their ACL is computed from the tree
(:mod:`.mirror`). Scopes that could not be read last time are read again. A change the connector does not
understand makes the run a full one.
"""

from __future__ import annotations

import logging
from typing import Any

from ragwarden.connectors.sharepoint_server.client import ServerClient
from ragwarden.connectors.sharepoint_server.mapping import assignments_tokens
from ragwarden.connectors.sharepoint_server.mirror import Entry, Scope, State

log = logging.getLogger(__name__)
LIBRARIES = {"$filter": "BaseTemplate eq 101 and Hidden eq false", "$select": "Id,Title,HasUniqueRoleAssignments,"
             "RootFolder/ServerRelativeUrl", "$expand": "RootFolder"}  # fmt: skip
CONTENT_CHANGES = {1, 2, 4, 5, 6, 7}  # Add, Update, Rename, MoveAway, MoveInto, Restore
SECURITY_CHANGES = {11, 12, 17, 18}  # role assignment added / removed, inheritance broken / restored
MEMBERSHIP_CHANGES = {13, 14}
DELETE, MOVE_INTO, RESTORE = 3, 6, 7


class NeedsFullRun(Exception):  # noqa: N818 - a signal, not an error
    """An incremental run met something it cannot apply precisely."""


def full(client: ServerClient, now: float) -> State:
    token = str(client.get("site/CurrentChangeToken")["StringValue"])
    state = State(site_id=str(client.get("site", params={"$select": "Id"})["Id"]).lower(), token=token)
    for library in client.values("web/lists", dict(LIBRARIES)):
        _add_library(state, library)
    for list_id in state.libraries:
        for raw in client.items(list_id):
            _store(state, list_id, raw)
    read_scope(client, state, "web")
    for key in [k for k, v in state.libraries.items() if v["unique"]]:
        read_scope(client, state, f"list:{key}")
    for entry in [e for e in state.items.values() if e.unique]:
        read_scope(client, state, entry.key)
    state.reconciled = now
    return state


MAX_CHANGES = 200_000  # more changes than this since the last run: a full read is cheaper anyway


def incremental(client: ServerClient, state: State) -> int:
    """Apply the changes since ``state.token`` to ``state``; returns how many there were."""
    changes: list[dict[str, Any]] = []
    while True:
        page = client.changes(str(state.token))
        if not page:
            break
        changes += page
        token = str(page[-1]["ChangeToken"]["StringValue"])
        if token == state.token or len(changes) > MAX_CHANGES:
            # A server that answers the same changes again (or an endless log) would keep this loop, and its
            # memory, growing for ever: read the whole site instead, which deletes nothing until it is done.
            raise NeedsFullRun(f"getChanges did not move past change token {token!r} ({len(changes)} changes)")
        state.token = token
    relisted: set[str] = set()  # libraries looked up again in this run: once each
    for change in changes:
        _apply(client, state, change, relisted)
    for key in [k for k, s in state.scopes.items() if s.tokens is None]:
        read_scope(client, state, key)  # unreadable last time: try again
    return len(changes)


def _apply(client: ServerClient, state: State, change: dict[str, Any], relisted: set[str]) -> None:
    kind = int(change.get("ChangeType", -1))
    if kind in MEMBERSHIP_CHANGES and "GroupId" in change:
        return  # site groups are read again on every run
    list_id = str(change.get("ListId") or "").lower()
    if "ItemId" in change and list_id in state.libraries:
        _item_change(client, state, list_id, int(change["ItemId"]), kind)
    elif "ItemId" in change or (list_id and kind in CONTENT_CHANGES | SECURITY_CHANGES | {DELETE}):
        if list_id not in relisted or "ItemId" not in change:
            relisted.add(list_id)
            _library_change(client, state, list_id, kind)
    elif "WebId" in change and kind in SECURITY_CHANGES:
        read_scope(client, state, "web")
    else:
        raise NeedsFullRun(f"change type {kind} of {sorted(change)}")


def _item_change(client: ServerClient, state: State, list_id: str, item_id: int, kind: int) -> None:
    key = f"item:{list_id}:{item_id}"
    before = state.items.get(key)
    raw = None if kind == DELETE else client.item(list_id, item_id)
    if raw is None:
        state.items.pop(key, None)
        state.scopes.pop(key, None)
        if before is not None and before.folder:
            state.drop_below(before.url, list_id)
        return
    entry = _store(state, list_id, raw)
    moved = before.url != entry.url if before is not None else kind in (MOVE_INTO, RESTORE)
    if entry.folder and moved:  # renamed, moved, restored: what is below it changed its URL or came back
        _enumerate(client, state, list_id)
    if entry.unique:
        read_scope(client, state, key)
    else:
        state.scopes.pop(key, None)


def _library_change(client: ServerClient, state: State, list_id: str, kind: int) -> None:
    """A library added, removed, or its permissions changed; an item of a library we did not know."""
    libraries = list(client.values("web/lists", dict(LIBRARIES)))
    known = {str(lib.get("Id", "")).lower() for lib in libraries}
    for gone in [k for k in state.libraries if k not in known]:
        del state.libraries[gone]
        state.scopes.pop(f"list:{gone}", None)
        for key in [k for k, e in state.items.items() if e.list_id == gone]:
            state.items.pop(key)
            state.scopes.pop(key, None)
    for library in libraries:
        before = dict(state.libraries.get(str(library.get("Id", "")).lower()) or {})
        guid = _add_library(state, library)
        if guid == list_id and kind != DELETE and (not before or before["url"] != state.libraries[guid]["url"]):
            _enumerate(client, state, guid)  # a library new to us, or moved: every item (again)
    if list_id in state.libraries and state.libraries[list_id]["unique"]:
        read_scope(client, state, f"list:{list_id}")
    elif list_id:
        state.scopes.pop(f"list:{list_id}", None)


def _enumerate(client: ServerClient, state: State, list_id: str) -> None:
    """Every item of one library read again, with the role assignments of those with their own."""
    for stale in [k for k, e in state.items.items() if e.list_id == list_id]:
        del state.items[stale]
        state.scopes.pop(stale, None)
    for raw in client.items(list_id):
        _store(state, list_id, raw)
    for entry in [e for e in state.items.values() if e.list_id == list_id and e.unique]:
        read_scope(client, state, entry.key)


def read_scope(client: ServerClient, state: State, key: str) -> None:
    """The tokens of one object's role assignments into ``state.scopes`` (None when they cannot be read)."""
    if key == "web":
        path = "web"
    elif key.startswith("list:"):
        path = f"lists(guid'{key[5:]}')"
    else:
        _, list_id, item_id = key.split(":")
        path = f"lists(guid'{list_id}')/items({item_id})"
    found = client.role_assignments(path)
    if found is None:
        state.scopes[key] = Scope(None, ["its role assignments cannot be read (403/404)"])
        return
    allow, problems = assignments_tokens(found, state.site_id)
    state.scopes[key] = Scope(sorted(allow), list(problems))
    for problem in problems:
        log.warning("SharePoint %s %s: %s (grants nothing)", client.site_url, key, problem)


def _add_library(state: State, raw: dict[str, Any]) -> str:
    guid = str(raw.get("Id", "")).lower()
    root: dict[str, Any] = raw["RootFolder"] if isinstance(raw.get("RootFolder"), dict) else {}
    state.libraries[guid] = {"title": str(raw.get("Title") or ""), "url": str(root.get("ServerRelativeUrl") or ""),
                             "unique": bool(raw.get("HasUniqueRoleAssignments"))}  # fmt: skip
    return guid


def _store(state: State, list_id: str, raw: dict[str, Any]) -> Entry:
    file: dict[str, Any] = raw["File"] if isinstance(raw.get("File"), dict) else {}
    entry = Entry(
        list_id=list_id, item_id=int(raw["Id"]), url=str(raw.get("FileRef") or ""),
        name=str(raw.get("FileLeafRef") or ""), folder=int(raw.get("FSObjType") or 0) == 1,
        modified=str(raw.get("Modified") or ""), length=_int(file.get("Length")), etag=str(file.get("ETag") or ""),
        unique=bool(raw.get("HasUniqueRoleAssignments")),
    )  # fmt: skip
    state.items[entry.key] = entry
    return entry


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
