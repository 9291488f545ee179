"""The audit log, chosen from the settings, and the questions asked of it (CLI and REST alike).

``build_audit`` is the only place that picks the adapter. ``who_saw`` and ``what_saw`` read the log and
add what the sync state still knows (titles) and, for administrators, who is behind each pseudonym while
that person's key exists; auditors get pseudonyms. They open only the log, the key store and the sync state,
never the index, so they run beside a serving process and show no document text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ragwarden.audit.keys import PseudonymKeys
from ragwarden.audit.queries import what_saw as read_what_saw
from ragwarden.audit.queries import who_saw as read_who_saw
from ragwarden.audit.query_texts import QueryTexts
from ragwarden.audit.sink import AuditLog, AuditOff, open_audit_log
from ragwarden.audit.verify import Report, verify_log
from ragwarden.core.errors import InvalidRequestError
from ragwarden.core.ports import AuditSink
from ragwarden.core.settings import Settings
from ragwarden.ingestion.state import StateStore


def build_audit(settings: Settings) -> AuditSink:
    if not settings.audit:
        return AuditOff()
    return open_audit_log(settings.audit_path, settings.audit_key_path, record_queries=settings.audit_queries)


def verify_audit(settings: Settings) -> Report:
    return verify_log(settings.audit_path)


def parse_since(text: str | None) -> datetime | None:
    """``--since`` / ``since=``: an ISO date or date-time (UTC unless it says otherwise)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRequestError(f"since must be an ISO date or date-time (2026-12-01), not {text!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def who_saw(
    settings: Settings, state: StateStore, document: str, since: datetime | None, *, resolve: bool, sink: Any = None
) -> dict[str, Any]:
    """Who was shown ``document`` (a doc id, a path or a URI the sync state knows), with the grounds."""
    doc_ids = {d.doc_id for d in state.find(document)} | {document}
    rows = read_who_saw(settings.audit_path, doc_ids, since)
    _titled(state, rows)
    _queried(settings, rows)
    if resolve:
        with _keys(settings, sink) as keys:
            names = keys.principals({r["reader"] for r in rows} | {r["caller"] for r in rows})
        for row in rows:
            row["reader_principal"] = names.get(row["reader"])
            row["caller_principal"] = names.get(row["caller"])
    return {"document": document, "doc_ids": sorted(doc_ids), "since": _iso(since), "seen": rows}


def what_saw(
    settings: Settings, state: StateStore, user: str, since: datetime | None, sink: Any = None
) -> dict[str, Any]:
    """Every document ``user`` was shown (none when the log has no key for them: never seen, or erased)."""
    with _keys(settings, sink) as keys:
        pseudonym = keys.existing(user)
    rows = read_what_saw(settings.audit_path, pseudonym, since) if pseudonym else []
    _titled(state, rows)
    _queried(settings, rows)
    return {"user": user, "pseudonym": pseudonym, "since": _iso(since), "seen": rows}


def _titled(state: StateStore, rows: list[dict[str, Any]]) -> None:
    titles: dict[str, str | None] = {}
    for row in rows:
        if row["doc_id"] not in titles:
            found = state.get(row["doc_id"])
            titles[row["doc_id"]] = found.title if found else None  # forgotten or removed: no title
        row["title"] = titles[row["doc_id"]]


def _queried(settings: Settings, rows: list[dict[str, Any]]) -> None:
    """The query text of each row whose record names one, while it is kept (None once retention or erasure
    deleted it); rows of records made without ``RAGWARDEN_AUDIT_QUERIES`` get no ``query`` at all."""
    texts = QueryTexts(settings.audit_path).texts({r["query_id"] for r in rows if "query_id" in r})
    for row in rows:
        if "query_id" in row:
            row["query"] = texts.get(row.pop("query_id"))


@contextmanager
def _keys(settings: Settings, sink: Any) -> Iterator[PseudonymKeys]:
    """The serving process's key store, or one opened (and closed) for this question."""
    if isinstance(sink, AuditLog):
        yield sink.keys
        return
    keys = PseudonymKeys(settings.audit_key_path)
    try:
        yield keys
    finally:
        keys.close()


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
