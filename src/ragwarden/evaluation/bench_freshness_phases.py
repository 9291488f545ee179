"""The measurements of ``ragwarden bench freshness``: the changes made at the source and what each must
do to the search results, how long until it does, the content-sync window, and one server's run under
the query load, all collected into :class:`Results`.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ragwarden.evaluation.bench_freshness_corpus import DEPARTMENTS, Corpus, word, write_acl
from ragwarden.evaluation.bench_freshness_load import Client, QueryLoad
from ragwarden.testing.live_server import LiveServer, wait_for

# The probe's own searches are load too: at 20/s they would quadruple the load asked for and slow
# the very passes measured. Every latency is thus up to this much late (half of it on average).
PROBE_INTERVAL = 0.2


@dataclass
class Probe:
    """After a change, ``user`` searching ``query`` finds ``path`` (``text`` in its snippet), or no
    longer does."""

    user: str
    query: str
    path: str
    appears: bool
    text: str | None = None


@dataclass
class Changes:
    """The changes made to the corpus, each to a document no other change touched."""

    corpus: Corpus
    unused: list[int] = field(default_factory=list)
    created: int = 0

    def __post_init__(self) -> None:
        self.unused = list(range(self.corpus.docs))
        random.Random(7).shuffle(self.unused)

    def take(self, count: int) -> list[int]:
        if count > len(self.unused):
            raise SystemExit("not enough documents for these changes: raise --docs or lower --changes/--resync")
        taken, self.unused = self.unused[:count], self.unused[count:]
        return taken

    def make(self, kind: str) -> tuple[Callable[[], object], Probe]:
        """The change of ``kind`` to make, and what it must do to the search results."""
        root = self.corpus.root
        if kind == "new":
            self.created += 1
            dept, new = DEPARTMENTS[self.created % len(DEPARTMENTS)], word("zn", self.created)
            path = f"{dept}/p000/new{self.created:05d}.txt"
            return lambda: (root / path).write_text(f"{new}: a new page.\n"), Probe(f"u-{dept}", new, path, True, new)
        (n,) = self.take(1)
        dept, path, own, edit = self.corpus.dept(n), self.corpus.rel(n), word("zd", n), word("zk", n)
        other = DEPARTMENTS[(DEPARTMENTS.index(dept) + 1) % len(DEPARTMENTS)]
        sidecar = root / (path + ".acl.json")
        made: dict[str, tuple[Callable[[], object], Probe]] = {
            "revoke": (lambda: write_acl(sidecar, [f"group:{other}"]), Probe(f"u-{dept}", own, path, False)),
            "grant": (
                lambda: write_acl(sidecar, [f"group:{dept}", f"group:{other}"]),
                Probe(f"u-{other}", own, path, True),
            ),
            "edit": (
                lambda: (root / path).write_text(f"{edit}: {self.corpus.text(n)}"),
                Probe(f"u-{dept}", edit, path, True, edit),
            ),
            "delete": (lambda: (root / path).unlink(), Probe(f"u-{dept}", own, path, False)),
        }
        return made[kind]


@dataclass
class Results:
    latencies: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    # (seconds since the start, what, seconds it took): changes and searches, for a look at drift
    timeline: list[tuple[float, str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    idle: list[float] = field(default_factory=list)
    syncing: list[float] = field(default_factory=list)
    sync_seconds: float = 0.0
    ingest: tuple[float, bool] | None = None  # seconds, from the cache; None: the first server ingested
    server_start: list[float] = field(default_factory=list)
    passes: dict[str, dict[tuple[str, str], tuple[int, float]]] = field(default_factory=dict)
    index: tuple[str, bool | None, dict[str, float]] = ("not measured", None, {})
    smb_pass: tuple[int, float] | None = None  # the SMB permission passes: how many ran, their mean length
    targets: dict[str, float] = field(default_factory=dict)  # a mode's p95 target, where not the folder's

    def check(self, name: str, ok: bool) -> None:
        self.checks.append((name, ok))

    def raw(self) -> dict[str, Any]:
        """Every sample, for a closer look (``--json``)."""
        return {
            "latencies": {f"{mode} / {kind}": values for (mode, kind), values in self.latencies.items()},
            "idle": self.idle,
            "syncing": self.syncing,
            "timeline": self.timeline,
            "sync_seconds": self.sync_seconds,
            "server_start": self.server_start,
            "passes": {mode: {"/".join(k): v for k, v in p.items()} for mode, p in self.passes.items()},
            "index": self.index[2],
            "checks": self.checks,
        }


def measure(client: Client, apply: Callable[[], object], probe: Probe, timeout: float) -> float | None:
    """Seconds from the change until ``probe`` holds; None if it held before (a broken precondition),
    inf when it never did within ``timeout``."""

    def holds() -> bool:
        return client.shows(probe.user, probe.query, probe.path, probe.text) == probe.appears

    if holds():
        return None
    started = time.monotonic()
    apply()
    try:
        wait_for(holds, timeout, PROBE_INTERVAL)
    except TimeoutError:
        return math.inf
    return time.monotonic() - started


def changes_phase(
    server: LiveServer,
    mode: str,
    kinds: tuple[str, ...],
    changes: Changes,
    results: Results,
    rounds: int,
    pause: tuple[float, float],
    timeout: float,
) -> None:
    """``rounds`` of one change per kind, each after a random pause (a random moment of the cycle)."""
    client, rng = Client(server), random.Random(mode)
    try:
        for round_ in range(1, rounds + 1):
            seen = []
            for kind in kinds:
                time.sleep(rng.uniform(*pause))
                apply, probe = changes.make(kind)
                seconds = measure(client, apply, probe, timeout)
                name = f"{mode} {kind} {round_}: {probe.path}"
                results.check(f"{name} was {'hidden' if probe.appears else 'visible'} before", seconds is not None)
                if seconds is None:
                    continue
                seen.append(f"{kind} {seconds:.1f}")
                results.latencies.setdefault((mode, kind), []).append(seconds)
                results.timeline.append((time.monotonic() - results.started - seconds, f"{mode} / {kind}", seconds))
                results.check(f"{name} seen within {timeout:g} s", math.isfinite(seconds))
                if not probe.appears and math.isfinite(seconds):
                    stays = not any(client.shows(probe.user, probe.query, probe.path) for _ in range(3))
                    results.check(f"{name} stays gone", stays)
            print(f"  {mode}, round {round_}/{rounds}: {', '.join(seen)} s", flush=True)
    finally:
        client.close()


def sync_phase(
    server: LiveServer, load: QueryLoad, changes: Changes, args: argparse.Namespace, results: Results
) -> None:
    """Search latency idle, then while the watcher's content sync re-embeds ``--resync`` rewritten files."""
    client, corpus = Client(server), changes.corpus
    try:
        wait_for(lambda: not client.busy(), 300, 0.5)
        started = time.monotonic()
        while time.monotonic() - started < args.idle_seconds:  # the same status polls as during the sync
            client.busy()
            time.sleep(1.0)
        results.idle = load.between(started, time.monotonic())
        rewritten = changes.take(args.resync)
        started = time.monotonic()
        for n in rewritten:
            (corpus.root / corpus.rel(n)).write_text(corpus.text(n, "zr"))
        time.sleep(1.0)  # past the watcher's debounce: the pass is queued or running
        wait_for(lambda: not client.busy(), 600 + args.resync, 1.0)
        results.sync_seconds = time.monotonic() - started
        results.syncing = load.between(started, time.monotonic())
        sample = rewritten[:: max(1, len(rewritten) // 10)]
        fresh = sum(client.shows(f"u-{corpus.dept(n)}", word("zr", n), corpus.rel(n), word("zr", n)) for n in sample)
        results.check(
            f"rewritten documents searchable after the sync ({fresh}/{len(sample)} sampled)", fresh == len(sample)
        )
    finally:
        client.close()


def run_server(
    server: LiveServer,
    mode: str,
    docs: int,
    body: Callable[[LiveServer, QueryLoad], None],
    rate: float,
    results: Results,
) -> None:
    """Start ``server``, run ``body`` under the query load, record the server's passes, stop it."""
    started = time.monotonic()
    server.start(timeout=600 + docs)  # without a cache, the first server's initial pass is the ingest
    results.server_start.append(time.monotonic() - started)
    try:
        with QueryLoad(server, docs, rate) as load:
            started = time.monotonic()
            body(server, load)
            results.load += load.between(started, time.monotonic())
            results.timeline += [(at - results.started, "search", s) for at, s in load.samples]
        client = Client(server)
        results.passes[mode] = passes = client.passes()
        client.close()
    finally:
        server.stop()
    errors = f": {load.errors[0]}" if load.errors else ""
    results.check(f"{mode}: no failed search under load ({len(load.errors)} failed{errors})", not load.errors)
    failed = sum(count for (_kind, outcome), (count, _seconds) in passes.items() if outcome == "failure")
    results.check(f"{mode}: no failed pass ({failed} failed; see {server.log_path})", not failed)
