"""Parsing and chunking in worker processes, so that a sync parses several documents while it embeds others.

A parser holds the interpreter for a whole native call (pdfminer, lxml, the tokenizer), so threads would not
overlap it with the embedder; processes do. One :class:`ParsePool` serves a whole process (:func:`shared_pool`):
its workers start when a pass has enough to parse (:mod:`~ragwarden.ingestion.parse_window`) or when a server warms
up (:meth:`ParsePool.start`), and stay for every later pass, as the scheduler runs them. Workers are spawned, never
forked (the parent has torch loaded); each (:mod:`~ragwarden.ingestion.parse_worker`) prepares its own environment
(:func:`~ragwarden.core.runtime.prepare_process`: offline, no usage pings) and nobody else's: the parent's
environment is not touched. If they cannot start, the error is logged and passes parse in their own process.

Each worker runs one document at a time over its own pipe, so when a worker dies (a parser segfault on a
malformed file, the kernel's OOM killer), the pool knows which document it held: that document alone fails,
with the reason, a new worker takes the dead one's place and every other document goes on. What a pass keeps in
flight, in which order it takes results back, and how progress is counted is
:mod:`ragwarden.ingestion.parse_window`.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from ragwarden.core.errors import ConfigurationError, ParseError
from ragwarden.core.models import Chunk, SourceDocument
from ragwarden.ingestion.parse_worker import MakerRecipe, work

log = logging.getLogger(__name__)

ChunkMaker = Callable[[SourceDocument, bytes], list[Chunk]]


@dataclass(eq=False)
class _Task:
    future: Future[list[Chunk]]
    doc: SourceDocument
    data: bytes


@dataclass(eq=False)
class _Worker:
    process: Any  # multiprocessing's SpawnProcess
    conn: Connection
    ready: bool = False
    task: _Task | None = None
    dead: bool = field(default=False)


class ParsePool:
    """``workers`` processes that turn ``(document, bytes)`` into chunks with what ``recipe`` builds."""

    def __init__(self, recipe: MakerRecipe, workers: int, *, nice: int = 0) -> None:
        if workers < 1:
            raise ConfigurationError("a parse pool needs at least one worker")
        self.recipe, self.workers = recipe, workers
        # Workers run at the sync's lower priority, relative to the process (not to the thread that spawns them).
        self._priority = _priority_of(nice)
        self._lock = threading.Lock()
        self._tasks: deque[_Task] = deque()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()  # set once a worker is ready, or once they cannot start (``failed``)
        self.failed: str | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._closing = False
        self.crashes = 0  # workers lost mid-document so far (for tests and operators)

    def submit(self, doc: SourceDocument, data: bytes) -> Future[list[Chunk]]:
        """The chunks of ``doc`` from a worker, later: a per-item error (``ParseError``...) comes back as the
        future's exception, as it would have been raised in-process."""
        future: Future[list[Chunk]] = Future()
        with self._lock:
            if self._closing:
                raise ConfigurationError("the parse pool is closed")
            self._tasks.append(_Task(future, doc, data))
            self._start()
        self._wake()
        return future

    def start(self, wait_ready: float | None = None) -> bool:
        """Start the workers now (a server warming up); with ``wait_ready``, wait that many seconds at most for
        them to be ready. Returns whether they are."""
        with self._lock:
            self._start()
        ready = self._ready.wait(wait_ready) if wait_ready is not None else self._ready.is_set()
        return ready and self.failed is None

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def ready(self) -> bool:
        """Whether a worker is ready to take documents (not whether the pool was started)."""
        return self._ready.is_set() and self.failed is None

    def close(self) -> None:
        """Stop the workers; documents still queued are cancelled."""
        with self._lock:
            self._closing = True
            thread = self._thread
        self._wake()
        if thread is not None:
            thread.join(30)

    # -- the dispatcher thread --------------------------------------------------------------------

    def _start(self) -> None:
        """Called with the lock held."""
        if self._thread is None and not self._closing:
            self._ready.clear()
            self.failed = None
            self._thread = threading.Thread(target=self._dispatch, name="ragwarden-parse-pool", daemon=True)
            self._thread.start()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:  # already woken, and not yet read
            pass

    def _dispatch(self) -> None:
        workers: list[_Worker] = []
        try:
            workers += [self._spawn() for _ in range(self.workers)]
            while not self._closing:
                self._assign(workers)
                waitables: list[Any] = [self._wake_r]
                for w in workers:
                    waitables += [w.conn, w.process.sentinel]
                ready = wait(waitables, timeout=5.0)
                if self._wake_r in ready:
                    os.read(self._wake_r, 4096)
                for i, w in enumerate(workers):
                    if w.conn in ready:
                        self._receive(w)
                    if w.dead or w.process.sentinel in ready:
                        workers[i] = self._replace(w)
        except Exception as exc:  # noqa: BLE001 - no workers: every document waiting fails the pass, said why
            log.error("the parse workers cannot start: %s", exc)
            self.failed = f"the parse workers cannot start: {_first_line(exc)}"
            self._fail_queued(ConfigurationError(self.failed))
            self._ready.set()
        finally:
            self._stop(workers)

    def _spawn(self) -> _Worker:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # the parent has torch loaded: never fork it
        parent, child = context.Pipe()
        process = context.Process(
            target=work, args=(child, self.recipe, self._priority), name="ragwarden-parse", daemon=True
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _assign(self, workers: list[_Worker]) -> None:
        for w in workers:
            if not (w.ready and w.task is None and not w.dead):
                continue
            task = self._next_task()
            if task is None:
                return
            try:
                w.conn.send((task.doc, task.data))
                w.task = task
            except (OSError, ValueError) as exc:  # the worker died before it could take it: the next one will
                log.warning("parse worker gone before taking a document: %s", exc)
                with self._lock:
                    self._tasks.appendleft(task)
                w.dead = True

    def _next_task(self) -> _Task | None:
        with self._lock:
            while self._tasks:
                task = self._tasks.popleft()
                if task.future.set_running_or_notify_cancel():
                    return task
        return None

    def _receive(self, w: _Worker) -> None:
        try:
            ok, value = w.conn.recv()
        except (EOFError, OSError):
            w.dead = True
            return
        if not w.ready:
            if not ok:
                raise _CannotStart(str(value))
            w.ready = True
            self._ready.set()
            return
        task, w.task = w.task, None
        if task is not None:
            if ok:
                task.future.set_result(value)
            else:
                task.future.set_exception(value)

    def _replace(self, w: _Worker) -> _Worker:
        """A dead worker: the document it held fails (and only that one); a new worker takes its place."""
        w.process.join(5)
        how = _exit_reason(w.process.exitcode)
        if not w.ready:
            raise _CannotStart(f"a worker exited while starting ({how})")
        if w.task is not None:
            self.crashes += 1
            log.warning("parse worker %s while parsing %s; a new one takes its place", how, w.task.doc.source_uri)
            w.task.future.set_exception(
                ParseError(f"the parser crashed on this file (worker process {how}); the file is not indexed")
            )
        w.conn.close()
        return w if self._closing else self._spawn()

    def _fail_queued(self, error: Exception) -> None:
        with self._lock:
            tasks, self._tasks = list(self._tasks), deque()
            self._thread = None  # the next submit tries again, with fresh workers
        for task in tasks:
            if task.future.set_running_or_notify_cancel():
                task.future.set_exception(error)

    def _stop(self, workers: list[_Worker]) -> None:
        for w in workers:
            if w.task is not None and not w.task.future.done():
                w.task.future.set_exception(ConfigurationError("the parse pool was closed"))
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        for w in workers:
            w.process.join(5)
            if w.process.is_alive():
                w.process.terminate()
            w.conn.close()
        if self._closing:
            for task in self._tasks:
                task.future.cancel()


class _CannotStart(Exception):
    pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def _priority_of(nice: int) -> int | None:
    if nice <= 0 or not hasattr(os, "getpriority"):
        return None
    return min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + nice)


_shared: dict[tuple[Any, int, int], ParsePool] = {}
_shared_lock = threading.Lock()


def shared_pool(recipe: MakerRecipe, workers: int, *, nice: int = 0) -> ParsePool | None:
    """The process's pool for ``recipe`` (one per recipe, worker count and priority): started at first use,
    reused by every later pass, stopped when the process exits. None for 0 or 1 worker: parse in this
    process, one document at a time, as a sync did before there were workers."""
    if workers <= 1:
        return None
    key = (recipe, workers, nice)
    with _shared_lock:
        pool = _shared.get(key)
        if pool is None:
            if not _shared:
                atexit.register(_close_shared)
            pool = _shared[key] = ParsePool(recipe, workers, nice=nice)
        return pool


def _close_shared() -> None:
    with _shared_lock:
        pools = list(_shared.values())
        _shared.clear()
    for pool in pools:
        pool.close()
