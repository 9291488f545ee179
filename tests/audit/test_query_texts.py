"""Query text in the audit, kept apart from the chain with its own retention: recorded only when opted in (the
record then carries a keyed hash, never the text); retention deletes the old texts and nothing else, and
``audit verify`` still passes; who-saw/what-saw show the text while it is kept; a DSGVO export holds a person's
texts and erasure deletes them (verify passes after); an edited, removed or hidden text is named by verify."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ragwarden.audit.query_texts import QUERY_DIR, query_file
from ragwarden.audit.records import day_file
from ragwarden.audit.sink import AuditLog
from ragwarden.audit.verify import verify_log
from ragwarden.core.settings import Settings
from ragwarden.ingestion.state import StateStore
from ragwarden.services import audit as audit_questions
from ragwarden.services import privacy
from tests.audit.test_audit_log import event, open_log

DAY1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAYS = 4


def _settings(base: Path, **extra: object) -> Settings:
    return Settings(data_dir=base, audit_dir=base / "audit", audit_key_dir=base / "keys", **extra)  # type: ignore[arg-type]


def _records(base: Path) -> list[dict[str, object]]:
    files = sorted((base / "audit").glob("audit-*.jsonl"))
    return [json.loads(line) for p in files for line in p.read_text().splitlines()]


def _texts(base: Path) -> list[str]:
    return sorted(p.name for p in (base / "audit" / QUERY_DIR).glob("queries-*.jsonl"))


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    """Alice and Bob search on four days, with query texts recorded."""
    sink = open_log(tmp_path, queries=True)
    for day in range(DAYS):
        when = DAY1 + timedelta(days=day)
        sink.record(event("alice", when, f"doc-{day}", query=f"Gehalt Müller Tag {day}"))
        sink.record(event("bob", when + timedelta(minutes=1), f"doc-{day}", query=f"Urlaub Tag {day}"))
    sink.close()
    return tmp_path


def test_the_text_is_recorded_only_when_opted_in_and_never_in_the_chain(tmp_path: Path) -> None:
    off = open_log(tmp_path / "off")
    off.record(event(query="Gehalt Müller"))
    off.close()
    assert "query" not in _records(tmp_path / "off")[0] and not (tmp_path / "off" / "audit" / QUERY_DIR).exists()

    on = open_log(tmp_path / "on", queries=True)
    on.record(event(query="Gehalt Müller"))
    on.close()
    (record,) = _records(tmp_path / "on")
    assert set(record["query"]) == {"id", "sha256"}  # type: ignore[arg-type]
    assert "Gehalt" not in (tmp_path / "on" / "audit" / day_file(datetime.now(UTC).date())).read_text()
    (entry,) = [json.loads(x) for x in (tmp_path / "on" / "audit" / QUERY_DIR).glob("*.jsonl").__next__().open()]
    assert entry["text"] == "Gehalt Müller" and entry["id"] == record["query"]["id"]  # type: ignore[index]
    assert "alice" not in json.dumps(entry)  # the caller as their pseudonym only
    assert verify_log(tmp_path / "on" / "audit").intact


def test_retention_deletes_the_old_texts_and_nothing_else_and_verify_passes(logged: Path) -> None:
    settings = _settings(logged, retention_audit_queries="1d", retention_audit=None)
    now = DAY1 + timedelta(days=DAYS - 1, hours=2)
    audit_days = sorted(p.name for p in (logged / "audit").glob("audit-*.jsonl"))
    before = len(_records(logged))
    report = privacy.retention(settings, None, now)
    # days 1 and 2 ended more than a day before now (day 3 ended 11 hours ago)
    assert report["audit_query_files"] == [query_file((DAY1 + timedelta(days=d)).date()) for d in (0, 1)]
    assert report["audit_files"] == []
    assert _texts(logged) == [query_file((DAY1 + timedelta(days=d)).date()) for d in (2, 3)]
    assert sorted(p.name for p in (logged / "audit").glob("audit-*.jsonl")) == audit_days  # no record went
    assert len(_records(logged)) == before + 1  # the query-retention record
    result = verify_log(logged / "audit")
    assert result.intact, result.problems

    with closing(StateStore(logged / "state.sqlite3")) as state:
        seen = audit_questions.what_saw(settings, state, "alice", None)["seen"]
    assert [row["query"] for row in seen] == [None, None, "Gehalt Müller Tag 2", "Gehalt Müller Tag 3"]


def test_query_texts_never_outlive_the_audit_retention(logged: Path) -> None:
    settings = _settings(logged, retention_audit_queries="", retention_audit="1d")
    report = privacy.retention(settings, None, DAY1 + timedelta(days=DAYS - 1, hours=2))
    assert report["audit_query_files"] and len(report["audit_query_files"]) == len(report["audit_files"])
    assert verify_log(logged / "audit").intact


def test_export_holds_a_persons_texts_and_erasure_deletes_them_while_verify_passes(logged: Path) -> None:
    settings = _settings(logged)
    exported = privacy.export(settings, "alice")
    texts = [t["text"] for t in exported["audit"]["query_texts"]]
    assert texts == [f"Gehalt Müller Tag {d}" for d in range(DAYS)]
    ids = {r["query"]["id"] for r in exported["audit"]["records"]}
    assert ids == {t["id"] for t in exported["audit"]["query_texts"]}

    report = privacy.erase(settings, "alice")
    assert report["query_texts"] == DAYS and report["pseudonym_keys"] == 1
    kept = "".join((logged / "audit" / QUERY_DIR / n).read_text() for n in _texts(logged))
    assert "Gehalt" not in kept and kept.count("Urlaub") == DAYS  # Bob's stay
    result = verify_log(logged / "audit")
    assert result.intact, result.problems
    with closing(StateStore(logged / "state.sqlite3")) as state:
        bob = audit_questions.who_saw(settings, state, "doc-0", None, resolve=True)["seen"]
    assert {(r["reader_principal"], r["query"]) for r in bob} == {(None, None), ("bob", "Urlaub Tag 0")}


def test_an_edited_removed_or_hidden_text_is_named(logged: Path) -> None:
    store = logged / "audit" / QUERY_DIR
    first = store / query_file(DAY1.date())
    saved = first.read_bytes()
    first.write_bytes(saved.replace(b"Tag 0", b"Tag 7", 1))
    assert any(f"{first.name}:1" in p and "was edited" in p for p in verify_log(logged / "audit").problems)

    first.write_bytes(b"".join(saved.splitlines(keepends=True)[1:]))  # one entry removed
    assert any("is gone but no retention or erasure" in p for p in verify_log(logged / "audit").problems)

    first.unlink()  # a whole day of texts deleted behind retention's back
    problems = verify_log(logged / "audit").problems
    assert sum("its day file is missing" in p for p in problems) == 2, problems

    first.write_bytes(saved)
    assert verify_log(logged / "audit").intact


def test_a_text_kept_without_its_record_is_noted_not_failed(logged: Path) -> None:
    sink: AuditLog = open_log(logged, queries=True)
    sink.texts.write(DAY1 + timedelta(days=DAYS), "someone", "der Request scheiterte danach")
    sink.close()
    result = verify_log(logged / "audit")
    assert result.intact and any("named by no record" in n for n in result.notes)
