"""What an operator sees per source (``ragwarden sources``, ``GET /v1/admin/sources``, ``/readyz``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ragwarden.ingestion.source_records import SourceRecord

if TYPE_CHECKING:
    from ragwarden.ingestion.scheduler import Scheduler
    from ragwarden.ingestion.state import StateStore

MAX_FAILURES_SHOWN = 20


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _age(when: datetime | None, now: datetime) -> float | None:
    return None if when is None else round((now - when).total_seconds(), 1)


def _state(record: SourceRecord, now: datetime, running: bool) -> str:
    if record.origin == "undeclared":
        return "undeclared"
    if not record.is_fresh(now):
        return "stale"
    if running:
        return "syncing"
    return "failed" if record.failures else "idle"


def source_status(state: StateStore, scheduler: Scheduler | None = None) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    counts = state.source_counts()
    out = []
    for record in state.sources.all():
        spec = record.spec
        sched = scheduler.state(spec.name) if scheduler is not None else {}
        documents, chunks = counts.get(spec.name, (0, 0))
        failed_items = state.failures(spec.name)
        out.append(
            {
                "name": spec.name,
                "location": spec.location,
                "scheme": spec.scheme,
                "origin": record.origin,
                "state": _state(record, now, bool(sched.get("running"))),
                "documents": documents,
                "chunks": chunks,
                "content": {"last_success": _iso(record.content_ok), "age_seconds": _age(record.content_ok, now)},
                "acl": {
                    "last_success": _iso(record.acl_ok),
                    "permissions_as_of": _iso(record.acl_as_of),
                    "age_seconds": _age(record.acl_as_of, now),
                    "max_age_seconds": spec.max_acl_age,
                },
                "schedule": {
                    "content_interval": spec.content_interval,
                    "acl_interval": spec.acl_interval,
                    "watch": spec.watch,
                },
                "failures": {
                    "consecutive": record.failures,
                    "last_error": record.last_error,
                    "last_error_at": _iso(record.last_error_at),
                    "items": len(failed_items),
                    "item_reasons": [
                        {"source_uri": f.source_uri, "reason": f.reason} for f in failed_items[:MAX_FAILURES_SHOWN]
                    ],
                },
                "scheduler": sched or {"scheduled": False},
            }
        )
    return out


def not_ready_reasons(state: StateStore) -> list[str]:
    """Why this server should not take traffic: sources whose permissions are too old."""
    now = datetime.now(UTC)
    reasons = []
    for record in state.sources.all():
        if record.origin == "undeclared" or record.is_fresh(now):
            continue
        age = record.acl_age(now)
        when = "never synced" if age is None else f"permissions {age:.0f} s old"
        reasons.append(f"source {record.spec.name} is stale ({when}, max {record.spec.max_acl_age:.0f} s)")
    return reasons
