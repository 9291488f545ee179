"""The writer of the hash-chained log: one record at a time, in order, from any thread or process.

Each append holds a thread lock and an ``fcntl`` lock on the directory's lock file (several ``serve --no-sync``
processes may share one audit directory), re-reads the head (another process may have written since), closes
the previous day with its checkpoint when the day changed, appends the line with ``O_APPEND``, makes it durable
and then rewrites the head. A failed write is cut back off the file, so the log never keeps half a record; the
caller gets :class:`AuditUnavailableError` and returns nothing.

Durability: ``fsync`` after every record (``durable=True``, the default) -- a request is answered only once its
record would survive a power cut. Measured by ``ragwarden bench audit``: see the README's figures.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ragwarden.audit.records import (
    GENESIS,
    HEAD_BYTES,
    HEAD_FILE,
    LOCK_FILE,
    checkpoint_body,
    day_file,
    day_of,
    digest,
    encode,
    read_head,
)
from ragwarden.core.errors import AuditUnavailableError


@dataclass
class Head:
    """Where the chain stands: records so far (``count`` is the last sequence number), the last record's
    hash, the newest file, its size and how many records of that day it holds."""

    count: int = 0
    last: str = GENESIS
    file: str = ""
    size: int = 0
    day_records: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "last": self.last, "file": self.file, "size": self.size,
                "day_records": self.day_records}


class ChainedLog:
    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        self.directory = directory
        self.durable = durable
        self._lock = threading.Lock()
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise AuditUnavailableError(f"cannot create the audit directory {directory}: {exc}") from exc

    def append(self, body: dict[str, Any], when: datetime | None = None) -> str:
        """Append one record (``body`` without the chain fields); returns its hash."""
        return self.append_many([body], when)

    def append_many(self, bodies: list[dict[str, Any]], when: datetime | None = None) -> str:
        """Append records of one moment in one write (and one fsync): a bulk import, or ``bench audit``
        making a million records without a million fsyncs. Returns the last one's hash."""
        when = when or datetime.now(UTC)
        with self._lock:
            try:
                lock = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise AuditUnavailableError(f"the audit log cannot be written: {exc}") from exc
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
                head = self._head()
                day = when.astimezone(UTC).date()
                if head.file and day_of(head.file) != day:
                    head = self._close_day(head, day, when)
                return self._write(head, bodies, day)
            finally:
                os.close(lock)  # releases the flock

    def _head(self) -> Head:
        try:
            found = read_head(self.directory)
        except ValueError as exc:
            raise AuditUnavailableError(f"{exc}: run `ragwarden audit verify`") from exc
        if found is None:
            if any(day_of(p.name) for p in self.directory.iterdir()):
                raise AuditUnavailableError(
                    f"{self.directory / HEAD_FILE} is missing but the log is not empty: run `ragwarden audit verify`"
                )
            return Head()
        head = Head(**found)
        return self._caught_up(head) if head.file else head

    def _caught_up(self, head: Head) -> Head:
        """The head after records a crash wrote but did not count (written, not yet in the head); a file
        shorter than the head says is refused: someone cut it, and writing on would hide that."""
        path = self.directory / head.file
        size = path.stat().st_size if path.exists() else 0
        if size == head.size:
            return head
        if size < head.size:
            raise AuditUnavailableError(f"{path} is shorter than the audit head says: run `ragwarden audit verify`")
        with path.open("rb") as f:
            f.seek(head.size)
            tail = f.read()
        complete, _, partial = tail.rpartition(b"\n")
        if partial:
            os.truncate(path, head.size + len(complete) + (1 if complete else 0))
        for line in complete.split(b"\n") if complete else []:
            head.count += 1
            head.last = digest(line)
            head.day_records += 1
        head.size = path.stat().st_size
        return head

    def _close_day(self, head: Head, day: date, when: datetime) -> Head:
        closed = day_of(head.file)
        assert closed is not None  # noqa: S101 - the head only names day files
        body = checkpoint_body(closed, head.day_records, head.last, day, when)
        line = encode(head.last, head.count + 1, body)
        self._append_line(self.directory / head.file, head.size, line)
        opened = Head(head.count + 1, digest(line), day_file(day), 0, 0)  # the new day's file, still empty
        self._save_head(opened)
        return opened

    def _write(self, head: Head, bodies: list[dict[str, Any]], day: date) -> str:
        name = day_file(day)
        same = head.file == name
        count, last, lines = head.count, head.last, []
        for body in bodies:
            count += 1
            line = encode(last, count, body)
            lines.append(line)
            last = digest(line)
        size = self._append_line(self.directory / name, head.size if same else 0, b"\n".join(lines))
        new = Head(count, last, name, size, (head.day_records if same else 0) + len(bodies))
        self._save_head(new)
        return new.last

    def _append_line(self, path: Path, size: int, line: bytes) -> int:
        """Append ``line`` to ``path`` (which holds ``size`` bytes); on failure cut the file back."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditUnavailableError(f"the audit log cannot be written: {exc}") from exc
        try:
            data = line + b"\n"
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(f"short write ({written} of {len(data)} bytes)")
            if self.durable:
                os.fsync(fd)
            return size + written
        except OSError as exc:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass  # verify will name the half line
            raise AuditUnavailableError(f"the audit log cannot be written: {exc}") from exc
        finally:
            os.close(fd)

    def _save_head(self, head: Head) -> None:
        """Overwritten in place, padded to a fixed width (one write well inside a page: renaming a fresh
        file per record cost 0.5 ms on overlayfs, more than the rest of the append). Not fsynced: after a
        crash the head may lag the log, which the next append and ``verify`` recognise (never run ahead)."""
        data = json.dumps(head.as_dict()).encode("ascii").ljust(HEAD_BYTES)
        try:
            fd = os.open(self.directory / HEAD_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.pwrite(fd, data, 0)
            finally:
                os.close(fd)
        except OSError as exc:
            raise AuditUnavailableError(f"the audit head cannot be written: {exc}") from exc
