"""How one delta item changes the mirror's item tree (:mod:`.mirror`): upserts with the dirty marks they imply,
deletes with everything below, and paths from the parent chain. Functions over the mirror's open SQLite
connection, called inside its transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

_BELOW = """
WITH RECURSIVE below(id) AS (
    SELECT item_id FROM items WHERE drive_id = :d AND generation = :g AND parent_id = :p
    UNION SELECT i.item_id FROM items i JOIN below ON i.parent_id = below.id
    WHERE i.drive_id = :d AND i.generation = :g
)
"""


def upsert(db: sqlite3.Connection, drive_id: str, generation: int, item: Mapping[str, Any], *, repeated: bool) -> None:
    """Insert or update an item and mark what must have its permissions read again.

    Graph's delta marks permission changes unreliably (no mark when access is removed, never on folders,
    no entry for the children of a folder whose permissions changed). So a file listed by delta is always
    read again (it changed somehow), and the descendants of a folder are when the folder moved, was marked,
    gained or lost permissions of its own, has permissions of its own, or was listed with its eTag unchanged:
    a folder that a rename or a change below it did not touch is listed for its permissions."""
    item_id = str(item["id"])
    row = db.execute(
        "SELECT parent_id, deleted, unique_perms, etag FROM items WHERE drive_id = ? AND generation = ? "
        "AND item_id = ?",
        (drive_id, generation, item_id),
    ).fetchone()
    fields = fields_of(item)
    known = row is not None and not row[1]
    moved = known and row[0] != fields["parent_id"]
    flipped = known and bool(row[2]) != bool(fields["unique_perms"])
    flagged = str(item.get("@microsoft.graph.sharedChanged", "")).lower() == "true"
    unexplained = known and not repeated and row[3] == fields["etag"]
    db.execute(
        "INSERT INTO items (drive_id, generation, item_id, parent_id, name, is_folder, is_root, size, hash, etag, "
        "ctag, modified, web_url, unique_perms, deleted, dirty) VALUES (:d, :g, :i, :parent_id, :name, :is_folder, "
        ":is_root, :size, :hash, :etag, :ctag, :modified, :web_url, :unique_perms, 0, :dirty) "
        "ON CONFLICT(drive_id, generation, item_id) DO UPDATE SET parent_id = excluded.parent_id, "
        "name = excluded.name, is_folder = excluded.is_folder, is_root = excluded.is_root, size = excluded.size, "
        "hash = excluded.hash, etag = excluded.etag, ctag = excluded.ctag, modified = excluded.modified, "
        "web_url = excluded.web_url, unique_perms = excluded.unique_perms, deleted = 0, "
        "dirty = MAX(dirty, excluded.dirty)",
        {"d": drive_id, "g": generation, "i": item_id, **fields, "dirty": int(not fields["is_folder"])},
    )
    # A folder with permissions of its own is re-read below whenever delta lists it: its eTag moves with a
    # rename as well, so a revocation in the same window would look like the rename alone (found by the
    # oracle property test: a revoked and renamed folder kept serving its files to the revoked user).
    own = bool(fields["unique_perms"])
    if fields["is_folder"] and (moved or flagged or flipped or unexplained or own):
        mark_below(db, drive_id, generation, item_id, "dirty = 1")


def delete_item(db: sqlite3.Connection, drive_id: str, generation: int, item_id: str) -> None:
    """An item gone (deleted, or no longer visible to the app): it and everything below it."""
    mark_below(db, drive_id, generation, item_id, "deleted = 1")
    db.execute(
        "UPDATE items SET deleted = 1 WHERE drive_id = ? AND generation = ? AND item_id = ?",
        (drive_id, generation, item_id),
    )


def mark_below(db: sqlite3.Connection, drive_id: str, generation: int, item_id: str, assignment: str) -> None:
    """Set ``dirty = 1`` or ``deleted = 1`` (never an outside value) on everything below ``item_id``."""
    assert assignment in ("dirty = 1", "deleted = 1")
    db.execute(
        f"{_BELOW} UPDATE items SET {assignment} "  # noqa: S608 - one of two fixed assignments
        "WHERE drive_id = :d AND generation = :g AND item_id IN (SELECT id FROM below)",
        {"d": drive_id, "g": generation, "p": item_id},
    )


def fix_paths(db: sqlite3.Connection, drive_id: str, generation: int) -> None:
    """Paths from the parent chain (delta leaves ``parentReference.path`` out, and a folder rename does
    not list its descendants): root-relative, ``/``-separated."""
    rows = db.execute(
        "SELECT item_id, parent_id, name, is_root, path FROM items WHERE drive_id = ? AND generation = ?",
        (drive_id, generation),
    ).fetchall()
    tree = {r[0]: (r[1], r[2], bool(r[3])) for r in rows}
    paths: dict[str, str] = {}

    def path_of(item_id: str, depth: int = 0) -> str:
        if item_id in paths:
            return paths[item_id]
        parent, name, is_root = tree[item_id]
        if is_root:
            found = ""
        elif parent in tree and depth < 1000:
            found = "/".join(p for p in (path_of(parent, depth + 1), name) if p)
        else:
            found = name  # an orphan (its parent is not visible to the app): listed by its name
        paths[item_id] = found
        return found

    changed = [(path_of(r[0]), drive_id, generation, r[0]) for r in rows if path_of(r[0]) != r[4]]
    db.executemany(
        "UPDATE items SET path = ? WHERE drive_id = ? AND generation = ? AND item_id = ?", changed
    )


def fields_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of one delta item."""
    file = item.get("file") or {}
    hashes = file.get("hashes") or {}
    parent = item.get("parentReference") or {}
    return {
        "parent_id": parent.get("id"),
        "name": str(item.get("name") or ""),
        "is_folder": int("folder" in item or "root" in item or "package" in item),
        "is_root": int("root" in item),
        "size": int(item.get("size") or 0),
        "hash": str(hashes.get("quickXorHash") or hashes.get("sha256Hash") or hashes.get("sha1Hash") or ""),
        "etag": str(item.get("eTag") or ""),
        "ctag": str(item.get("cTag") or ""),
        "modified": str(item.get("lastModifiedDateTime") or ""),
        "web_url": str(item.get("webUrl") or ""),
        "unique_perms": int("shared" in item),
    }
