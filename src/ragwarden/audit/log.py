"""The writer of the hash-chained log: one record at a time, in order, from any thread or process.

Each append holds a thread lock and an ``fcntl`` lock on the directory's lock file (several ``serve --no-sync``
processes may share one audit directory), re-reads the head (another process may have written since), closes
the previous day with its checkpoint when the day changed, appends the line with ``O_APPEND``, makes it durable
and then rewrites the head. A failed write is cut back off the file, so the log never keeps half a record; the
caller gets :class:`AuditUnavailableError` and returns nothing.

Durability: ``fsync`` before any record's append returns (``durable=True``, the default) -- a request is answered
only once its record would survive a power cut. **Group commit**: threads that append while another thread is
writing queue their records, and the next writer takes the whole queue in one write and one ``fsync``, in the order
they came; each caller still returns only once its own record is durable, with its own hash. Under twenty
concurrent searches that is one ``fsync`` per handful of records instead of a queue of them, each paid in line
(measured by ``ragwarden bench throughput``, configuration "audit off"; ``ragwarden bench audit``: README).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import dataclass, field
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


@dataclass
class _Ticket:
    """One caller's records waiting for the next writer; ``last`` or ``error`` once written (or not)."""

    bodies: list[dict[str, Any]]
    when: datetime
    done: bool = False
    last: str = ""
    error: AuditUnavailableError | None = field(default=None, repr=False)


def _fail(batch: list[_Ticket], error: AuditUnavailableError) -> None:
    """Every ticket of ``batch`` not yet written ends with ``error``: its caller raises, never returns."""
    for ticket in batch:
        if not ticket.done:
            ticket.error, ticket.done = error, True


class _Unencodable(Exception):
    """Body number ``index`` of a write is not JSON (nothing was written)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class ChainedLog:
    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        self.directory = directory
        self.durable = durable
        self._lock = threading.Lock()  # held by the one thread writing (for itself and the queue)
        self._queue_lock = threading.Lock()
        self._queue: list[_Ticket] = []
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise AuditUnavailableError(f"cannot create the audit directory {directory}: {exc}") from exc

    def append(self, body: dict[str, Any], when: datetime | None = None) -> str:
        """Append one record (``body`` without the chain fields); returns its hash."""
        return self.append_many([body], when)

    def append_many(self, bodies: list[dict[str, Any]], when: datetime | None = None) -> str:
        """Append records of one moment in one write (and one fsync): a bulk import, or ``bench audit``
        making a million records without a million fsyncs. Returns the last one's hash.

        Group commit: the records join the queue; whoever holds the writer's lock next writes everything
        queued, so a caller whose records another thread wrote meanwhile finds them done."""
        ticket = _Ticket(bodies, when or datetime.now(UTC))
        with self._queue_lock:
            self._queue.append(ticket)
        with self._lock:
            if not ticket.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if ticket.error is not None:
            raise AuditUnavailableError(str(ticket.error)) from ticket.error
        return ticket.last

    def _commit(self, batch: list[_Ticket]) -> None:
        """Write ``batch`` in order under the directory's lock: consecutive tickets of one day in one write.
        Every ticket ends done, with its last hash or the error that kept it out of the log."""
        try:
            try:
                lock = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise AuditUnavailableError(f"the audit log cannot be written: {exc}") from exc
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
                head = self._head()
                while pending := [t for t in batch if not t.done]:
                    head = self._commit_day(head, pending)
            finally:
                os.close(lock)  # releases the flock
        except AuditUnavailableError as exc:
            _fail(batch, exc)
        except BaseException as exc:  # unforeseen (an OSError outside the write, a bug): nobody may think it written
            _fail(batch, AuditUnavailableError(f"the audit log cannot be written: {exc}"))
            raise

    def _commit_day(self, head: Head, pending: list[_Ticket]) -> Head:
        """The leading tickets of ``pending`` that fall on one day, written together. A ticket stamped
        before the day the log has reached (a thread that waited over midnight) goes into the open day:
        days only move forward."""
        open_day = day_of(head.file) if head.file else None
        days = [max(t.when.astimezone(UTC).date(), open_day) if open_day else t.when.astimezone(UTC).date()
                for t in pending]  # fmt: skip
        group = pending[: next((i for i, d in enumerate(days) if d != days[0]), len(days))]
        if head.file and open_day != days[0]:
            head = self._close_day(head, days[0], group[0].when)
        before = head.last
        try:
            head, lasts = self._write(head, [b for t in group for b in t.bodies], days[0])
        except _Unencodable as bad:  # only the caller who brought it fails; the rest is written next round
            end = 0
            for ticket in group:
                end += len(ticket.bodies)
                if end > bad.index:
                    ticket.error, ticket.done = AuditUnavailableError(str(bad)), True
                    break
            return head
        end = 0
        for ticket in group:
            end += len(ticket.bodies)
            ticket.last, ticket.done = lasts[end - 1] if end else before, True
        return head

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

    def _write(self, head: Head, bodies: list[dict[str, Any]], day: date) -> tuple[Head, list[str]]:
        """``bodies`` appended in one write; the new head and each record's hash."""
        name = day_file(day)
        same = head.file == name
        count, last = head.count, head.last
        lines: list[bytes] = []
        hashes: list[str] = []
        for body in bodies:
            count += 1
            try:
                line = encode(last, count, body)
            except (TypeError, ValueError) as exc:  # not JSON: refused before anything is written
                raise _Unencodable(len(lines), f"an audit record cannot be encoded: {exc}") from exc
            lines.append(line)
            last = digest(line)
            hashes.append(last)
        if not lines:
            return head, hashes
        size = self._append_line(self.directory / name, head.size if same else 0, b"\n".join(lines))
        new = Head(count, last, name, size, (head.day_records if same else 0) + len(bodies))
        self._save_head(new)
        return new, hashes

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
