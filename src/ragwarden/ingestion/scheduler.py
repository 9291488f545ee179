"""Keeps every source in sync while the server answers: content syncs, permission-only passes and
change notifications, run off the event loop in worker threads.

Per source at most one pass runs at a time; a request for a pass that is already queued joins it (two
``ragwarden ingest`` of one source never run it twice). A content sync reads every ACL, so it also
satisfies a queued permission pass. A failing source is retried with exponential back-off and never
holds the others up. Every pass is recorded (:mod:`ragwarden.ingestion.source_records`): the choke
point withholds a source whose last successful permission read is older than its ``max_acl_age``.

This module is the running part (worker threads, the lock, change watchers, requests); which pass runs next
and when each is due again are the plain rules of :mod:`ragwarden.ingestion.jobs`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from ragwarden.core.errors import NotFoundError
from ragwarden.core.sources.spec import SourceSpec
from ragwarden.ingestion.jobs import Job, SourceEntry, Watcher, next_job, reschedule
from ragwarden.ingestion.source_records import PASS_ACL, PASS_CHANGES, PASS_CONTENT
from ragwarden.ingestion.sync_report import SyncReport

log = logging.getLogger(__name__)

#: Changes notified within this window are synced together.
DEBOUNCE_SECONDS = 0.3


class PassRunner(Protocol):
    def run(
        self,
        spec: SourceSpec,
        kind: str,
        progress: Callable[[Iterable[Any]], Iterable[Any]],
        paths: Sequence[str] = (),
    ) -> SyncReport:
        """Run one pass of ``kind`` over ``spec`` and record its outcome; raise when it failed. A
        :data:`PASS_CHANGES` pass syncs ``paths`` only (what a change notification named)."""

    def can_scope(self, spec: SourceSpec) -> bool:
        """Can a pass over ``spec`` be limited to some paths (else a notification runs a content sync)?"""


WatchFactory = Callable[[SourceSpec, Callable[[Any], None]], "Watcher | None"]


class Scheduler:
    def __init__(
        self,
        runner: PassRunner,
        *,
        workers: int = 2,
        watch: WatchFactory | None = None,
        backoff_base: float = 5.0,
        backoff_max: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        nice: int = 0,
    ) -> None:
        self._runner, self._watch = runner, watch
        self._backoff = (backoff_base, backoff_max)
        self._clock = clock
        self._sources: dict[str, SourceEntry] = {}
        self._jobs: dict[str, Job] = {}
        self._cond = threading.Condition()
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="ragwarden-sync", initializer=_lower_priority, initargs=(nice,)
        )
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- configuration -----------------------------------------------------------------------------

    def add(self, spec: SourceSpec, *, content_due: float = 0.0, acl_due: float = 0.0) -> None:
        """Keep ``spec`` in sync; ``*_due`` are seconds from now until the first pass of each kind."""
        now = self._clock()
        with self._cond:
            old = self._sources.get(spec.name)
            entry = SourceEntry(spec, {PASS_CONTENT: now + content_due, PASS_ACL: now + acl_due})
            if old is not None:
                entry.queued, entry.running, entry.watcher = old.queued, old.running, old.watcher
            self._sources[spec.name] = entry
            self._cond.notify_all()
        if self._thread is not None and entry.watcher is None:
            self._start_watch(entry)

    def remove(self, name: str) -> None:
        with self._cond:
            entry = self._sources.pop(name, None)
        if entry is not None and entry.watcher is not None:
            entry.watcher.stop()

    def specs(self) -> list[SourceSpec]:
        with self._cond:
            return [s.spec for s in self._sources.values()]

    # -- requests ----------------------------------------------------------------------------------

    def request(self, name: str, kind: str = PASS_CONTENT, reason: str = "requested", delay: float = 0.0) -> Job:
        """Queue a pass (or join the one already queued for this source and kind)."""
        if kind not in (PASS_CONTENT, PASS_ACL):
            raise ValueError(f"unknown pass {kind!r}")
        with self._cond:
            entry = self._sources.get(name)
            if entry is None:
                raise NotFoundError(f"no source named {name!r}")
            return self._queue(entry, kind, reason, delay)

    def notify_change(self, name: str, paths: Sequence[str] = ()) -> None:
        """A change notification: sync soon, coalescing a burst of changes into one pass. Where the
        source can sync some paths only and the notification names them, only they are synced (a
        content sync already queued covers them); otherwise the whole source."""
        with self._cond:
            entry = self._sources.get(name)
            if entry is None:
                return
            scoped = bool(paths) and PASS_CONTENT not in entry.queued and self._runner.can_scope(entry.spec)
            job = self._queue(entry, PASS_CHANGES if scoped else PASS_CONTENT, "change notification", DEBOUNCE_SECONDS)
            if scoped:
                job.paths.update(paths)

    def _queue(self, entry: SourceEntry, kind: str, reason: str, delay: float) -> Job:
        """The pass of ``kind`` queued for ``entry``, queued now if there is none (called with the lock held)."""
        job = entry.queued.get(kind)
        if job is None:
            now = self._clock()
            job = Job(entry.spec.name, kind, reason, not_before=now + delay, created=now)
            entry.queued[kind] = self._jobs[job.id] = job
            self._cond.notify_all()
        return job

    def job(self, job_id: str) -> Job | None:
        with self._cond:
            return self._jobs.get(job_id)

    def state(self, name: str) -> dict[str, Any]:
        """What the scheduler itself knows: idle/syncing/failed, and when each pass is next due."""
        with self._cond:
            entry = self._sources.get(name)
            if entry is None:
                return {}
            now = self._clock()
            running = entry.running
            return {
                "scheduled": True,
                "running": running.as_dict() if running else None,
                "queued": sorted(entry.queued),
                "next_in_seconds": {k: max(0.0, round(t - now, 1)) for k, t in entry.due.items()},
                "watching": entry.watcher is not None,
            }

    # -- the loop ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="ragwarden-scheduler", daemon=True)
        self._thread.start()
        for entry in list(self._sources.values()):
            self._start_watch(entry)

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            watchers = [s.watcher for s in self._sources.values() if s.watcher is not None]
        for watcher in watchers:
            watcher.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _start_watch(self, entry: SourceEntry) -> None:
        if not entry.spec.watch or self._watch is None:
            return
        name = entry.spec.name
        try:
            watcher = self._watch(entry.spec, lambda paths: self.notify_change(name, list(paths or ())))
        except Exception as exc:  # noqa: BLE001 - no watching: the periodic passes still run
            log.warning("source %s: cannot watch for changes: %s", name, exc)
            return
        if watcher is not None:
            watcher.start()
            entry.watcher = watcher

    def _loop(self) -> None:
        with self._cond:
            while not self._stopping:
                wait = self._dispatch()
                self._cond.wait(timeout=wait)

    def _dispatch(self) -> float:
        """Start every pass that is due; return how long to sleep (called with the lock held)."""
        now, sleep = self._clock(), 1.0
        for entry in self._sources.values():
            if entry.running is not None:
                continue
            job = next_job(entry, now, self._jobs)
            if job is None:
                pending = [j.not_before for j in entry.queued.values()] + list(entry.due.values())
                sleep = min(sleep, max(0.01, min(pending) - now))
                continue
            entry.running = job
            job.state, job.started = "running", now
            self._pool.submit(self._run, entry, job)
        return sleep

    def _run(self, entry: SourceEntry, job: Job) -> None:
        spec = entry.spec

        def counting(items: Iterable[Any]) -> Iterator[Any]:
            for item in items:
                job.done += 1
                yield item

        try:
            paths = sorted(job.paths) if job.kind == PASS_CHANGES else ()
            job.report = self._runner.run(spec, job.kind, counting, paths)
            job.state = "done"
        except Exception as exc:  # noqa: BLE001 - one source's failure never stops the scheduler
            log.warning("source %s: %s pass failed: %s", spec.name, job.kind, exc)
            job.error, job.state = str(exc) or type(exc).__name__, "failed"
        self._finish(entry, job)

    def _finish(self, entry: SourceEntry, job: Job) -> None:
        now = self._clock()
        with self._cond:
            entry.running = None
            for absorbed in job.covers:
                absorbed.report, absorbed.state, absorbed.error = job.report, job.state, job.error
                absorbed.finished.set()
            reschedule(entry, job, now, self._backoff)
            job.finished.set()
            self._forget_old_jobs()
            self._cond.notify_all()

    def _forget_old_jobs(self, keep: int = 1000) -> None:
        if len(self._jobs) > keep:
            finished = [k for k, j in self._jobs.items() if j.finished.is_set()]
            for key in finished[: len(self._jobs) - keep]:
                del self._jobs[key]


def _lower_priority(nice: int) -> None:
    """Give this pass thread a lower CPU priority (Linux schedules threads one by one), so that the
    searches of a serving process get the cores first while a long sync parses and embeds."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + nice))
    except OSError as exc:  # only ever lowers: refused nowhere we know of, and never fatal
        log.warning("cannot lower the sync threads' priority: %s", exc)
