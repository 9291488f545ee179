"""Query vectors for the search box: a bounded cache by query text, and concurrent queries in one pass.

A search page fires a request per pause in typing, and a company asks the same questions again, so many
queries were embedded a moment ago; and on two cores twenty searches embedding their queries one forward
pass each spend more on dispatch and thread hand-overs than on the model. :class:`QueryEmbedder` wraps
the query embedder of the choke point (the :class:`~ragwarden.retrieval.retriever.Retriever`; syncs keep
the plain one) and adds both:

- :class:`QueryVectorCache`, an LRU of vectors keyed by the whitespace-normalised query text. The key is the
  text alone, never the caller: a vector says nothing about who may see what (the ACL filter and the
  re-check run on every search, cached vector or not), so sharing it between users leaks nothing but the
  fact that the model once saw the text, which no caller can observe. Search *results* are never cached.
- :class:`MicroBatcher`: a caller that finds the model busy leaves its text with the one that holds it,
  which embeds everything waiting in one forward pass when its own pass ends (optionally after a short
  window). One caller alone pays nothing; under load the waiting queries share a pass.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from ragwarden.core.ports import Embedder

Vector = list[float]
BatchFn = Callable[[Sequence[str]], list[Vector]]
MAX_BATCH = 32


def normalise(text: str) -> str:
    """The cache key: whitespace collapsed and trimmed (the tokenizers split on whitespace, so the vector
    does not change); case is kept, since a cased model embeds "Bank" and "bank" apart."""
    return " ".join(text.split())


class QueryVectorCache:
    """At most ``size`` vectors, least recently used out first (~1.6 KB each for a 384-d model)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a query vector cache holds at least one vector")
        self.size = size
        self._items: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> Vector | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return list(found)  # a copy: a caller that changes its vector changes nobody else's

    def put(self, key: str, vector: Sequence[float]) -> None:
        with self._lock:
            self._items[key] = tuple(vector)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class _Pending:
    __slots__ = ("done", "error", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text, self.done = text, threading.Event()
        self.vector: Vector | None = None
        self.error: BaseException | None = None


class MicroBatcher:
    """Concurrent single-text calls of ``embed`` combined into batches of at most ``max_batch``.

    Whoever finds no pass running becomes the runner: it waits ``window`` seconds (0: not at all), takes
    everything queued, embeds it in one call, hands each caller its own row and goes on while more is
    queued. Everyone else waits for their row. An error of a pass is raised in every caller of that pass.
    """

    def __init__(self, embed: BatchFn, window: float = 0.0, max_batch: int = MAX_BATCH) -> None:
        self._embed, self._window, self._max = embed, window, max_batch
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._running = False
        self.passes = self.texts = 0

    def embed(self, text: str) -> Vector:
        mine = _Pending(text)
        with self._lock:
            self._queue.append(mine)
            lead = not self._running
            if lead:
                self._running = True
        if lead:
            self._run()
        mine.done.wait()
        if mine.error is not None:
            raise mine.error
        assert mine.vector is not None
        return mine.vector

    def _run(self) -> None:
        if self._window > 0:
            time.sleep(self._window)
        while True:
            with self._lock:
                batch, self._queue = self._queue[: self._max], self._queue[self._max :]
                if not batch:
                    self._running = False
                    return
            self._pass(batch)

    def _pass(self, batch: list[_Pending]) -> None:
        try:
            vectors = self._embed([p.text for p in batch])
            self.passes, self.texts = self.passes + 1, self.texts + len(batch)
            for pending, vector in zip(batch, vectors, strict=True):
                pending.vector = vector
        except BaseException as exc:  # noqa: BLE001 - handed to each caller of this pass, raised there
            for pending in batch:
                pending.error = exc
        finally:
            for pending in batch:
                pending.done.set()


class QueryEmbedder:
    """The ``Embedder`` port around another one: single queries through the cache and the batcher; a call
    with several texts goes straight through. Anything else (``threads``, ``replica``, ``model``) is the
    wrapped embedder's."""

    def __init__(
        self,
        inner: Embedder,
        cache_size: int = 4096,
        batching: bool = True,
        window: float = 0.0,
        fast: Any = None,
    ) -> None:
        self.inner = inner
        # ``fast``: the same model on a quicker runtime for single queries (ragwarden.ingestion.onnx_query),
        # checked to give the same vectors before it is handed over; None: ``inner`` embeds them too.
        self.fast = fast
        self._single: BatchFn = fast.embed_batch if fast is not None else inner.embed_batch
        self.cache = QueryVectorCache(cache_size) if cache_size > 0 else None
        self.batcher = MicroBatcher(self._single, window) if batching else None

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_batch(self, texts: Sequence[str]) -> list[Vector]:
        if len(texts) != 1:
            return self.inner.embed_batch(texts)
        key = normalise(texts[0])
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            return [hit]
        vector = self.batcher.embed(key) if self.batcher is not None else self._single([key])[0]
        if self.cache is not None:
            self.cache.put(key, vector)
        return [vector]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
