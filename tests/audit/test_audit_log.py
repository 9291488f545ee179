"""The audit log itself: every kind of tampering is named by ``verify``; a record that cannot be written is
an error (never a silent gap) and leaves no half line behind; threads and processes writing one directory
keep one unbroken chain; a destroyed pseudonym key unlinks a person without breaking the chain."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ragwarden.audit.keys import KEY_FILE
from ragwarden.audit.records import day_file
from ragwarden.audit.sink import AuditLog, open_audit_log
from ragwarden.audit.verify import verify_log
from ragwarden.core.audit import AuditEvent, Grant, SeenDocument, granting_tokens
from ragwarden.core.errors import AuditUnavailableError
from ragwarden.core.models import AccessControl

DAY1 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def event(
    user: str = "alice", when: datetime | None = None, doc: str = "doc-1", query: str | None = None
) -> AuditEvent:
    seen = SeenDocument(doc, (f"{doc}#0",), "v1", (Grant(user, "group:hr", None),))
    return AuditEvent("rest", "search", user, (seen,), query, None, when or datetime.now(UTC))


def open_log(base: Path, **kwargs: bool) -> AuditLog:
    return open_audit_log(base / "audit", base / "keys", record_queries=bool(kwargs.get("queries", False)))


@pytest.fixture
def three_days(tmp_path: Path) -> Iterator[Path]:
    """Five records on each of three days: files of 5 records + a checkpoint, and the open newest day."""
    sink = open_log(tmp_path)
    for day in range(3):
        for n in range(5):
            sink.record(event(when=DAY1 + timedelta(days=day, minutes=n), doc=f"doc-{day}-{n}"))
    sink.close()
    yield tmp_path / "audit"


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def problems(directory: Path) -> list[str]:
    return verify_log(directory).problems


def test_an_untouched_log_verifies_with_a_checkpoint_per_closed_day(three_days: Path) -> None:
    report = verify_log(three_days)
    assert report.intact, report.problems
    assert report.records == 15 and report.files == 3
    assert [day for day, _ in report.checkpoints] == ["2026-11-30", "2026-12-01"]


def test_an_edited_byte_is_named_by_file_and_line(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date())
    data = bytearray(path.read_bytes())
    at = data.index(b"doc-0-2")
    data[at + 4] = ord("9")  # doc-0-2 → doc-9-2
    path.write_bytes(bytes(data))
    found = problems(three_days)
    assert found == [f"{path.name}:3: record 3 was edited (its hash is not what record 4 carries)"], found


def test_a_removed_record_is_named(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date())
    rows = lines(path)
    del rows[1]
    path.write_bytes(b"".join(rows))
    found = problems(three_days)
    assert any("record 2 is missing (removed)" in p for p in found), found
    assert any("checkpoint of 2026-11-30 is broken" in p for p in found), found  # it counted 5


def test_two_swapped_records_are_named(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date() + timedelta(days=1))
    rows = lines(path)
    rows[1], rows[2] = rows[2], rows[1]
    path.write_bytes(b"".join(rows))
    found = problems(three_days)
    assert any(p.startswith("records swapped: record 8 is at") for p in found), found


def test_a_truncated_newest_file_is_found_through_the_head(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date() + timedelta(days=2))
    path.write_bytes(b"".join(lines(path)[:-2]))
    found = problems(three_days)
    assert any("the newest file was cut (truncated)" in p for p in found), found


def test_a_truncated_older_file_misses_its_checkpoint(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date())
    path.write_bytes(b"".join(lines(path)[:-2]))
    found = problems(three_days)
    assert any(f"{path.name} ends without its checkpoint" in p for p in found), found


def test_a_file_cut_mid_line_is_named(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date() + timedelta(days=1))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    found = problems(three_days)
    assert any("the last line is incomplete" in p for p in found), found


def test_a_missing_day_file_is_named(three_days: Path) -> None:
    missing = day_file(DAY1.date() + timedelta(days=1))
    (three_days / missing).unlink()
    found = problems(three_days)
    assert any(p.startswith(f"{missing} is missing") for p in found), found


def test_a_broken_checkpoint_is_named(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date())
    rows = lines(path)
    rows[-1] = rows[-1].replace(b'"records":5', b'"records":4')
    path.write_bytes(b"".join(rows))
    found = problems(three_days)
    assert any("the checkpoint of 2026-11-30 is broken" in p for p in found), found


def test_an_edited_newest_record_disagrees_with_the_head(three_days: Path) -> None:
    path = three_days / day_file(DAY1.date() + timedelta(days=2))
    path.write_bytes(path.read_bytes().replace(b"doc-2-4", b"doc-2-5"))
    found = problems(three_days)
    assert found == [f"{path.name}:5: the newest record was edited (it does not match the head)"], found


def test_a_disk_that_refuses_the_write_fails_the_record_and_leaves_no_half_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = open_log(tmp_path)
    sink.record(event())
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        real_write(fd, data[:10])  # part of the line reached the disk, then it was full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(AuditUnavailableError, match="No space left"):
        sink.record(event())
    monkeypatch.setattr(os, "write", real_write)
    sink.record(event())
    report = verify_log(tmp_path / "audit")
    assert report.intact and report.records == 2, report.problems


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes whatever the mode: the live test remounts read-only")
def test_a_read_only_directory_fails_the_record(tmp_path: Path) -> None:
    sink = open_log(tmp_path)
    sink.record(event())
    (tmp_path / "audit").chmod(0o500)
    for name in os.listdir(tmp_path / "audit"):
        (tmp_path / "audit" / name).chmod(0o400)
    try:
        with pytest.raises(AuditUnavailableError):
            sink.record(event())
    finally:
        (tmp_path / "audit").chmod(0o700)


def test_threads_keep_one_chain(tmp_path: Path) -> None:
    sink = open_log(tmp_path)
    workers = [threading.Thread(target=lambda: [sink.record(event()) for _ in range(50)]) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    report = verify_log(tmp_path / "audit")
    assert report.intact and report.records == 200, report.problems


def _write_many(base: str, user: str) -> None:
    sink = open_log(Path(base))
    for _ in range(100):
        sink.record(event(user))


def test_processes_sharing_the_directory_keep_one_chain(tmp_path: Path) -> None:
    """``serve --no-sync`` processes may share one audit directory: the file lock orders their appends."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(str(tmp_path), f"user{n}")) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    report = verify_log(tmp_path / "audit")
    assert report.intact and report.records == 300, report.problems


