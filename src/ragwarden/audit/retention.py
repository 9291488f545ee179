"""Retention of the audit log: whole day files older than ``RAGWARDEN_RETENTION_AUDIT`` are deleted, and an
**anchor** keeps the rest verifiable.

The anchor (``audit-anchor.json``) is the last checkpoint of what was deleted: its sequence number, its hash
and the day file the chain continues in. ``audit verify`` starts the chain there instead of at the genesis,
so the kept days verify as before and the deleted ones are not reported missing. The deletion itself is
recorded in the chain first (a ``retention`` record naming the anchor), so an anchor that no record confirms
-- someone deleting recent days and writing an anchor to hide it -- is named by ``verify``.

Only a log that verifies is pruned (deleting a tampered day would destroy the evidence), never the newest
file (the head's), and only whole days that ended longer ago than the retention.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ragwarden.audit.log import ChainedLog
from ragwarden.audit.query_texts import QueryTexts
from ragwarden.audit.records import (
    ANCHOR_FILE,
    LOCK_FILE,
    chain_fields,
    day_of,
    digest,
    privacy_body,
    read_head,
    replace_synced,
)
from ragwarden.audit.verify import Anchor, verify_log
from ragwarden.core.errors import AuditUnavailableError


def expire(chain: ChainedLog, retention: float, now: datetime | None = None) -> list[str]:
    """Delete the day files whose whole day ended more than ``retention`` seconds ago; the names deleted."""
    directory = chain.directory
    now = now or datetime.now(UTC)
    cutoff = (now - timedelta(seconds=retention)).date()  # a day D ended at D+1 00:00: keep D unless D+1 <= cutoff
    head = read_head(directory) or {}
    old = [p for p in _day_files(directory) if _day(p) + timedelta(days=1) <= cutoff and p.name != head.get("file")]
    if not old:
        return []
    report = verify_log(directory)
    if not report.intact:
        raise AuditUnavailableError(
            f"the audit log does not verify ({report.problems[0]}): nothing is deleted until it does"
        )
    anchor = _anchor_after(old[-1])
    chain.append(privacy_body("retention", now, {"removed": [p.name for p in old], "anchor": anchor.as_dict()}), now)
    with _writers_locked(directory):
        _write_anchor(directory, anchor)
        for path in old:
            path.unlink(missing_ok=True)
    return [p.name for p in old]


def expire_query_texts(chain: ChainedLog, retention: float, now: datetime | None = None) -> list[str]:
    """Delete the query text day files older than ``retention``; the names deleted. Named in the chain first
    (a ``query-retention`` record), so that ``verify`` takes the texts as deleted, not removed behind its back;
    no verify first: the texts must go on time, and their records (with the keyed hashes) stay as evidence."""
    now = now or datetime.now(UTC)
    texts = QueryTexts(chain.directory)
    old = texts.expired(retention, now)
    if not old:
        return []
    chain.append(privacy_body("query-retention", now, {"removed": [p.name for p in old]}), now)
    texts.remove(old)
    return [p.name for p in old]


def _day_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if day_of(p.name)) if directory.is_dir() else []


def _day(path: Path) -> Any:
    day = day_of(path.name)
    assert day is not None  # noqa: S101 - only day files are listed
    return day


def _anchor_after(path: Path) -> Anchor:
    """The anchor from the last line of ``path``, which must be its day's checkpoint."""
    with path.open("rb") as f:
        lines = f.read().splitlines()
    last = lines[-1] if lines else b""
    fields = chain_fields(last)
    if fields is None or last.find(b'"type":"checkpoint"', 0, 120) < 0:
        raise AuditUnavailableError(f"{path.name} does not end with its checkpoint: run `ragwarden audit verify`")
    body = json.loads(last)
    return Anchor(fields[1], digest(last), str(body["next"]), str(body["day"]))


def _write_anchor(directory: Path, anchor: Anchor) -> None:
    """Written whole (a temporary file renamed over it, both synced) before any day file goes."""
    replace_synced(directory / ANCHOR_FILE, json.dumps(anchor.as_dict()).encode("ascii"))
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class _writers_locked:  # noqa: N801 - used as a statement
    """The writers' lock of the log (a server appending meanwhile waits for the few unlinks)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self.fd = -1

    def __enter__(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
