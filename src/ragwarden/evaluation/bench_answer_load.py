"""Search while answers queue: ``ragwarden bench answer-api --concurrent-answers 50``.

A real server (uvicorn on loopback) over the demo corpus with the real embedded model. Phase 1: the
searches, one after another, nothing else running. Phase 2: N answer streams (SSE) are opened by one
user whose limits are raised to N so that every one is admitted (the worst case for search: one
answer generating, N-1 waiting for the model), and the same searches run again. Printed: median and
p95 of both phases and their ratio. What remains of the ratio is CPU: the model decodes on the same
cores the search embeds its query on.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from ragwarden.evaluation.bench_answer_api import _p95
from ragwarden.evaluation.bench_page import serve


@dataclass
class Phases:
    answers: int
    idle_ms: list[float] = field(default_factory=list)
    loaded_ms: list[float] = field(default_factory=list)
    admitted: tuple[int, int] = (0, 0)  # (generating, waiting) while phase 2 ran
    statuses: Counter[str] = field(default_factory=Counter)


class Streams:
    """N answer streams held open (reading tokens) until ``stop``."""

    def __init__(self, url: str, headers: dict[str, str], questions: list[str], n: int, phases: Phases) -> None:
        self._stop = threading.Event()
        sse = {**headers, "Accept": "text/event-stream"}
        self._threads = [
            threading.Thread(target=self._one, args=(url, sse, questions[i % len(questions)], phases), daemon=True)
            for i in range(n)
        ]

    def _one(self, url: str, headers: dict[str, str], question: str, phases: Phases) -> None:
        try:
            with httpx.stream(
                "POST", f"{url}/v1/answer", json={"question": question}, headers=headers, timeout=3600
            ) as r:
                phases.statuses["cut at the end" if self._stop.is_set() else str(r.status_code)] += 1
                for _ in r.iter_lines():
                    if self._stop.is_set():
                        return
        except httpx.HTTPError:
            phases.statuses["cut at the end" if self._stop.is_set() else "failed"] += 1

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()


def _searches(client: httpx.Client, queries: list[str], count: int) -> list[float]:
    samples = []
    for i in range(count):
        started = time.perf_counter()
        r = client.post("/v1/search", json={"query": queries[i % len(queries)], "limit": 10})
        r.raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _measure(url: str, queue: Any, headers: dict[str, str], phases: Phases, searches: int) -> None:
    from ragwarden.demo.loader import load_manifest

    manifest = load_manifest()
    questions = [f["question"] for d in manifest for f in d.get("facts", [])]
    queries = [d["query"] for d in manifest if d.get("query")] or questions
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        client.post("/v1/answer", json={"question": questions[0]}).raise_for_status()  # loads the model
        _searches(client, queries, 5)  # warms the embedder
        phases.idle_ms = _searches(client, queries, searches)
        streams = Streams(url, headers, questions, phases.answers, phases)
        streams.start()
        deadline = time.monotonic() + 60
        while queue.running + queue.waiting < phases.answers and time.monotonic() < deadline:
            time.sleep(0.05)
        phases.admitted = (queue.running, queue.waiting)
        phases.loaded_ms = _searches(client, queries, searches)
        streams.stop()


def run(answers: int, searches: int, user: str) -> int:
    from ragwarden.api.app import create_app
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.services import build_services

    phases = Phases(answers)
    with tempfile.TemporaryDirectory() as tmp:
        limits = {"answer_queue_size": answers, "answer_per_caller": answers, "answer_wait_timeout": 3600}
        settings = demo_settings(tmp, **limits)
        services = build_services(settings)
        try:
            ingest_demo(services)
            headers = {"X-Remote-User": user, "X-Proxy-Secret": settings.require_proxy_secret().get_secret_value()}
            app = create_app(services)
            # quietly, and open requests cut after 2 s: the answers still queued then are the benchmark's own
            with serve(app, log_level="critical", graceful_shutdown=2) as url:
                _measure(url, app.state.answer_queue, headers, phases, searches)
        finally:
            services.close()
    _print(phases, user)
    return 0


def _print(phases: Phases, user: str) -> None:
    idle, loaded = phases.idle_ms, phases.loaded_ms
    running, waiting = phases.admitted
    print(f"/v1/search on the demo corpus as {user}, {len(idle)} searches per phase, real HTTP (uvicorn)")
    print(f"phase 2: {phases.answers} answer streams open ({running} generating, {waiting} waiting for the model)")
    print(f"{'phase':24} {'median ms':>10} {'p95 ms':>10}")
    print(f"{'idle':24} {statistics.median(idle):10.1f} {_p95(idle):10.1f}")
    print(f"{f'{phases.answers} concurrent answers':24} {statistics.median(loaded):10.1f} {_p95(loaded):10.1f}")
    print(f"{'ratio':24} {statistics.median(loaded) / statistics.median(idle):9.2f}x "
          f"{_p95(loaded) / _p95(idle):9.2f}x")
    print(f"answer streams: {dict(phases.statuses)}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