def test_the_log_holds_pseudonyms_only_and_a_destroyed_key_unlinks_a_person(tmp_path: Path) -> None:
    sink = open_log(tmp_path)
    sink.record(event("alice", query="Gehalt Müller"))
    sink.record(event("bob"))
    text = "".join(p.read_text() for p in (tmp_path / "audit").glob("audit-*.jsonl"))
    assert "alice" not in text and "bob" not in text
    assert "Gehalt" not in text  # query text only with RAGWARDEN_AUDIT_QUERIES
    alice = sink.keys.existing("alice")
    assert alice is not None and alice in text
    sink.close()
    with sqlite3.connect(tmp_path / "keys" / KEY_FILE) as db:  # what a DSGVO erasure will do
        db.execute("DELETE FROM pseudonym_keys WHERE principal = 'alice'")
    again = open_log(tmp_path)
    assert again.keys.existing("alice") is None and again.keys.principals({alice}) == {}
    bob = again.keys.pseudonym("bob")
    assert again.keys.forget("bob") and again.keys.pseudonym("bob") != bob  # a new visit: a new, unrelated key
    assert verify_log(tmp_path / "audit").intact


def test_query_text_is_recorded_only_when_opted_in(tmp_path: Path) -> None:
    sink = open_log(tmp_path, queries=True)
    sink.record(event(query="Gehalt"))
    record = json.loads((tmp_path / "audit" / day_file(datetime.now(UTC).date())).read_text())
    assert set(record["query"]) == {"id", "sha256"}  # the text is kept apart: tests/audit/test_query_texts.py
    assert sink.texts.texts({record["query"]["id"]}) == {record["query"]["id"]: "Gehalt"}


def test_the_key_store_must_live_outside_the_log(tmp_path: Path) -> None:
    from ragwarden.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="must not be inside"):
        open_audit_log(tmp_path / "audit", tmp_path / "audit" / "keys", record_queries=False)


def test_the_granting_token_is_the_smallest_match_and_names_the_share_token() -> None:
    acl = AccessControl(allow=frozenset({"group:staff", "group:hr"}), share=frozenset({"group:all", "everyone"}))
    tokens = frozenset({"user:hanna", "group:staff", "group:hr", "everyone", "group:all"})
    assert granting_tokens(acl, tokens) == ("group:hr", "everyone")
    assert granting_tokens(AccessControl(allow=frozenset({"group:hr"})), frozenset({"group:hr"})) == ("group:hr", None)
    assert granting_tokens(AccessControl(allow=frozenset({"group:hr"}), deny=frozenset({"user:x"})),
                           frozenset({"group:hr", "user:x"})) is None


def test_a_missing_head_stops_the_writer(tmp_path: Path) -> None:
    sink = open_log(tmp_path)
    sink.record(event())
    (tmp_path / "audit" / "audit-head.json").unlink()
    with pytest.raises(AuditUnavailableError, match="missing"):
        sink.record(event())
    assert any("audit-head.json is missing" in p for p in problems(tmp_path / "audit"))
    shutil.rmtree(tmp_path / "audit")


def test_verify_beside_a_writer_checks_the_snapshot_and_raises_no_false_alarm(tmp_path: Path) -> None:
    sink = open_log(tmp_path)
    sink.record(event())
    done = threading.Event()

    def write() -> None:
        for _ in range(300):
            sink.record(event())
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    reports = []
    while not done.is_set():
        reports.append(verify_log(tmp_path / "audit"))
    writer.join()
    assert reports and all(r.intact for r in reports), [r.problems for r in reports if not r.intact][:3]
    assert verify_log(tmp_path / "audit").records == 301
