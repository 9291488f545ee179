"""The facet cache's own rules: keyed by each member's tokens (never the user name), cleared by every write
through the watched shard (also a failed one), and a value counted while a write ran is not kept."""

from __future__ import annotations

import pytest

from ragwarden.core.models import AccessScope, JointScope, SearchFilter
from ragwarden.retrieval.facet_cache import FacetCache, WatchedShard, facet_key

A = AccessScope("alice", frozenset({"user:alice", "group:hr"}))
B = AccessScope("bob", frozenset({"user:bob", "group:hr"}))


def test_the_key_is_the_tokens_the_facet_the_limit_and_the_narrowing() -> None:
    same_tokens = AccessScope("someone else", A.tokens)
    assert facet_key(A, "source", 50, None) == facet_key(same_tokens, "source", 50, None)  # not the name
    assert facet_key(A, "source", 50, None) != facet_key(B, "source", 50, None)
    assert facet_key(A, "source", 50, None) != facet_key(A, "file_type", 50, None)
    assert facet_key(A, "source", 50, None) != facet_key(A, "source", 50, SearchFilter(sources=frozenset({"x"})))
    assert facet_key(JointScope("chat", (A, B)), "source", 50, None) != facet_key(A, "source", 50, None)


class Shard:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def update(self, operation: object) -> None:
        if self.fail:
            raise RuntimeError("engine error")

    def count(self) -> int:
        return 7


def test_every_write_clears_it_even_a_failed_one() -> None:
    cache = FacetCache()
    counted = iter([{"s": 1}, {"s": 2}, {"s": 3}])
    assert cache.get("k", lambda: next(counted)) == {"s": 1}
    assert cache.get("k", lambda: next(counted)) == {"s": 1}
    WatchedShard(Shard(), cache).update("op")
    assert cache.get("k", lambda: next(counted)) == {"s": 2}
    with pytest.raises(RuntimeError):
        WatchedShard(Shard(fail=True), cache).update("op")
    assert cache.get("k", lambda: next(counted)) == {"s": 3}
    assert WatchedShard(Shard(), cache).count() == 7  # reads pass through


def test_a_value_counted_while_a_write_ran_is_not_kept() -> None:
    cache = FacetCache()

    def count_during_a_write() -> dict[str, int]:
        cache.clear()  # the write lands while the count runs
        return {"old": 1}

    assert cache.get("k", count_during_a_write) == {"old": 1}
    assert cache.get("k", lambda: {"new": 1}) == {"new": 1}


def test_it_is_bounded_and_can_be_off() -> None:
    cache = FacetCache(entries=2)
    for key in ("a", "b", "c"):
        cache.get(key, lambda k=key: {k: 1})
    assert cache.get("a", lambda: {"again": 1}) == {"again": 1}  # the oldest was dropped
    off = FacetCache(entries=0)
    off.get("a", lambda: {"x": 1})
    assert off.get("a", lambda: {"y": 1}) == {"y": 1}
