"""The load side of ``ragwarden bench throughput``: a realistic query stream and closed-loop clients.

The stream is what a search box sees: people typing (the page asks again at each pause, so a query's
prefixes arrive before it, word by word and mid-word) and the same FAQ questions asked by many people
(a few questions most of the time: Zipf-like weights). Each request is sent as one of the users, at random.
"""

from __future__ import annotations

import random
import re
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from ragwarden.evaluation.percentiles import p95


def typed(text: str) -> list[str]:
    """What a search box sends while ``text`` is typed: each word's end, and the middle of longer words."""
    out: list[str] = []
    for match in re.finditer(r"\S+", text):
        end, word = match.end(), match.group()
        if len(word) >= 8:
            out.append(text[: match.start() + len(word) // 2])
        out.append(text[:end])
    return [q for q in out if len(q.strip()) >= 3]


def query_stream(queries: Sequence[str], faq: Sequence[str], users: Sequence[str], count: int, seed: int = 16) -> list[
    tuple[str, str]
]:
    """``count`` (user, query) pairs: half typed searches (all their prefixes, in order), half FAQ questions
    drawn with weight 1/rank."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(faq))]
    out: list[tuple[str, str]] = []
    while len(out) < count:
        user = rng.choice(users)
        if rng.random() < 0.5:
            out.extend((user, q) for q in typed(rng.choice(queries)))
        else:
            out.append((user, rng.choices(faq, weights)[0]))
    return out[:count]


@dataclass
class Level:
    clients: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p95(self) -> float:
        return p95(self.latencies_ms)


def closed_loop(url: str, headers_for: dict[str, dict[str, str]], stream: list[tuple[str, str]], clients: int) -> Level:
    """``clients`` threads, each sending its next request as soon as its last one is answered, until the
    stream is used up. Every request is a page of 10 with facets, as the search page asks."""
    level, lock, position = Level(clients), threading.Lock(), [0]

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    if position[0] >= len(stream):
                        return
                    user, query = stream[position[0]]
                    position[0] += 1
                started = time.perf_counter()
                try:
                    r = http.post("/v1/search", json={"query": query, "limit": 10}, headers=headers_for[user])
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if ok:
                        level.latencies_ms.append(elapsed)
                    else:
                        level.errors += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.seconds = time.perf_counter() - started
    return level
