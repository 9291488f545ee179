"""The local mirror of a SharePoint source: one SQLite file per source, per drive its delta link and its items.

Why a mirror: the sync engine removes every document a scan does not yield, and Graph ``delta`` reports only
changes. Delta pages update the mirror; every scan yields every file the mirror holds.

Per drive the mirror holds one complete *generation* of items. A first enumeration, and a fresh one after a
``410 Gone``, write into the next generation; the drive switches to it only when the enumeration reached its
``@odata.deltaLink`` (nothing is deleted before: a failed enumeration leaves the old generation as it was).

A file is *dirty* when its permissions must be read again: every file delta lists (new, changed, moved:
Graph's ``sharedChanged`` mark is missing when access is removed, so a listed file is never trusted to be
unchanged), and every file below a folder that moved, was marked, gained or lost permissions of its own (its
``shared`` facet under ``Prefer: hierarchicalsharing``), or was listed with its eTag unchanged (what a
permission change on a folder looks like: Graph neither marks folders nor lists their inheriting children).
A full permission reconcile marks everything dirty. Dirty flags live in the file: a run that fails keeps them
for the next one. How one delta item changes the tree is :mod:`.mirror_tree`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.connectors.sharepoint.mirror_tree import delete_item, fix_paths, upsert
from ragwarden.core.errors import AccessControlError, ConfigurationError
from ragwarden.core.models import AccessControl

_SCHEMA = """
CREATE TABLE IF NOT EXISTS drives (
    drive_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    name TEXT NOT NULL,
    web_url TEXT NOT NULL DEFAULT '',
    generation INTEGER NOT NULL DEFAULT 0,
    delta_link TEXT,
    reconciled_at REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    drive_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    parent_id TEXT,
    name TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    is_folder INTEGER NOT NULL DEFAULT 0,
    is_root INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    hash TEXT NOT NULL DEFAULT '',
    etag TEXT NOT NULL DEFAULT '',
    ctag TEXT NOT NULL DEFAULT '',
    modified TEXT NOT NULL DEFAULT '',
    web_url TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    unique_perms INTEGER NOT NULL DEFAULT 0,
    dirty INTEGER NOT NULL DEFAULT 1,
    acl_json TEXT,
    problems TEXT NOT NULL DEFAULT '[]',
    perm_fp TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (drive_id, generation, item_id)
);
CREATE INDEX IF NOT EXISTS items_parent ON items(drive_id, generation, parent_id);
"""

_FILE_COLUMNS = ", ".join(
    f"i.{c}" for c in "drive_id item_id name path size hash etag ctag modified web_url acl_json problems dirty".split()
)


@dataclass(frozen=True, slots=True)
class Drive:
    drive_id: str
    site_id: str
    name: str
    web_url: str = ""
    generation: int = 0
    delta_link: str | None = None
    reconciled_at: float = 0.0


@dataclass(frozen=True, slots=True)
class AclResult:
    """An item's mapped permissions: its ACL (None: not indexable), why, and the permissions' fingerprint."""

    item_id: str
    acl: AccessControl | None
    problems: tuple[str, ...]
    fingerprint: str
    settled: bool = True  # False: the permissions could not be read; the item stays dirty


@dataclass(frozen=True, slots=True)
class MirroredFile:
    """A file as the mirror knows it, with the ACL last mapped from its permissions (None: not indexable,
    ``problems`` say why; ``pending``: its permissions are still to be read)."""

    drive_id: str
    item_id: str
    name: str
    path: str
    size: int
    hash: str
    etag: str
    ctag: str
    modified: str
    web_url: str
    acl: AccessControl | None
    problems: tuple[str, ...]
    pending: bool


class Mirror:
    """The mirror file of one source (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(f"the SharePoint mirror {path} cannot be opened: {exc}") from exc
        self._lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    # -- drives -----------------------------------------------------------------------------------------

    def drives(self) -> list[Drive]:
        rows = self._db.execute(
            "SELECT drive_id, site_id, name, web_url, generation, delta_link, reconciled_at FROM drives"
        ).fetchall()
        return [Drive(*row) for row in rows]

    def drive(self, drive_id: str) -> Drive:
        found = [d for d in self.drives() if d.drive_id == drive_id]
        if not found:
            raise KeyError(drive_id)
        return found[0]

    def set_drives(self, drives: Sequence[Drive]) -> None:
        """The source's drives now: new ones are added, gone ones forgotten with their items."""
        with self._lock, self._tx():
            known = {row[0] for row in self._db.execute("SELECT drive_id FROM drives")}
            for d in drives:
                self._db.execute(
                    "INSERT INTO drives (drive_id, site_id, name, web_url) VALUES (?, ?, ?, ?) ON CONFLICT(drive_id) "
                    "DO UPDATE SET site_id = excluded.site_id, name = excluded.name, web_url = excluded.web_url",
                    (d.drive_id, d.site_id, d.name, d.web_url),
                )
            for gone in known - {d.drive_id for d in drives}:
                self._db.execute("DELETE FROM items WHERE drive_id = ?", (gone,))
                self._db.execute("DELETE FROM drives WHERE drive_id = ?", (gone,))

    # -- delta ------------------------------------------------------------------------------------------

    def begin_enumeration(self, drive_id: str) -> int:
        """The generation a full enumeration writes into (emptied of an earlier, unfinished attempt)."""
        target = self.drive(drive_id).generation + 1
        with self._lock, self._tx():
            self._db.execute("DELETE FROM items WHERE drive_id = ? AND generation >= ?", (drive_id, target))
        return target

    def apply_page(
        self, drive_id: str, generation: int, items: Iterable[Mapping[str, Any]], listed: set[str] | None = None
    ) -> None:
        """One delta page, in order (an item listed twice: the last one wins), in one transaction. ``listed``
        collects the ids seen in this delta round, so that an item repeated across pages counts once."""
        seen = set() if listed is None else listed
        with self._lock, self._tx():
            for item in items:
                if "deleted" in item or "@removed" in item:
                    delete_item(self._db, drive_id, generation, str(item["id"]))
                else:
                    upsert(self._db, drive_id, generation, item, repeated=str(item["id"]) in seen)
                seen.add(str(item["id"]))

    def finish(self, drive_id: str, generation: int, delta_link: str, *, now: float) -> None:
        """A delta round reached its ``@odata.deltaLink``: keep it, fix the paths, and when the round was a
        full enumeration into a new generation, switch to it and drop the old one."""
        with self._lock, self._tx():
            current = self.drive(drive_id).generation
            if generation != current:
                self._db.execute("DELETE FROM items WHERE drive_id = ? AND generation != ?", (drive_id, generation))
                self._db.execute("UPDATE drives SET reconciled_at = ? WHERE drive_id = ?", (now, drive_id))
            self._db.execute(
                "UPDATE drives SET generation = ?, delta_link = ? WHERE drive_id = ?",
                (generation, delta_link, drive_id),
            )
            self._db.execute("DELETE FROM items WHERE drive_id = ? AND generation = ? AND deleted = 1",
                             (drive_id, generation))  # fmt: skip
            fix_paths(self._db, drive_id, generation)

    # -- permissions ------------------------------------------------------------------------------------

    def reconcile_due(self, drive_id: str, interval: float, now: float) -> bool:
        """Whether a full permission reconcile is due; if so every file is marked dirty now (the marks
        survive a failed run, so a long reconcile finishes over several runs instead of restarting)."""
        drive = self.drive(drive_id)
        if now - drive.reconciled_at < interval:
            return False
        with self._lock, self._tx():
            self._db.execute(
                "UPDATE items SET dirty = 1 WHERE drive_id = ? AND generation = ?", (drive_id, drive.generation)
            )
            self._db.execute("UPDATE drives SET reconciled_at = ? WHERE drive_id = ?", (now, drive_id))
        return True

    def dirty_files(self, drive_id: str, max_size: int) -> list[str]:
        """Files whose permissions are to be read (those over ``max_size`` are never indexed: skipped)."""
        generation = self.drive(drive_id).generation
        rows = self._db.execute(
            "SELECT item_id FROM items WHERE drive_id = ? AND generation = ? AND dirty = 1 AND deleted = 0 "
            "AND is_folder = 0 AND size <= ? ORDER BY path",
            (drive_id, generation, max_size),
        ).fetchall()
        return [r[0] for r in rows]

    def store_acls(self, drive_id: str, results: Sequence[AclResult]) -> None:
        """What items' permissions map to, in one transaction; an unsettled result (the permissions could
        not be read) keeps its item dirty."""
        rows = [
            (_acl_json(r.acl), json.dumps(list(r.problems)), r.fingerprint, int(not r.settled), drive_id, r.item_id)
            for r in results
        ]
        with self._lock, self._tx():
            generation = self.drive(drive_id).generation
            self._db.executemany(
                "UPDATE items SET acl_json = ?, problems = ?, perm_fp = ?, dirty = ? "
                "WHERE drive_id = ? AND item_id = ? AND generation = ?",
                [(*row, generation) for row in rows],
            )

    def acl_tokens(self) -> set[str]:
        """Every token some mirrored ACL holds (which site groups are worth reading)."""
        found: set[str] = set()
        for (payload,) in self._db.execute("SELECT DISTINCT acl_json FROM items WHERE acl_json IS NOT NULL"):
            for part in json.loads(payload):
                found.update(part)
        return found

    # -- reading ----------------------------------------------------------------------------------------

    def files(self) -> Iterator[MirroredFile]:
        """Every file of every drive's current generation, by drive and path."""
        rows = self._db.execute(
            f"SELECT {_FILE_COLUMNS} FROM items i JOIN drives d ON d.drive_id = i.drive_id "  # noqa: S608 - constant
            "WHERE i.generation = d.generation AND d.delta_link IS NOT NULL AND i.is_folder = 0 AND i.deleted = 0 "
            "ORDER BY i.drive_id, i.path, i.item_id"
        ).fetchall()
        for row in rows:
            yield _file(row)

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if kind is not None else "COMMIT")


def _acl_json(acl: AccessControl | None) -> str | None:
    return None if acl is None else json.dumps([sorted(acl.allow), sorted(acl.deny), sorted(acl.share)])


def _file(row: Sequence[Any]) -> MirroredFile:
    drive_id, item_id, name, path, size, hash_, etag, ctag, modified, web_url, payload, problems, dirty = row
    acl = None
    if payload is not None:
        allow, deny, share = json.loads(payload)
        try:
            acl = AccessControl(frozenset(allow), frozenset(deny), frozenset(share))
        except AccessControlError:
            acl = None
    return MirroredFile(
        drive_id, item_id, name, path, size, hash_, etag, ctag, modified, web_url, acl,
        tuple(json.loads(problems)), bool(dirty),
    )  # fmt: skip
