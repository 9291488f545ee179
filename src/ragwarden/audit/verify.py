"""``ragwarden audit verify``: walk the chain and name every place it does not hold.

One pass over the day files in date order. Per line: its chain fields (``prev``, ``seq``) and its hash. What
each kind of tampering looks like, and how it is named:

- an edited record: the next record's ``prev`` is not its hash (or it no longer reads as a record) → its
  file and line; the newest record is checked against the head instead;
- a removed record: a gap in the sequence numbers → which numbers, and where;
- two swapped records: a number that comes after a larger one, filling an earlier gap → both, with places;
- a cut-off file: a half line at its end, a closed day without its checkpoint, or fewer records than the head
  counts (the newest file);
- a missing day file: the previous day's checkpoint names the file the chain continues in;
- a broken checkpoint: its count or last hash disagrees with the day it closes;
- after retention deleted the oldest days: the chain starts at the anchor (their last checkpoint), and an
  anchor that no ``retention`` record in the chain confirms is named (someone hiding deleted days);
- a query text (kept apart, :mod:`.query_texts`) edited or removed other than by retention or erasure: its
  file and line, or the record that names it (:mod:`.query_check`).
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragwarden.audit.query_check import QueryCheck
from ragwarden.audit.records import (
    ANCHOR_FILE,
    GENESIS,
    HEAD_FILE,
    LOCK_FILE,
    chain_fields,
    day_of,
    digest,
    read_head,
)

MAX_GAP_ENTRIES = 10_000  # beyond this, a gap is reported as one range without looking for swaps in it


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int  # the deleted days' last checkpoint: its sequence number
    last: str  # ... and its hash (what the first kept record carries as ``prev``)
    next: str  # the day file the chain continues in
    through: str  # the last day deleted

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "last": self.last, "next": self.next, "through": self.through}


def read_anchor(directory: Path) -> Anchor | None:
    try:
        body = json.loads((directory / ANCHOR_FILE).read_text())
        return Anchor(int(body["seq"]), str(body["last"]), str(body["next"]), str(body["through"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{directory / ANCHOR_FILE} is not readable: {exc}") from exc


@dataclass
class Report:
    records: int = 0  # access records (checkpoints not counted)
    files: int = 0
    checkpoints: list[tuple[str, str]] = field(default_factory=list)  # (day, hash of its checkpoint record)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass
class _Walk:
    report: Report
    expected_seq: int = 1
    expected_prev: str = GENESIS
    last_seq: int = 0
    last_where: str = "the start of the log"
    gaps: dict[int, str] = field(default_factory=dict)  # missing seq → where the gap was noticed
    in_order: bool = True
    confirmed: set[tuple[int, str]] = field(default_factory=set)  # anchors named by retention records
    texts: QueryCheck = field(default_factory=QueryCheck)  # query texts named by records

    def line(self, where: str, line: bytes) -> bytes | None:
        """Check one line; returns its hash-bearing bytes when it reads as a record."""
        fields = chain_fields(line)
        if fields is None:
            self.report.problems.append(f"{where}: not a valid record (edited or damaged)")
            self.expected_prev, self.expected_seq, self.in_order = digest(line), self.expected_seq + 1, False
            self.last_where = where
            return None
        prev, seq = fields
        if seq == self.expected_seq:
            if prev != self.expected_prev and self.in_order:
                self.report.problems.append(
                    f"{self.last_where}: record {seq - 1} was edited (its hash is not what record {seq} carries)"
                )
            self.in_order = True
        elif seq > self.expected_seq:
            self._gap(self.expected_seq, seq, where)
            self.in_order = False
        else:
            self._late(seq, where)
            self.in_order = False
        self.expected_seq = max(self.expected_seq, seq + 1)
        self.expected_prev, self.last_seq, self.last_where = digest(line), max(self.last_seq, seq), where
        return line

    def _gap(self, first: int, after: int, where: str) -> None:
        if after - first > MAX_GAP_ENTRIES:
            self.report.problems.append(f"{where}: records {first}..{after - 1} are missing (removed)")
            return
        for seq in range(first, after):
            self.gaps[seq] = where

    def _late(self, seq: int, where: str) -> None:
        earlier = self.gaps.pop(seq, None)
        if earlier is not None:
            self.report.problems.append(f"records swapped: record {seq} is at {where}, after {earlier}")
        else:
            self.report.problems.append(f"{where}: record {seq} appears again (repeated or moved)")

    def finish_gaps(self) -> None:
        for start, end, where in _ranges(self.gaps):
            what = f"record {start} is" if start == end else f"records {start}..{end} are"
            self.report.problems.append(f"{what} missing (removed), before {where}")


def verify_log(directory: Path) -> Report:
    """Verify the log as the head stood when this began: a server may go on appending meanwhile (what it
    appends after the head's snapshot, in the head's file or a newer day's, is left for the next run)."""
    report = Report()
    try:
        head = _head_snapshot(directory)
    except ValueError as exc:
        report.problems.append(str(exc))
        head = None
    files = sorted(p for p in directory.iterdir() if day_of(p.name)) if directory.is_dir() else []
    if head and head.get("file"):
        files = [p for p in files if p.name <= str(head["file"])]
    walk = _Walk(report)
    continues: str | None = None  # the file the last checkpoint says comes next
    anchor = _anchored(directory, walk)
    if anchor is not None:
        continues = anchor.next
        files = [p for p in files if p.name >= anchor.next]  # older ones: deleted, or about to be
    for index, path in enumerate(files):
        report.files += 1
        if continues is not None and continues != path.name:
            report.problems.append(f"{continues} is missing (the checkpoint before {path.name} continues there)")
        limit = int(head.get("size", 0)) if head and path.name == head.get("file") else None
        continues = _walk_file(walk, path, newest=index == len(files) - 1, limit=limit)
    walk.finish_gaps()
    _check_head(head, walk, files, continues)
    if anchor is not None and (anchor.seq, anchor.last) not in walk.confirmed:
        report.problems.append(f"{ANCHOR_FILE} is confirmed by no retention record in the chain (days hidden?)")
    walk.texts.finish(directory, report.problems, report.notes)
    return report


def _anchored(directory: Path, walk: _Walk) -> Anchor | None:
    """Start the walk at the retention anchor, when there is one."""
    try:
        anchor = read_anchor(directory)
    except ValueError as exc:
        walk.report.problems.append(str(exc))
        return None
    if anchor is not None:
        walk.expected_seq, walk.expected_prev, walk.last_seq = anchor.seq + 1, anchor.last, anchor.seq
        walk.last_where = f"the retention anchor (the checkpoint of {anchor.through})"
        walk.report.notes.append(
            f"day files up to {anchor.through} were deleted by retention; the chain is verified from their "
            f"last checkpoint (record {anchor.seq}, {anchor.last[:12]}…) on"
        )
    return anchor


def _head_snapshot(directory: Path) -> dict[str, Any] | None:
    """The head, read under the writers' lock (held for microseconds) so that it is never half-written."""
    try:
        fd = os.open(directory / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return read_head(directory)  # no lock file (an empty or copied log): nobody is writing
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return read_head(directory)
    finally:
        os.close(fd)


def _walk_file(walk: _Walk, path: Path, *, newest: bool, limit: int | None) -> str | None:
    """Walk one day file (its first ``limit`` bytes, if given); returns the file its checkpoint says comes
    next (None: no checkpoint)."""
    report, name = walk.report, path.name
    day_records, day_last, continues, read = 0, GENESIS, None, 0
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            read += len(raw)
            if limit is not None and read > limit:
                break  # appended after the snapshot
            where = f"{name}:{lineno}"
            if not raw.endswith(b"\n"):
                report.problems.append(f"{where}: the last line is incomplete (the file was cut)")
                break
            line = walk.line(where, raw[:-1])
            if continues is not None:
                report.problems.append(f"{where}: a record after the day's checkpoint")
            if line is not None and line.find(b'"type":"checkpoint"', 0, 120) > 0:
                continues = _checkpoint(report, where, line, day_records, day_last)
                continue
            if line is not None and line.find(b'"type":"privacy"', 0, 120) > 0:
                _confirms(walk, line)
            elif line is not None:
                walk.texts.record(line, where, name)
            day_records += 1
            day_last = digest(raw[:-1])
    report.records += day_records
    if continues is None and not newest:
        report.problems.append(f"{name} ends without its checkpoint (the file was cut, or records removed at its end)")
    return continues


def _confirms(walk: _Walk, line: bytes) -> None:
    body = json.loads(line)
    walk.texts.privacy(body)
    anchor = body.get("anchor") if body.get("action") == "retention" else None
    if isinstance(anchor, dict):
        walk.confirmed.add((int(anchor.get("seq", -1)), str(anchor.get("last"))))


def _checkpoint(report: Report, where: str, line: bytes, records: int, last: str) -> str:
    body = json.loads(line)
    if body.get("records") != records or body.get("last") != last:
        report.problems.append(
            f"{where}: the checkpoint of {body.get('day')} is broken: it says {body.get('records')} records "
            f"ending in {str(body.get('last'))[:12]}…, the day holds {records} ending in {last[:12]}…"
        )
    report.checkpoints.append((str(body.get("day")), digest(line)))
    return str(body.get("next"))


def _check_head(head: dict[str, Any] | None, walk: _Walk, files: list[Path], continues: str | None) -> None:
    report = walk.report
    if head is None:
        if files and not any(HEAD_FILE in p for p in report.problems):
            report.problems.append(f"{HEAD_FILE} is missing: the end of the log cannot be checked")
        return
    count, last, newest = int(head.get("count", 0)), str(head.get("last", "")), str(head.get("file", ""))
    names = {p.name for p in files}
    if newest and newest not in names and int(head.get("size", 0)) > 0:
        report.problems.append(f"{newest} is missing (the newest day file, named by the head)")
    elif continues is not None and continues not in names and continues != newest:
        report.problems.append(f"{continues} is missing (the last checkpoint continues there)")
    if count > walk.last_seq:
        report.problems.append(
            f"the log ends at record {walk.last_seq} but the head counts {count}: "
            f"the newest file was cut (truncated), or its last records removed"
        )
    elif count == walk.last_seq and walk.in_order and last != walk.expected_prev:
        report.problems.append(f"{walk.last_where}: the newest record was edited (it does not match the head)")
    elif count < walk.last_seq:
        report.notes.append(f"{walk.last_seq - count} records after the head (written just before a crash?)")


def _ranges(gaps: dict[int, str]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for seq in sorted(gaps):
        if out and out[-1][1] == seq - 1 and out[-1][2] == gaps[seq]:
            out[-1] = (out[-1][0], seq, out[-1][2])
        else:
            out.append((seq, seq, gaps[seq]))
    return out
