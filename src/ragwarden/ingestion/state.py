"""The sync checkpoint: what is in the index, per document, committed after the index write.

Before the index is touched for a document, the document is marked *in flight*; the commit of its new
state clears the mark in the same transaction. A crash between the two leaves the mark: the next pass
first removes every in-flight document from the index and the checkpoint, then indexes it afresh from
the source. Whatever the index did in that gap (a write, a re-stamp, a delete) is never trusted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.ingestion.tombstones import Tombstones

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_uri TEXT NOT NULL,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    file_type TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    acl_version TEXT NOT NULL,
    acl_json TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    modified TEXT,
    indexed_at TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_uri ON documents(source_uri);
CREATE TABLE IF NOT EXISTS in_flight (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    source TEXT NOT NULL,
    source_uri TEXT NOT NULL,
    reason TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (source, source_uri)
);
"""


@dataclass(frozen=True, slots=True)
class DocumentState:
    doc_id: str
    source_uri: str
    title: str
    path: str
    content_hash: str
    acl: AccessControl
    chunk_count: int
    version: str = ""  # the connector's cheap fingerprint of the file indexed ("": not known)


def _acl_json(acl: AccessControl) -> str:
    return json.dumps({"allow": sorted(acl.allow), "deny": sorted(acl.deny), "share": sorted(acl.share)})


