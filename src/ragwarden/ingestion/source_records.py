"""What the service knows about each source, beside the per-document checkpoint: where it is, how it
is scheduled, and when each kind of pass last succeeded or why it last failed.

``acl_as_of`` is the moment the last successful permission read *started*: every ACL in the index was
read at or after it, so ``now - acl_as_of`` bounds how old the permissions behind an answer can be.
The choke point withholds a source whose ``acl_as_of`` is older than its ``max_acl_age``.

Records come from the sources file (``origin='file'``) or from a one-off ``ragwarden ingest``
(``origin='ingest'``): a source indexed once is kept fresh by a server started later, never orphaned.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ragwarden.core.sources.spec import SourceSpec

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    spec_json TEXT NOT NULL,
    origin TEXT NOT NULL,
    content_ok TEXT,
    acl_as_of TEXT,
    acl_ok TEXT,
    last_error TEXT,
    last_error_at TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
"""

PASS_CONTENT = "content"  # noqa: S105 - a pass kind, not a secret
PASS_ACL = "acl"  # noqa: S105
# a content sync of only the paths a change notification named: it reads some ACLs, not all, so it
# never counts as a permission pass (the staleness bound is kept by the full passes)
PASS_CHANGES = "changes"  # noqa: S105


@dataclass(frozen=True, slots=True)
class SourceRecord:
    spec: SourceSpec
    origin: str
    content_ok: datetime | None  # when the last content sync finished
    acl_as_of: datetime | None  # when the last successful permission read started
    acl_ok: datetime | None  # when it finished
    last_error: str | None
    last_error_at: datetime | None
    failures: int  # consecutive failed passes

    def acl_age(self, now: datetime) -> float | None:
        return None if self.acl_as_of is None else (now - self.acl_as_of).total_seconds()

    def is_fresh(self, now: datetime) -> bool:
        """May its documents be shown? Only if declared and its permissions are young enough."""
        age = self.acl_age(now)
        return self.origin != "undeclared" and age is not None and age <= self.spec.max_acl_age


def spec_to_json(spec: SourceSpec) -> str:
    return json.dumps(
        {
            "name": spec.name,
            "location": spec.location,
            "scheme": spec.scheme,
            "watch": spec.watch,
            "acl_interval": spec.acl_interval,
            "content_interval": spec.content_interval,
            "max_acl_age": spec.max_acl_age,
            "username_env": spec.username_env,
            "password_env": spec.password_env,
            "options": dict(spec.options),
        },
        sort_keys=True,
    )


def spec_from_json(text: str) -> SourceSpec:
    data: dict[str, Any] = json.loads(text)
    data["options"] = data.get("options") or {}
    return SourceSpec(**data)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SourceRecords:
    """The ``sources`` table of the state database (shared connection, its own lock)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db, self._lock = db, lock
        with self._lock:
            self._db.executescript(SCHEMA)

    def all(self) -> list[SourceRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM sources ORDER BY name").fetchall()
        return [_record(row) for row in rows]

    def get(self, name: str) -> SourceRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        return _record(row) if row else None

    def declare(self, spec: SourceSpec, origin: str) -> None:
        """Record (or update) a source's configuration, keeping its pass history."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO sources (name, spec_json, origin) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET spec_json = excluded.spec_json, origin = excluded.origin",
                (spec.name, spec_to_json(spec), origin),
            )

    def forget(self, name: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM sources WHERE name = ?", (name,))

    def succeeded(self, name: str, kind: str, started: datetime, finished: datetime | None = None) -> None:
        """A pass of ``kind`` that started at ``started`` finished well. A content sync reads every
        ACL too, so it counts as a permission pass as well."""
        finished = finished or datetime.now(UTC)
        sets = ["acl_as_of = ?", "acl_ok = ?", "failures = 0"]
        args: list[Any] = [started.isoformat(), finished.isoformat()]
        if kind == PASS_CONTENT:
            sets.append("content_ok = ?")
            args.append(finished.isoformat())
        with self._lock, self._db:
            self._db.execute(f"UPDATE sources SET {', '.join(sets)} WHERE name = ?", (*args, name))  # noqa: S608

    def failed(self, name: str, reason: str) -> None:
        with self._lock, self._db:
            self._db.execute(
                "UPDATE sources SET last_error = ?, last_error_at = ?, failures = failures + 1 WHERE name = ?",
                (reason[:1000], datetime.now(UTC).isoformat(), name),
            )


def _record(row: tuple[Any, ...]) -> SourceRecord:
    _name, spec_json, origin, content_ok, acl_as_of, acl_ok, last_error, last_error_at, failures = row
    return SourceRecord(
        spec=spec_from_json(spec_json),
        origin=origin,
        content_ok=_when(content_ok),
        acl_as_of=_when(acl_as_of),
        acl_ok=_when(acl_ok),
        last_error=last_error,
        last_error_at=_when(last_error_at),
        failures=int(failures),
    )


class FreshnessGate:
    """The choke point's :class:`~ragwarden.retrieval.retriever.SourceGate` over the records: a source
    is shown only while its last successful permission read is younger than its ``max_acl_age``.

    The records are re-read at most every ``ttl`` seconds (a worker process may write them); ages are
    computed against the clock on every call, so the bound holds exactly whatever the cache.
    """

    def __init__(self, records: SourceRecords, ttl: float = 1.0) -> None:
        self._records, self._ttl = records, ttl
        self._cached: list[SourceRecord] = []
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._read_at = float("-inf")

    def _current(self) -> list[SourceRecord]:
        import time

        with self._lock:
            if time.monotonic() - self._read_at > self._ttl:
                self._cached = self._records.all()
                self._read_at = time.monotonic()
            return self._cached

    def fresh(self) -> frozenset[str]:
        now = datetime.now(UTC)
        return frozenset(r.spec.name for r in self._current() if r.is_fresh(now))

    def withheld(self) -> frozenset[str]:
        now = datetime.now(UTC)
        return frozenset(r.spec.name for r in self._current() if not r.is_fresh(now))
