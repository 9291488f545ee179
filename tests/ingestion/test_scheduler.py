"""The scheduler: one pass per source at a time, requests join a queued pass, a failing source backs off
and never holds the others up, and a content sync satisfies a permission pass queued before it began."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ragwarden.core.sources.spec import SourceSpec
from ragwarden.ingestion.scheduler import Scheduler
from ragwarden.ingestion.sync_report import SyncReport


class Runner:
    def __init__(self, seconds: float = 0.2, failing: frozenset[str] = frozenset()) -> None:
        self.seconds, self.failing = seconds, failing
        self.runs: list[tuple[str, str]] = []
        self.active: dict[str, int] = {}
        self.max_active: dict[str, int] = {}
        self.lock = threading.Lock()

    scoped = False
    paths: list[list[str]]

    def can_scope(self, spec: SourceSpec) -> bool:
        return self.scoped

    def run(
        self,
        spec: SourceSpec,
        kind: str,
        progress: Callable[[Iterable[Any]], Iterable[Any]],
        paths: Sequence[str] = (),
    ) -> SyncReport:
        with self.lock:
            self.runs.append((spec.name, kind))
            self.paths = [*getattr(self, "paths", []), list(paths)]
            self.active[spec.name] = self.active.get(spec.name, 0) + 1
            self.max_active[spec.name] = max(self.max_active.get(spec.name, 0), self.active[spec.name])
        try:
            list(progress(range(3)))
            time.sleep(self.seconds)
            if spec.name in self.failing:
                raise RuntimeError(f"{spec.name} is unreachable")
            return SyncReport(spec.name)
        finally:
            with self.lock:
                self.active[spec.name] -= 1


def spec(name: str, **kw: Any) -> SourceSpec:
    return SourceSpec(name=name, location=f"/srv/{name}", scheme="folder", **kw)


def test_requests_for_one_source_join_and_never_run_twice_at_once() -> None:
    runner = Runner(seconds=0.3)
    scheduler = Scheduler(runner, workers=4)
    scheduler.add(spec("a"), content_due=3600, acl_due=3600)
    scheduler.start()
    try:
        first = scheduler.request("a")
        time.sleep(0.1)  # first is running now
        second, third = scheduler.request("a"), scheduler.request("a")
        assert second.id == third.id != first.id  # the queued pass is joined
        assert second.finished.wait(5) and first.finished.wait(5)
        assert runner.max_active["a"] == 1
        assert runner.runs == [("a", "content"), ("a", "content")]
        assert first.done == 3 and first.state == "done"
    finally:
        scheduler.stop()


def test_a_failing_source_backs_off_and_does_not_hold_the_others_up() -> None:
    runner = Runner(seconds=0.05, failing=frozenset({"bad"}))
    scheduler = Scheduler(runner, workers=2, backoff_base=0.5, backoff_max=0.5)
    scheduler.add(spec("bad", acl_interval=0.1))
    scheduler.add(spec("good", acl_interval=0.1))
    scheduler.start()
    time.sleep(1.2)
    scheduler.stop()
    bad = [k for n, k in runner.runs if n == "bad"]
    good = [k for n, k in runner.runs if n == "good"]
    assert len(good) >= 5  # every 0.1 s
    assert 2 <= len(bad) <= 6  # retried, but only every 0.5 s
    failed = scheduler.state("bad")
    assert failed == {} or failed["scheduled"]


def test_a_content_sync_covers_a_permission_pass_queued_before_it_started() -> None:
    runner = Runner(seconds=0.3)
    scheduler = Scheduler(runner, workers=2)
    scheduler.add(spec("a"), content_due=3600, acl_due=3600)
    acl = scheduler.request("a", "acl")
    content = scheduler.request("a", "content")
    scheduler.start()
    try:
        assert content.finished.wait(5) and acl.finished.wait(5)
        assert runner.runs == [("a", "content")]
        late = scheduler.request("a", "acl")  # asked after the content sync: it runs
        assert late.finished.wait(5)
        assert runner.runs[-1] == ("a", "acl")
    finally:
        scheduler.stop()


def test_an_unknown_source_is_not_found() -> None:
    import pytest

    from ragwarden.core.errors import NotFoundError

    scheduler = Scheduler(Runner())
    with pytest.raises(NotFoundError):
        scheduler.request("nope")


def test_a_permission_pass_that_took_out_crashed_documents_brings_a_content_sync_forward() -> None:
    """A permission pass cannot re-add what its crash recovery removed: the content sync comes at once."""

    class Recovering(Runner):
        def run(
            self,
            spec: SourceSpec,
            kind: str,
            progress: Callable[[Iterable[Any]], Iterable[Any]],
            paths: Sequence[str] = (),
        ) -> SyncReport:
            report = super().run(spec, kind, progress, paths)
            report.recovered = 1 if kind == "acl" and len(self.runs) == 1 else 0
            return report

    runner = Recovering(seconds=0.01)
    scheduler = Scheduler(runner, workers=1)
    scheduler.add(spec("a"), content_due=3600, acl_due=0)
    scheduler.start()
    try:
        time.sleep(0.5)
    finally:
        scheduler.stop()
    assert runner.runs[:2] == [("a", "acl"), ("a", "content")]


def test_passes_run_at_the_lower_cpu_priority_asked_and_the_callers_thread_keeps_its_own() -> None:
    """A serving process's searches get the cores first: its sync threads are niced, it is not."""
    import os

    priorities: list[int] = []

    class Measuring(Runner):
        def run(
            self,
            spec: SourceSpec,
            kind: str,
            progress: Callable[[Iterable[Any]], Iterable[Any]],
            paths: Sequence[str] = (),
        ) -> SyncReport:
            priorities.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return super().run(spec, kind, progress, paths)

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    scheduler = Scheduler(Measuring(seconds=0.0), workers=1, nice=5)
    scheduler.add(spec("a"), content_due=3600, acl_due=3600)
    scheduler.start()
    try:
        assert scheduler.request("a").finished.wait(5)
    finally:
        scheduler.stop()
    assert priorities == [min(19, own + 5)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


def test_notified_paths_of_a_source_that_can_scope_are_synced_alone_and_a_burst_is_one_pass() -> None:
    """On a large share a notification must cost the changed paths, not a walk of everything."""
    runner = Runner(seconds=0.01)
    runner.scoped = True
    scheduler = Scheduler(runner, workers=1)
    scheduler.add(spec("a"), content_due=3600, acl_due=3600)
    scheduler.start()
    try:
        scheduler.notify_change("a", ["x/1.txt"])
        scheduler.notify_change("a", ["y", "x/1.txt"])
        time.sleep(1.0)
        scheduler.notify_change("a", [])  # "something changed": the whole source
        time.sleep(1.0)
    finally:
        scheduler.stop()
    assert runner.runs == [("a", "changes"), ("a", "content")]
    assert runner.paths[0] == ["x/1.txt", "y"]


def test_a_queued_content_sync_absorbs_notified_paths_and_a_failed_scoped_pass_brings_it_forward() -> None:
    runner = Runner(seconds=0.01, failing=frozenset({"b"}))
    runner.scoped = True
    scheduler = Scheduler(runner, workers=1, backoff_base=60)
    scheduler.add(spec("a"), content_due=3600, acl_due=3600)
    scheduler.add(spec("b"), content_due=3600, acl_due=3600)
    content = scheduler.request("a", "content", delay=0.2)
    scheduler.notify_change("a", ["x/1.txt"])  # joins the queued content sync
    scheduler.start()
    try:
        scheduler.notify_change("b", ["z.txt"])
        time.sleep(1.0)
    finally:
        scheduler.stop()
    assert content.finished.is_set()
    assert [r for r in runner.runs if r[0] == "a"] == [("a", "content")]
    assert [r for r in runner.runs if r[0] == "b"][:2] == [("b", "changes"), ("b", "content")]
