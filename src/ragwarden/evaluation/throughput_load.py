"""The load side of ``ragwarden bench throughput``: a realistic query stream and closed-loop clients.

The stream is what a search box sees: people typing (the page asks again at each pause, so a query's
prefixes arrive before it, word by word and mid-word) and the same FAQ questions asked by many people
(a few questions most of the time: Zipf-like weights). Each request is sent as one of the users, at random.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import re
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

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


def query_stream(
    queries: Sequence[str], faq: Sequence[str], users: Sequence[str], count: int, seed: int = 16
) -> list[tuple[str, str]]:
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
    client_cpu_s: float = 0.0  # CPU the load generator itself took

    @property
    def client_cpu_ms(self) -> float:
        """The load generator's CPU per request, in ms."""
        done = len(self.latencies_ms) + self.errors
        return self.client_cpu_s * 1000 / done if done else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p95(self) -> float:
        return p95(self.latencies_ms)


def closed_loop(
    url: str,
    headers_for: dict[str, dict[str, str]],
    stream: list[tuple[str, str]],
    clients: int,
    client: str = "stdlib",
) -> Level:
    """``clients`` threads, each sending its next request as soon as its last one is answered, until the
    stream is used up. Every request is a page of 10 with facets, as the search page asks.

    ``client``: what sends them, on one kept-alive connection per thread. ``stdlib`` (``http.client``) costs
    this process ~0.4 ms of CPU per request here, ``httpx`` ~1.9 ms: on the same two cores as the server, at
    200+ requests/s httpx alone takes ~40 % of a core from it and queues its own threads on the interpreter
    lock, which the latencies then include. The CPU it took is reported (:attr:`Level.client_cpu_ms`)."""
    send = {"stdlib": _stdlib_sender, "httpx": _httpx_sender}[client](url)
    sent = {user: {**headers, "Content-Type": "application/json"} for user, headers in headers_for.items()}
    level, lock, position = Level(clients), threading.Lock(), [0]

    def run() -> None:
        with send() as post:
            while True:
                with lock:
                    if position[0] >= len(stream):
                        return
                    user, query = stream[position[0]]
                    position[0] += 1
                body = json.dumps({"query": query, "limit": 10})
                started = time.perf_counter()
                ok = post(body, sent[user])
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if ok:
                        level.latencies_ms.append(elapsed)
                    else:
                        level.errors += 1

    threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.seconds = time.perf_counter() - started
    level.client_cpu_s = time.process_time() - cpu
    return level


Post = Callable[[str, dict[str, str]], bool]


def _stdlib_sender(url: str) -> Callable[[], contextlib.AbstractContextManager[Post]]:
    parts = urllib.parse.urlsplit(url)

    @contextlib.contextmanager
    def connection() -> Iterator[Post]:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)

        def post(body: str, headers: dict[str, str]) -> bool:
            try:
                conn.request("POST", "/v1/search", body, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()  # the next request opens a new connection
                return False
            return response.status == 200

        try:
            yield post
        finally:
            conn.close()

    return connection


def _httpx_sender(url: str) -> Callable[[], contextlib.AbstractContextManager[Post]]:
    import httpx

    @contextlib.contextmanager
    def connection() -> Iterator[Post]:
        with httpx.Client(base_url=url, timeout=60) as http:

            def post(body: str, headers: dict[str, str]) -> bool:
                try:
                    r = http.post("/v1/search", content=body, headers=headers)
                except httpx.HTTPError:
                    return False
                return r.status_code == 200

            yield post

    return connection
