"""The scheduler's bookkeeping: a :class:`Job` per pass, a :class:`SourceEntry` per source, and the rules that
say which pass runs next (:func:`next_job`) and when each kind is due again (:func:`reschedule`).

Apart from :mod:`ragwarden.ingestion.scheduler` (threads, the lock, watchers, requests) because these rules
are plain functions of a source's entry and the time they are given: a content sync goes before a changes
pass (and takes a queued one along) and before a permission pass; intervals run from start to start; a failed
pass is retried with exponential back-off; a content sync completes a permission pass queued before it began.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from ragwarden.core.sources.spec import SourceSpec
from ragwarden.ingestion.source_records import PASS_ACL, PASS_CHANGES, PASS_CONTENT
from ragwarden.ingestion.sync_report import SyncReport


class Watcher(Protocol):
    """Watches one source and calls back with what changed; the scheduler starts and stops it."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...


@dataclass
class Job:
    """One requested or scheduled pass; what ``ragwarden ingest`` shows a progress bar for."""

    source: str
    kind: str
    reason: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "queued"  # queued, running, done, failed
    done: int = 0  # items seen so far
    report: SyncReport | None = None
    error: str | None = None
    not_before: float = 0.0
    created: float = 0.0
    started: float = 0.0
    finished: threading.Event = field(default_factory=threading.Event)
    paths: set[str] = field(default_factory=set)  # a changes pass: the notified paths
    covers: list[Job] = field(default_factory=list)  # queued passes this one does the work of

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "source": self.source, "kind": self.kind, "state": self.state}
        out.update(done=self.done, reason=self.reason, error=self.error)
        if self.report is not None:
            out["summary"] = self.report.summary
            out["failed"] = [{"source_uri": f.source_uri, "reason": f.reason} for f in self.report.failed]
        return out


@dataclass
class SourceEntry:
    """What the scheduler keeps for one source (read and written with its lock held)."""

    spec: SourceSpec
    due: dict[str, float]
    queued: dict[str, Job] = field(default_factory=dict)
    running: Job | None = None
    failures: int = 0
    watcher: Watcher | None = None


def next_job(entry: SourceEntry, now: float, jobs: dict[str, Job]) -> Job | None:
    """The pass to start now for ``entry``, if any: a queued one that is due (a content sync first, taking
    along a queued changes pass), else one the schedule says is due (registered in ``jobs``)."""
    for kind in (PASS_CONTENT, PASS_CHANGES, PASS_ACL):
        job = entry.queued.get(kind)
        if job is not None and job.not_before <= now:
            job = entry.queued.pop(kind)
            if kind == PASS_CONTENT and PASS_CHANGES in entry.queued:  # a content sync reads them all
                job.covers.append(entry.queued.pop(PASS_CHANGES))
            return job
    for kind in (PASS_CONTENT, PASS_ACL):
        if entry.due[kind] <= now:
            job = Job(entry.spec.name, kind, "schedule", created=now)
            jobs[job.id] = job
            return job
    return None


def reschedule(entry: SourceEntry, job: Job, now: float, backoff: tuple[float, float]) -> None:
    """When each pass of ``entry`` is next due, now that ``job`` finished (``backoff``: the first delay after
    a failure and the longest); a content sync also completes the permission pass queued before it started."""
    spec = entry.spec
    if job.kind == PASS_CHANGES:
        if job.state != "done":  # what it could not sync, a content sync will (with back-off)
            entry.due[PASS_CONTENT] = min(entry.due[PASS_CONTENT], now)
    elif job.state == "done":
        entry.failures = 0
        # Intervals run from start to start: a pass that takes a while does not stretch the
        # period (permissions are as old as the start of the pass that read them).
        entry.due[PASS_ACL] = max(now, job.started + spec.acl_interval)
        if job.kind == PASS_CONTENT:
            entry.due[PASS_CONTENT] = max(now, job.started + spec.content_interval)
            covered = entry.queued.pop(PASS_ACL, None)  # a content sync re-read every ACL
            if covered is not None and covered.created <= job.started:
                covered.report, covered.state = job.report, "done"
                covered.finished.set()
            elif covered is not None:
                entry.queued[PASS_ACL] = covered
        elif job.report is not None and job.report.recovered:
            entry.due[PASS_CONTENT] = now  # a permission pass cannot re-add what it took out
    else:
        entry.failures += 1
        base, cap = backoff
        entry.due[job.kind] = now + min(cap, base * 2 ** (entry.failures - 1))
