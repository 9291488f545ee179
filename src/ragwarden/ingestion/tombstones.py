"""Tombstones: documents an administrator forgot (``ragwarden privacy forget-document``) stay out of the index
until they change or disappear at the source.

For the case where the source cannot be cleaned quickly (a file share nobody may touch this week): the
document is removed from the index and the sync state at once, and each later pass skips it while the source
still holds the same content. A new version at the source (another content hash) lifts the tombstone and is
indexed as any new document; a document gone from the source takes its tombstone with it (a full pass that
no longer finds it). Kept beside the sync state, in its database and under its lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ragwarden.core.models import FailedItem, SourceDocument

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tombstones (
    source TEXT NOT NULL,
    source_uri TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (source, source_uri)
);
"""


@dataclass(frozen=True, slots=True)
class Tombstone:
    source: str
    source_uri: str
    doc_id: str
    content_hash: str
    version: str
    at: str

    def covers(self, item: SourceDocument) -> bool:
        """Is ``item`` still the forgotten content? (its hash; the connector's version when it gives no hash)"""
        if self.content_hash and item.content_hash:
            return item.content_hash == self.content_hash
        return bool(self.version) and item.version == self.version


class Tombstones:
    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db, self._lock = db, lock
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def bury(self, doc_ids: list[str]) -> list[Tombstone]:
        """Tombstones for documents the sync state holds (their source, URI, content and version now)."""
        now = datetime.now(UTC).isoformat()
        with self._lock, self._db:
            rows = self._db.execute(
                f"SELECT source, source_uri, doc_id, content_hash, version FROM documents "  # noqa: S608
                f"WHERE doc_id IN ({','.join('?' * len(doc_ids))})",
                doc_ids,
            ).fetchall()
            self._db.executemany("INSERT OR REPLACE INTO tombstones VALUES (?,?,?,?,?,?)", [(*r, now) for r in rows])
        return [Tombstone(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), now) for r in rows]

    def get(self, source: str, source_uri: str) -> Tombstone | None:
        with self._lock:
            row = self._db.execute(
                "SELECT source, source_uri, doc_id, content_hash, version, at FROM tombstones "
                "WHERE source = ? AND source_uri = ?",
                (source, source_uri),
            ).fetchone()
        return Tombstone(*row) if row else None

    def caught(self, source: str, docs: Iterable[SourceDocument]) -> set[str]:
        """The URIs of ``docs`` that have a tombstone now, each stone moved onto the content in hand. Asked by a
        pass right before and right after it writes documents: ``forget-document`` may land while the pass is
        in flight, after :meth:`filter` let the item through. Any stone present then was laid during the pass
        (the filter drops what a stone covers and lifts a stale one), so the document is dropped whatever its
        content, and the stone now covers that content: the source held it when the document was forgotten.
        One indexed lookup per document written."""
        found: set[str] = set()
        with self._lock, self._db:
            for doc in docs:
                moved = self._db.execute(
                    "UPDATE tombstones SET content_hash = ?, version = ? WHERE source = ? AND source_uri = ?",
                    (doc.content_hash, doc.version, source, doc.source_uri),
                ).rowcount
                if moved:
                    found.add(doc.source_uri)
        return found

    def all(self, source: str | None = None) -> list[Tombstone]:
        query = "SELECT source, source_uri, doc_id, content_hash, version, at FROM tombstones"
        with self._lock:
            rows = (self._db.execute(query + " WHERE source = ?", (source,)) if source else self._db.execute(query))
            return [Tombstone(*row) for row in rows.fetchall()]

    def lift(self, source: str, uris: Iterable[str]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "DELETE FROM tombstones WHERE source = ? AND source_uri = ?", [(source, u) for u in uris]
            )

    def filter(
        self, source: str, items: Iterable[SourceDocument | FailedItem], *, complete: bool
    ) -> Iterator[SourceDocument | FailedItem]:
        """``items`` without the forgotten documents whose content is unchanged. Each item is looked up as it
        comes (a document forgotten while a pass runs is skipped from then on); a tombstone whose document
        changed is lifted; after a ``complete`` scan, those of documents no longer found are lifted too."""
        seen: set[str] = set()
        for item in items:
            seen.add(item.source_uri)
            if not isinstance(item, SourceDocument):
                yield item
                continue
            stone = self.get(source, item.source_uri)
            if stone is not None and stone.covers(item):
                continue
            if stone is not None:
                self.lift(source, [item.source_uri])  # a new version at the source
            yield item
        if complete:
            self.lift(source, [t.source_uri for t in self.all(source) if t.source_uri not in seen])
