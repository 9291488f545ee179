"""The query vector cache and the micro-batcher: the same vectors as one query at a time, bounded memory,
and under concurrency each caller gets its own vector. The last tests run the real shipped model."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest
import torch

from ragwarden.ingestion.embedding import SentenceTransformerEmbedder, _unit_rows
from ragwarden.ingestion.query_embedding import MicroBatcher, QueryEmbedder, QueryVectorCache, normalise


class CountingEmbedder:
    """A deterministic embedder that records its calls (and can be slow, to make callers pile up)."""

    model_id, dimension = "counting", 4

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[list[str]] = []
        self.delay = delay
        self.threads = 3

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        time.sleep(self.delay)
        return [[float(len(t)), float(sum(map(ord, t))), 1.0, 0.0] for t in texts]


def test_normalise_collapses_whitespace_and_keeps_case() -> None:
    assert normalise("  Urlaub   nehmen\t") == "Urlaub nehmen"
    assert normalise("Bank") != normalise("bank")


def test_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = QueryVectorCache(2)
    cache.put("a", [1.0])
    cache.put("b", [2.0])
    assert cache.get("a") == [1.0]  # a is now the most recent
    cache.put("c", [3.0])
    assert len(cache) == 2
    assert cache.get("b") is None and cache.get("a") == [1.0] and cache.get("c") == [3.0]
    for i in range(1000):
        cache.put(f"q{i}", [float(i)])
    assert len(cache) == 2


def test_a_cached_vector_is_a_copy() -> None:
    cache = QueryVectorCache(4)
    cache.put("a", [1.0, 2.0])
    cache.get("a")[0] = 99.0  # type: ignore[index]
    assert cache.get("a") == [1.0, 2.0]


def test_zero_size_cache_is_refused() -> None:
    with pytest.raises(ValueError):
        QueryVectorCache(0)


def test_query_embedder_embeds_a_repeated_query_once_and_delegates_the_rest() -> None:
    inner = CountingEmbedder()
    embedder = QueryEmbedder(inner, cache_size=8)
    first = embedder.embed_batch(["urlaub  nehmen"])
    assert embedder.embed_batch([" urlaub nehmen "]) == first
    assert inner.calls == [["urlaub nehmen"]]
    assert embedder.embed_batch(["a", "b"]) == inner.embed_batch(["a", "b"])  # several texts: straight through
    assert embedder.threads == 3 and embedder.model_id == "counting" and embedder.dimension == 4


def test_concurrent_callers_share_passes_and_each_gets_its_own_vector() -> None:
    inner = CountingEmbedder(delay=0.02)
    batcher = MicroBatcher(inner.embed_batch, max_batch=8)
    texts = [f"query number {i}" * (1 + i % 3) for i in range(40)]
    got: dict[str, list[float]] = {}
    start = threading.Barrier(len(texts))

    def one(text: str) -> None:
        start.wait()
        got[text] = batcher.embed(text)

    threads = [threading.Thread(target=one, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == {t: inner.embed_batch([t])[0] for t in texts}
    assert batcher.texts == 40 and batcher.passes < 40  # batched, never more than max_batch at a time
    assert max(len(c) for c in inner.calls) <= 8


def test_an_error_reaches_every_caller_of_its_pass_and_the_batcher_recovers() -> None:
    fail = threading.Event()
    fail.set()

    def embed(texts: Sequence[str]) -> list[list[float]]:
        if fail.is_set():
            raise RuntimeError("model gone")
        return [[1.0] for _ in texts]

    batcher = MicroBatcher(embed)
    with pytest.raises(RuntimeError, match="model gone"):
        batcher.embed("x")
    fail.clear()
    assert batcher.embed("x") == [1.0]


def _concurrently(embedder: SentenceTransformerEmbedder, texts: list[str]) -> np.ndarray:
    batcher = MicroBatcher(embedder.embed_batch)
    got: list[list[float]] = [[] for _ in texts]
    start = threading.Barrier(len(texts))

    def one(i: int) -> None:
        start.wait()
        got[i] = batcher.embed(texts[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return np.array(got)


QUERIES = ["Urlaubstage mitnehmen", "VPN outage February", "a", "Wie hoch waren die Beitragseinnahmen im Quartal"]


def test_batched_vectors_equal_one_at_a_time_in_float32() -> None:
    embedder = SentenceTransformerEmbedder(precision="float32")
    alone = np.array([embedder.embed_batch([t])[0] for t in QUERIES])
    assert np.allclose(_concurrently(embedder, QUERIES), alone, atol=1e-6)


def test_batched_vectors_agree_with_one_at_a_time_in_bfloat16(real_embedder: SentenceTransformerEmbedder) -> None:
    # bfloat16 rounds a padded row differently (measured: cosine >= 0.99995, where bfloat16 and float32
    # agree only to 0.998): rankings do not move, but the rows are not bit-identical.
    alone = np.array([real_embedder.embed_batch([t])[0] for t in QUERIES])
    batched = _concurrently(real_embedder, QUERIES)
    assert min(float(np.dot(a, b)) for a, b in zip(alone, batched, strict=True)) > 0.9999


def test_direct_forward_pass_equals_encode(real_embedder: SentenceTransformerEmbedder) -> None:
    texts = ["Netzwerkdrucker einrichten", "how do I reset my VPN password", "x", "Kantine " * 40]
    with torch.inference_mode():
        encoded = real_embedder.model.encode(texts, convert_to_numpy=True, show_progress_bar=False)
    assert np.array_equal(np.array(real_embedder.embed_batch(texts), dtype=np.float32), np.array(_unit_rows(encoded)))
