"""The search side of ``ragwarden bench freshness``: a client searching as the benchmark's users (and
reading the server's source status and passes), and the steady background query load every figure
is measured under.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import httpx

from ragwarden.evaluation.bench_freshness_corpus import ADMIN, DEPARTMENTS, FILLER, SOURCE, word
from ragwarden.testing.live_server import LiveServer

LOAD_THREADS = 4  # a search stuck behind the sync must not hold the others back


class Client:
    """Searches as the benchmark's users over one kept-alive connection (one client per thread)."""

    def __init__(self, server: LiveServer) -> None:
        self._server = server
        self._http = httpx.Client(base_url=server.url, timeout=120)

    def results(self, user: str, query: str) -> list[dict[str, Any]]:
        response = self._http.post("/v1/search", headers=self._server.headers(user), json={"query": query})
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def shows(self, user: str, query: str, path: str, text: str | None = None) -> bool:
        hits = self.results(user, query)
        return any(r["path"] == path and (text is None or text in r["snippet"].lower()) for r in hits)

    def busy(self) -> bool:
        """Is a pass of the source running or queued?"""
        response = self._http.get("/v1/admin/sources", headers=self._server.headers(ADMIN))
        response.raise_for_status()
        scheduler = next(s for s in response.json()["sources"] if s["name"] == SOURCE)["scheduler"]
        return bool(scheduler.get("running") or scheduler.get("queued"))

    def passes(self) -> dict[tuple[str, str], tuple[int, float]]:
        """(pass kind, outcome) -> (count, seconds) of this server's passes, from ``/metrics``."""
        from prometheus_client.parser import text_string_to_metric_families

        out: dict[tuple[str, str], tuple[int, float]] = {}
        for family in text_string_to_metric_families(self._http.get("/metrics").text):
            for sample in family.samples if family.name == "ragwarden_sync_duration_seconds" else ():
                key = (sample.labels["pass"], sample.labels["outcome"])
                count, seconds = out.get(key, (0, 0.0))
                if sample.name.endswith("_count"):
                    out[key] = (int(sample.value), seconds)
                elif sample.name.endswith("_sum"):
                    out[key] = (count, sample.value)
        return out

    def close(self) -> None:
        self._http.close()


class QueryLoad:
    """``rate`` searches per second from a few threads (random user, a real document's word); every
    latency is kept with its start time, so any window of the run can be read back."""

    def __init__(self, server: LiveServer, docs: int, rate: float) -> None:
        self._server, self._docs, self._period = server, docs, LOAD_THREADS / rate
        self.samples: list[tuple[float, float]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(LOAD_THREADS)]

    def __enter__(self) -> QueryLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(150)

    def _run(self, n: int) -> None:
        client, rng = Client(self._server), random.Random(n)
        next_at = time.monotonic() + n * self._period / LOAD_THREADS
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            query = f"{rng.choice(FILLER)} {word('zd', rng.randrange(self._docs))}"
            started = time.monotonic()
            try:
                client.results(f"u-{rng.choice(DEPARTMENTS)}", query)
                self.samples.append((started, time.monotonic() - started))
            except httpx.HTTPError as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            next_at = max(next_at + self._period, time.monotonic())  # late: go now, never in a burst
        client.close()

    def between(self, start: float, end: float) -> list[float]:
        return [seconds for at, seconds in list(self.samples) if start <= at < end]
