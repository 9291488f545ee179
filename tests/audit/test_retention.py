"""Retention of the audit log: day files whose day ended longer ago than the retention are deleted, and only
those (never the newest, never a younger day); an anchor keeps the rest verifiable, so ``audit verify`` passes
and does not report the deleted days as missing; a log that does not verify is not pruned; an anchor no
retention record confirms, and a kept day deleted behind retention's back, are named. Also the pseudonym
cache of a serving process forgets a key another process destroyed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ragwarden.audit.keys import PseudonymKeys
from ragwarden.audit.log import ChainedLog
from ragwarden.audit.records import ANCHOR_FILE, day_file
from ragwarden.audit.retention import expire
from ragwarden.audit.verify import verify_log
from ragwarden.core.errors import AuditUnavailableError

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DAYS = 6


def _log(directory: Path) -> ChainedLog:
    chain = ChainedLog(directory, durable=False)
    for day in range(DAYS):
        for n in range(3):
            chain.append({"type": "access", "n": n}, START + timedelta(days=day, minutes=n))
    return chain


def _days(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("audit-*.jsonl"))


def test_only_days_older_than_the_retention_go_and_verify_still_passes(tmp_path: Path) -> None:
    chain = _log(tmp_path)
    now = START + timedelta(days=DAYS - 1, hours=1)  # the sixth day, 10:00
    removed = expire(chain, timedelta(days=3).total_seconds(), now)
    # days 1 and 2 ended more than 3 days before now (day 2 ended 3 days and 10 hours ago); day 3 did not
    assert removed == [day_file((START + timedelta(days=d)).date()) for d in (0, 1)]
    assert _days(tmp_path) == [day_file((START + timedelta(days=d)).date()) for d in range(2, DAYS)]
    report = verify_log(tmp_path)
    assert report.intact, report.problems
    assert any("deleted by retention" in n for n in report.notes)
    assert report.records == (DAYS - 2) * 3 + 1  # the kept days' records and the retention record
    assert expire(chain, timedelta(days=3).total_seconds(), now) == []  # nothing more is old enough

    chain.append({"type": "access", "n": 9}, now + timedelta(minutes=5))  # the log goes on after the anchor
    assert verify_log(tmp_path).intact


def test_the_newest_file_is_never_deleted(tmp_path: Path) -> None:
    chain = _log(tmp_path)
    removed = expire(chain, 60.0, START + timedelta(days=60))
    assert len(removed) == DAYS - 1 and day_file((START + timedelta(days=DAYS - 1)).date()) in _days(tmp_path)
    assert verify_log(tmp_path).intact


def test_a_log_that_does_not_verify_is_not_pruned(tmp_path: Path) -> None:
    chain = _log(tmp_path)
    first = tmp_path / day_file(START.date())
    first.write_bytes(first.read_bytes().replace(b'"n":1', b'"n":7'))  # evidence of tampering
    with pytest.raises(AuditUnavailableError, match="does not verify"):
        expire(chain, 60.0, START + timedelta(days=60))
    assert len(_days(tmp_path)) == DAYS and not (tmp_path / ANCHOR_FILE).exists()


def test_deleting_a_kept_day_or_forging_the_anchor_is_named(tmp_path: Path) -> None:
    chain = _log(tmp_path)
    expire(chain, timedelta(days=3).total_seconds(), START + timedelta(days=DAYS - 1, hours=1))
    third = tmp_path / day_file((START + timedelta(days=2)).date())
    saved = third.read_bytes()
    third.unlink()
    assert any(third.name in p and "missing" in p for p in verify_log(tmp_path).problems)
    third.write_bytes(saved)

    anchor = json.loads((tmp_path / ANCHOR_FILE).read_text())
    fourth = tmp_path / day_file((START + timedelta(days=3)).date())
    third.unlink()  # hide a day and move the anchor past it, as retention would have
    last = third.read_bytes() if third.exists() else saved.splitlines()[-1]
    import hashlib

    forged = anchor | {"seq": anchor["seq"] + 4, "last": hashlib.sha256(last).hexdigest(), "next": fourth.name}
    (tmp_path / ANCHOR_FILE).write_text(json.dumps(forged))
    report = verify_log(tmp_path)
    assert any("confirmed by no retention record" in p for p in report.problems), report.problems


def test_a_serving_process_forgets_a_key_another_process_destroyed(tmp_path: Path) -> None:
    serving, operator = PseudonymKeys(tmp_path), PseudonymKeys(tmp_path)
    try:
        old = serving.pseudonym("hanna")
        assert serving.pseudonym("hanna") == old  # cached
        assert operator.forget("hanna")
        new = serving.pseudonym("hanna")
        assert new != old and operator.existing("hanna") == new and operator.principals({old}) == {}
    finally:
        serving.close()
        operator.close()
