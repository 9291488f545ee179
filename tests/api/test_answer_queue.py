"""/v1/answer under load, through a real HTTP server (uvicorn on loopback) over the demo corpus.

The model is a gated stand-in with the in-process model's one-at-a-time lock (the real model's own
bounded wait is tested in tests/generation/test_model_lock.py), so the tests decide how long answers
take. Invariants: waiting answers never hold the threads search needs; the queue is bounded (503 +
Retry-After); one caller cannot fill it (429 + Retry-After); nobody waits past the timeout; a turn is
given back however its answer ends.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx

from ragwarden.api.answer_queue import AnswerQueue
from ragwarden.api.app import create_app
from ragwarden.evaluation.bench_page import serve
from ragwarden.testing.fakes.chat import GatedChatModel
from tests.demo_fixtures import PROXY_SECRET, Demo

QUESTION = "What is the phone extension of the IT helpdesk?"  # every demo user may read the answer


def headers(user: str) -> dict[str, str]:
    return {"X-Remote-User": user, "X-Proxy-Secret": PROXY_SECRET}


@dataclasses.dataclass
class Server:
    url: str
    model: GatedChatModel
    queue: AnswerQueue
    pool: ThreadPoolExecutor

    def ask(self, user: str, *, timeout: float = 60.0) -> Future[httpx.Response]:
        return self.pool.submit(
            httpx.post, f"{self.url}/v1/answer", json={"question": QUESTION}, headers=headers(user), timeout=timeout
        )

    def wait(self, check: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, (self.queue.running, self.queue.waiting)
            time.sleep(0.02)


@contextmanager
def answer_server(demo: Demo, **limits: Any) -> Iterator[Server]:
    settings = demo.services.settings.model_copy(update=limits)
    model = GatedChatModel(reply="The IT helpdesk is reached on extension 4242 [1].")
    services = dataclasses.replace(demo.services, settings=settings, extras={"chat_model": model})
    app = create_app(services)
    pool = ThreadPoolExecutor(max_workers=64)
    with serve(app) as url:
        try:
            yield Server(url, model, app.state.answer_queue, pool)
        finally:
            model.gate.set()  # lets every held answer finish, so the server can stop
            pool.shutdown(wait=True)


def test_search_keeps_answering_while_45_answers_wait_for_the_model(demo: Demo) -> None:
    """45 answers waiting on a busy model (more than the 40 threads of the shared pool) do not delay
    search or document look-ups: waiting answers hold no thread."""
    users = demo.users
    with answer_server(demo, answer_queue_size=100, answer_per_caller=100, answer_wait_timeout=120) as s:
        pending = [s.ask(users[i % len(users)]) for i in range(45)]
        s.wait(lambda: s.queue.running + s.queue.waiting == 45 and s.model.entered == 1)
        for _ in range(5):
            started = time.monotonic()
            r = httpx.post(f"{s.url}/v1/search", json={"query": "helpdesk"}, headers=headers("gesa"), timeout=10)
            assert r.status_code == 200 and r.json()["results"], r.text
            assert time.monotonic() - started < 5.0
        me = httpx.get(f"{s.url}/v1/me", headers=headers("hans"), timeout=10)
        assert me.status_code == 200
        s.model.gate.set()
        assert all(f.result(timeout=60).status_code == 200 for f in pending)
        assert (s.queue.running, s.queue.waiting) == (0, 0)


def test_a_full_answer_queue_refuses_with_503_and_retry_after(demo: Demo) -> None:
    """Beyond one running and two waiting answers, the next is refused at once, saying when to retry."""
    with answer_server(demo, answer_queue_size=2, answer_per_caller=5) as s:
        running = s.ask("gesa")
        s.wait(lambda: s.model.entered == 1)
        waiting = [s.ask("hans"), s.ask("clara")]
        s.wait(lambda: s.queue.waiting == 2)
        started = time.monotonic()
        refused = httpx.post(f"{s.url}/v1/answer", json={"question": QUESTION}, headers=headers("dirk"), timeout=10)
        assert refused.status_code == 503 and time.monotonic() - started < 5.0
        assert int(refused.headers["Retry-After"]) >= 1 and "waiting" in refused.json()["error"]
        s.model.gate.set()
        assert [f.result(timeout=60).status_code for f in (running, *waiting)] == [200, 200, 200]
        after = httpx.post(f"{s.url}/v1/answer", json={"question": QUESTION}, headers=headers("dirk"), timeout=30)
        assert after.status_code == 200  # the queue drained: places were given back


def test_one_caller_cannot_fill_the_queue_429_with_retry_after(demo: Demo) -> None:
    """A caller with its limit of answers in flight gets 429 + Retry-After; others still get in."""
    with answer_server(demo, answer_queue_size=10, answer_per_caller=2) as s:
        mine = [s.ask("gesa"), s.ask("gesa")]
        s.wait(lambda: s.queue.in_flight("user:gesa") == 2 or s.queue.running + s.queue.waiting == 2)
        third = httpx.post(f"{s.url}/v1/answer", json={"question": QUESTION}, headers=headers("gesa"), timeout=10)
        assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
        other = s.ask("hans")
        s.wait(lambda: s.queue.waiting == 2)  # hans was admitted behind gesa's second answer
        s.model.gate.set()
        assert [f.result(timeout=60).status_code for f in (*mine, other)] == [200, 200, 200]


def test_an_answer_waits_no_longer_than_the_timeout(demo: Demo) -> None:
    """A queued answer whose turn does not come within the wait timeout gets 503 + Retry-After."""
    with answer_server(demo, answer_wait_timeout=1.0) as s:
        running = s.ask("gesa")
        s.wait(lambda: s.model.entered == 1)
        started = time.monotonic()
        late = httpx.post(f"{s.url}/v1/answer", json={"question": QUESTION}, headers=headers("hans"), timeout=30)
        assert late.status_code == 503 and "Retry-After" in late.headers
        assert 0.9 < time.monotonic() - started < 10
        assert s.queue.waiting == 0 and s.queue.in_flight("user:hans") == 0
        s.model.gate.set()
        assert running.result(timeout=60).status_code == 200


def test_a_stream_abandoned_by_its_client_gives_its_turn_and_the_model_back(demo: Demo) -> None:
    """A client that reads the first token and hangs up frees the turn (and the model's lock) at once."""
    with answer_server(demo, answer_wait_timeout=10.0) as s:
        sse = {**headers("gesa"), "Accept": "text/event-stream"}
        with httpx.stream("POST", f"{s.url}/v1/answer", json={"question": QUESTION}, headers=sse, timeout=10) as r:
            assert r.status_code == 200
            first = next(r.iter_lines())
            assert first.startswith("event: token")
        s.wait(lambda: s.queue.running == 0, timeout=10)  # the gate was never opened
        s.model.gate.set()
        r2 = httpx.post(f"{s.url}/v1/answer", json={"question": QUESTION}, headers=headers("hans"), timeout=30)
        assert r2.status_code == 200 and "4242" in r2.json()["answer"]
        assert s.queue.in_flight("user:gesa") == 0
