"""Group commit in the chained log: threads appending while another writes are written together, in one write
and one fsync, yet each caller returns only once its own record is durable, with that record's own hash; a body
that is not JSON fails only the caller who brought it; a record stamped before the day the log has reached goes
into the open day (days only move forward)."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ragwarden.audit import log as log_module
from ragwarden.audit.log import ChainedLog
from ragwarden.audit.records import day_file, digest
from ragwarden.audit.verify import verify_log
from ragwarden.core.errors import AuditUnavailableError

DAY1 = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)


def _lines(directory: Path) -> dict[str, bytes]:
    """Each record's line by its hash."""
    found = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            found[digest(line)] = line
    return found


def test_concurrent_appends_share_fsyncs_and_each_gets_its_own_durable_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs: list[int] = []
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:  # a disk that takes its time: the others queue meanwhile
        time.sleep(0.01)
        real_fsync(fd)
        fsyncs.append(fd)

    monkeypatch.setattr(log_module.os, "fsync", slow_fsync)
    chain = ChainedLog(tmp_path / "audit")
    returned: dict[str, str] = {}

    def write(worker: int) -> None:
        for n in range(20):
            marker = f"w{worker}-{n}"
            before = len(fsyncs)
            returned[marker] = chain.append({"event": "search", "marker": marker})
            assert len(fsyncs) > before  # durable before it returned: at least one fsync since it was queued

    workers = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    report = verify_log(tmp_path / "audit")
    assert report.intact and report.records == 160, report.problems
    lines = _lines(tmp_path / "audit")
    for marker, hashed in returned.items():
        assert f'"marker":"{marker}"'.encode() in lines[hashed]
    assert len(fsyncs) <= 120, len(fsyncs)  # grouped: fewer fsyncs than records (about half, seen here)


def test_a_body_that_is_not_json_fails_only_its_caller(tmp_path: Path) -> None:
    chain = ChainedLog(tmp_path / "audit", durable=False)
    bad: dict[str, Any] = {"event": "search", "when": object()}
    with pytest.raises(AuditUnavailableError, match="cannot be encoded"):
        chain.append(bad)
    good = chain.append({"event": "search"})
    assert digest(_lines(tmp_path / "audit")[good]) == good
    report = verify_log(tmp_path / "audit")
    assert report.intact and report.records == 1, report.problems


def test_a_record_stamped_before_the_open_day_goes_into_the_open_day(tmp_path: Path) -> None:
    chain = ChainedLog(tmp_path / "audit", durable=False)
    chain.append({"event": "search"}, DAY1)
    chain.append({"event": "search"}, DAY1 + timedelta(seconds=2))  # the next day: day 1 closed
    late = chain.append({"event": "search"}, DAY1)  # waited over midnight
    day2 = (DAY1 + timedelta(seconds=2)).date()
    assert late in {digest(line) for line in (tmp_path / "audit" / day_file(day2)).read_bytes().splitlines()}
    report = verify_log(tmp_path / "audit")
    assert report.intact and report.records == 3 and len(report.checkpoints) == 1, report.problems


def test_an_unforeseen_error_while_another_thread_writes_fails_every_waiting_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's own call raises what went wrong; callers whose records it had taken raise too, and none of
    them returns as if its record were in the log."""
    chain = ChainedLog(tmp_path / "audit", durable=False)
    chain.append({"event": "search"})  # the log exists
    taken = threading.Event()
    real_write = ChainedLog._write

    def broken_write(self: ChainedLog, *args: Any) -> Any:
        taken.wait(5)  # the followers are queued by now
        time.sleep(0.2)
        raise RuntimeError("a bug")

    monkeypatch.setattr(ChainedLog, "_write", broken_write)
    outcomes: list[str] = []

    def write(n: int) -> None:
        try:
            chain.append({"event": "search", "n": n})
            outcomes.append("returned")
        except AuditUnavailableError:
            outcomes.append("unavailable")
        except RuntimeError:
            outcomes.append("the bug")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    threads[0].start()
    time.sleep(0.1)
    for t in threads[1:]:
        t.start()
    time.sleep(0.1)
    taken.set()
    for t in threads:
        t.join()
    assert "returned" not in outcomes and len(outcomes) == 4, outcomes
    monkeypatch.setattr(ChainedLog, "_write", real_write)
    report = verify_log(tmp_path / "audit")
    assert report.intact and report.records == 1, report.problems
