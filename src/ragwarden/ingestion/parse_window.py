"""What one sync pass keeps in flight while workers parse, and how its progress is counted.

:class:`InFlight` is the pass's window onto the :class:`~ragwarden.ingestion.parse_pool.ParsePool`: documents go
in in scan order and come back in scan order (so the index is written in the order it would be without workers),
and no more than ``max_docs`` documents or ``max_bytes`` of their content are held at once: a scan of a million
files is never read ahead of the parsers. Without a pool the same window parses in this process, one document at
a time, as a sync always did; the engine has one code path.

A pool that is not ready yet does not hold a pass up: its documents are parsed in this process meanwhile. A pass
starts the workers once it has met :data:`START_AFTER` documents to parse, so that a one-off ``ragwarden ingest``
of a few files does not wait seconds for workers to load the parsers (a server starts them as it warms up).

:class:`DoneFeed` counts an item when the pass is done with it (written, failed, or found unchanged), not when
the scan hands it over: with documents in flight, those are far apart, and a progress bar or a job's ``done``
must not run ahead of the index.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from ragwarden.core.models import Chunk, SourceDocument
from ragwarden.ingestion.parse_pool import ChunkMaker, ParsePool

T = TypeVar("T")
#: How many documents a pass keeps in flight per worker: enough to keep them busy while the pass embeds a batch.
DOCS_PER_WORKER = 16
#: The content bytes a pass holds in flight at most (one larger document still goes, alone).
MAX_BYTES = 64 * 1024 * 1024
#: Documents to parse a pass meets before it starts a pool's workers (they take seconds to load the parsers).
START_AFTER = 8


class InFlight(Generic[T]):
    """Documents of one pass being parsed, each with the caller's ``entry`` for it, oldest first."""

    def __init__(
        self,
        pool: ParsePool | None,
        make_chunks: ChunkMaker,
        *,
        max_docs: int | None = None,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self._pool, self._make_chunks = pool, make_chunks
        self.max_docs = max_docs if max_docs is not None else (DOCS_PER_WORKER * pool.workers if pool else 1)
        self.max_bytes = max_bytes
        self._queue: deque[tuple[T, Future[list[Chunk]], int]] = deque()
        self.bytes = 0
        self.peak_docs = self.peak_bytes = 0  # the most held at once (the bound, as tests check it)
        self.added = self.pooled = 0  # documents taken in, and how many of them went to the pool

    def __len__(self) -> int:
        return len(self._queue)

    def entries(self) -> list[T]:
        return [entry for entry, _, _ in self._queue]

    def room_for(self, size: int) -> list[tuple[T, Future[list[Chunk]]]]:
        """Wait, oldest first, until a document of ``size`` bytes fits; returns those finished meanwhile."""
        out = []
        while self._queue and (len(self._queue) >= self.max_docs or self.bytes + size > self.max_bytes):
            out.append(self._pop())
        return out

    def add(self, entry: T, doc: SourceDocument, data: bytes) -> None:
        self.added += 1
        if self._pool is not None and self._pool_ready(self._pool):
            future = self._pool.submit(doc, data)
            self.pooled += 1
        else:
            future = Future()
            try:
                future.set_result(self._make_chunks(doc, data))
            except Exception as exc:  # noqa: BLE001 - handed back with the result, as a worker's would be
                future.set_exception(exc)
        self._queue.append((entry, future, len(data)))
        self.bytes += len(data)
        self.peak_docs = max(self.peak_docs, len(self._queue))
        self.peak_bytes = max(self.peak_bytes, self.bytes)

    def _pool_ready(self, pool: ParsePool) -> bool:
        if not pool.ready and self.added >= START_AFTER and pool.failed is None:
            pool.start()
        return pool.ready

    def finished(self) -> list[tuple[T, Future[list[Chunk]]]]:
        """The oldest documents that are done, without waiting (a later one waits for an earlier one)."""
        out = []
        while self._queue and self._queue[0][1].done():
            out.append(self._pop())
        return out

    def drain(self) -> Iterator[tuple[T, Future[list[Chunk]]]]:
        """Every document still in flight, oldest first, each as soon as it is done."""
        while self._queue:
            yield self._pop()

    def cancel(self) -> None:
        """The pass stops early (an error): what has not started is not parsed."""
        for _, future, _ in self._queue:
            future.cancel()
        self._queue.clear()
        self.bytes = 0

    def _pop(self) -> tuple[T, Future[list[Chunk]]]:
        entry, future, size = self._queue.popleft()
        try:
            future.exception()  # waits; the result or error is the caller's to take
        finally:
            self.bytes -= size
        return entry, future


Progress = Callable[[Iterable[Any]], Iterable[Any]]


class DoneFeed(Generic[T]):
    """Feeds ``progress`` (a wrapper over an iterable: a progress bar, a job counter) one item per item done."""

    def __init__(self, progress: Progress | None) -> None:
        self._queue: deque[T] = deque()
        self._counted: Iterator[Any] | None = iter(progress(self._items())) if progress is not None else None

    def _items(self) -> Iterator[T]:
        while self._queue:
            yield self._queue.popleft()

    def done(self, items: Iterable[T]) -> None:
        if self._counted is None:
            return
        for item in items:
            self._queue.append(item)
            next(self._counted, None)

    def finish(self) -> None:
        """The pass is over: the wrapper sees its iterable end (a progress bar closes)."""
        if self._counted is not None:
            for _ in self._counted:
                pass
            self._counted = None