class StateStore:
    """One SQLite connection shared by the server's request and sync threads, serialised by a lock;
    WAL lets an API process read while a worker process writes."""

    def __init__(self, path: Path) -> None:
        from ragwarden.ingestion.source_records import SourceRecords

        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        if "version" not in columns:  # a data directory from before file versions were recorded
            with self._db:
                self._db.execute("ALTER TABLE documents ADD COLUMN version TEXT NOT NULL DEFAULT ''")
        self.sources = SourceRecords(self._db, self._lock)
        self.tombstones = Tombstones(self._db, self._lock)  # forgotten documents kept out of later passes

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def source_counts(self) -> dict[str, tuple[int, int]]:
        """Per source: (documents, chunks) in the index."""
        with self._lock:
            rows = self._db.execute(
                "SELECT source, COUNT(*), COALESCE(SUM(chunk_count), 0) FROM documents GROUP BY source"
            ).fetchall()
        return {source: (int(docs), int(chunks)) for source, docs, chunks in rows}

    def failure_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT source, COUNT(*) FROM failures GROUP BY source").fetchall()
        return {source: int(n) for source, n in rows}

    def documents(self, source: str) -> dict[str, DocumentState]:
        with self._lock:
            rows = self._db.execute(
                "SELECT doc_id, source_uri, title, path, content_hash, acl_json, chunk_count, version "
                "FROM documents WHERE source = ?",
                (source,),
            ).fetchall()
        return {row[0]: _state(row) for row in rows}

    def get(self, doc_id: str) -> DocumentState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc_id, source_uri, title, path, content_hash, acl_json, chunk_count, version "
                "FROM documents WHERE doc_id = ?",
                (doc_id,),
            ).fetchone()
        return _state(row) if row else None

    def find(self, text: str) -> Iterator[DocumentState]:
        """Documents whose id, path or URI equals ``text`` or whose path ends with it."""
        with self._lock:
            rows = self._db.execute(
                "SELECT doc_id, source_uri, title, path, content_hash, acl_json, chunk_count, version FROM documents "
                "WHERE doc_id = ?1 OR path = ?1 OR source_uri = ?1 OR path LIKE '%/' || ?1 ORDER BY path",
                (text,),
            ).fetchall()
        return (_state(row) for row in rows)

    def by_uri(self, source: str, source_uri: str) -> DocumentState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc_id, source_uri, title, path, content_hash, acl_json, chunk_count, version "
                "FROM documents WHERE source = ? AND source_uri = ?",
                (source, source_uri),
            ).fetchone()
        return _state(row) if row else None

    def commit_documents(self, written: list[tuple[SourceDocument, int]]) -> None:
        """Record documents whose chunks are in the index, in one transaction per written batch."""
        now = datetime.now(UTC).isoformat()
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        doc.doc_id,
                        doc.source,
                        doc.source_uri,
                        doc.title,
                        doc.path,
                        doc.file_type,
                        doc.content_hash,
                        doc.acl.version,
                        _acl_json(doc.acl),
                        chunk_count,
                        doc.modified.isoformat() if doc.modified else None,
                        now,
                        doc.version,
                    )
                    for doc, chunk_count in written
                ],
            )
            self._db.executemany(
                "DELETE FROM failures WHERE source = ? AND source_uri = ?",
                [(doc.source, doc.source_uri) for doc, _ in written],
            )
            self._db.executemany("DELETE FROM in_flight WHERE doc_id = ?", [(doc.doc_id,) for doc, _ in written])

    def commit_acls(self, changes: list[tuple[str, AccessControl]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE documents SET acl_version = ?, acl_json = ? WHERE doc_id = ?",
                [(acl.version, _acl_json(acl), doc_id) for doc_id, acl in changes],
            )
            self._db.executemany("DELETE FROM in_flight WHERE doc_id = ?", [(d,) for d, _ in changes])

    def commit_versions(self, versions: list[tuple[str, str]]) -> None:
        """The same content found in another file version (a copy put in place, a touched file)."""
        with self._lock, self._db:
            self._db.executemany("UPDATE documents SET version = ? WHERE doc_id = ?", [(v, d) for d, v in versions])

    def remove(self, doc_ids: list[str]) -> None:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM documents WHERE doc_id = ?", [(d,) for d in doc_ids])
            self._db.executemany("DELETE FROM in_flight WHERE doc_id = ?", [(d,) for d in doc_ids])

    def begin_writes(self, source: str, doc_ids: list[str]) -> None:
        """Mark documents whose index points are about to change (cleared by their commit)."""
        if doc_ids:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR IGNORE INTO in_flight VALUES (?, ?)", [(d, source) for d in doc_ids]
                )

    def in_flight(self, source: str) -> list[str]:
        """Documents a crashed pass was changing: neither their index points nor their row can be trusted."""
        with self._lock:
            rows = self._db.execute("SELECT doc_id FROM in_flight WHERE source = ?", (source,)).fetchall()
        return sorted(doc_id for (doc_id,) in rows)

    def record_failure(self, source: str, item: FailedItem) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO failures VALUES (?,?,?,?,?)",
                (source, item.source_uri, item.reason, item.kind, datetime.now(UTC).isoformat()),
            )

    def clear_failures(self, source: str, keep: set[str]) -> None:
        """Forget failures of items that no longer fail (or no longer exist)."""
        with self._lock:
            rows = self._db.execute("SELECT source_uri FROM failures WHERE source = ?", (source,)).fetchall()
        stale = [(source, uri) for (uri,) in rows if uri not in keep]
        with self._lock, self._db:
            self._db.executemany("DELETE FROM failures WHERE source = ? AND source_uri = ?", stale)

    def failures(self, source: str | None = None) -> list[FailedItem]:
        query = "SELECT source_uri, reason, kind FROM failures"
        with self._lock:
            cursor = self._db.execute(query + " WHERE source = ?", (source,)) if source else self._db.execute(query)
            rows = cursor.fetchall()
        return [FailedItem(uri, reason, kind) for uri, reason, kind in rows]


def _state(row: tuple[Any, ...]) -> DocumentState:
    acl = json.loads(row[5])
    return DocumentState(
        doc_id=row[0],
        source_uri=row[1],
        title=row[2],
        path=row[3],
        content_hash=row[4],
        acl=AccessControl(frozenset(acl["allow"]), frozenset(acl["deny"]), frozenset(acl["share"])),
        chunk_count=row[6],
        version=row[7],
    )
