"""Admission for ``/v1/answer``: a bounded queue, a per-caller limit, a wait timeout, own threads.

Why: a plain (sync) route runs in anyio's default thread pool (40 threads), which search and document
look-ups share. An answer used to wait for the model inside one of those threads for as long as the
model was busy with other answers, so ~40 waiting answers starved search. Here an answer waiting for
its turn is a suspended coroutine and holds no thread; only the ``concurrency`` answers that hold a
turn run, on a limiter of their own, so search keeps its threads whatever the answer load.

Refusals say when to come back (``Retry-After``): the queue is full or the wait timed out → 503
(:class:`OverloadedError`); this caller already has ``per_caller`` answers in flight → 429
(:class:`RateLimitedError`), so one caller cannot fill the queue for everybody.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from ragwarden.core.errors import OverloadedError, RateLimitedError

T = TypeVar("T")
FIRST_GUESS_S = 10.0  # an embedded answer on 2 cores, until answers have been timed here


@dataclass
class Ticket:
    """One admitted answer: waiting for its turn, then running, then left (exactly once)."""

    principal: str
    running: bool = False
    left: bool = False
    started: float = 0.0


class AnswerQueue:
    def __init__(
        self,
        *,
        concurrency: int = 1,
        queue_size: int = 8,
        per_caller: int = 2,
        wait_timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.concurrency, self.queue_size = concurrency, queue_size
        self.per_caller, self.wait_timeout = per_caller, wait_timeout
        self._clock = clock
        self._in_flight: Counter[str] = Counter()
        self.waiting = 0
        self.running = 0
        self._turns = anyio.Semaphore(concurrency)
        # As many threads as turns: a running answer drives its model from at most one thread at a time.
        self._threads = anyio.CapacityLimiter(concurrency)
        self._answer_s = FIRST_GUESS_S  # moving average of how long a turn lasts

    @classmethod
    def from_settings(cls, settings: Any) -> AnswerQueue:
        return cls(
            concurrency=settings.answer_concurrency,
            queue_size=settings.answer_queue_size,
            per_caller=settings.answer_per_caller,
            wait_timeout=settings.answer_wait_timeout,
        )

    def in_flight(self, principal: str) -> int:
        return self._in_flight[principal]

    async def enter(self, principal: str) -> Ticket:
        """Admits the caller and waits for a turn; raises 429/503 errors when it may not wait."""
        self._admit(principal)
        ticket = Ticket(principal)
        try:
            with anyio.fail_after(self.wait_timeout):
                await self._turns.acquire()
        except TimeoutError:
            self._forget(ticket)
            raise OverloadedError(
                f"no answer slot became free within {self.wait_timeout:g} s; try again later",
                self._queue_wait(),
            ) from None
        except BaseException:
            self._forget(ticket)
            raise
        self.waiting -= 1
        self.running += 1
        ticket.running, ticket.started = True, self._clock()
        return ticket

    async def run(self, ticket: Ticket, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` on the answers' own threads (never the pool search uses)."""
        if not ticket.running or ticket.left:
            raise RuntimeError("an answer runs only while it holds a turn")
        return await anyio.to_thread.run_sync(func, *args, limiter=self._threads)

    def leave(self, ticket: Ticket) -> None:
        """Gives the turn back (idempotent)."""
        if ticket.left:
            return
        if ticket.running:
            self.running -= 1
            self._turns.release()
            took = self._clock() - ticket.started
            self._answer_s = 0.8 * self._answer_s + 0.2 * max(took, 0.1)
        else:
            self.waiting -= 1
        ticket.left = True
        self._release(ticket.principal)

    def _admit(self, principal: str) -> None:
        if self._in_flight[principal] >= self.per_caller:
            raise RateLimitedError(
                f"you already have {self.per_caller} answers in progress; wait for one to finish",
                self._clamp(self._answer_s),
            )
        if self.running >= self.concurrency and self.waiting >= self.queue_size:
            raise OverloadedError("too many answers are waiting; try again shortly", self._queue_wait())
        self._in_flight[principal] += 1
        self.waiting += 1

    def _forget(self, ticket: Ticket) -> None:
        ticket.left = True
        self.waiting -= 1
        self._release(ticket.principal)

    def _release(self, principal: str) -> None:
        self._in_flight[principal] -= 1
        if self._in_flight[principal] <= 0:
            del self._in_flight[principal]

    def _queue_wait(self) -> float:
        """A fair guess of when a place frees up: the work ahead, over the turns that serve it."""
        return self._clamp(self._answer_s * (self.waiting + self.running) / self.concurrency)

    def _clamp(self, seconds: float) -> float:
        return float(min(max(1, math.ceil(seconds)), max(1, math.ceil(self.wait_timeout))))
