"""The dense search cut by token (:mod:`ragwarden.retrieval.token_census`), on a real Edge shard.

A corpus with a few large groups (the graph links each) and many small ones, ACLs with deny and share
entries, callers in several of both: the two parts of a caller's filter match exactly what the whole filter
matches and nothing else, a search returns only what an independent oracle allows and finds the exact
top ten, and the census recounts only after writes, never holding a search up once it has counted.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ragwarden.core.models import AccessScope, JointScope
from ragwarden.retrieval import filters
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.index_tuning import EdgeTuning
from ragwarden.retrieval.token_census import TokenCensus, graph_points
from ragwarden.testing.contracts.vector_index_data import make_chunk

DIM = 16
# 2 KB of 16-d float32 vectors: a token with 32 points or more gets graph links of its own.
TUNING = EdgeTuning(full_scan_threshold_kb=2, indexing_threshold_kb=1, settle_budget=1, m=8, ef_construct=32)
BIG = [f"group:big{i}" for i in range(4)]  # 150-400 points each
SMALL = [f"group:team{i}" for i in range(300)]  # a few points each


def _vector(rng: random.Random) -> list[float]:
    return [rng.gauss(0.0, 1.0) for _ in range(DIM)]


def _acl(rng: random.Random) -> dict[str, list[str]]:
    allow = [rng.choice(BIG)] if rng.random() < 0.5 else rng.sample(SMALL, rng.randint(1, 3))
    deny = [rng.choice(SMALL)] if rng.random() < 0.1 else []
    share = [rng.choice(BIG + SMALL)] if rng.random() < 0.1 else []
    return {"allow": allow, "deny": deny, "share": share}


def oracle(tokens: frozenset[str], acl: dict[str, list[str]]) -> bool:
    allowed = any(t in tokens for t in acl["allow"])
    shared = not acl["share"] or any(t in tokens for t in acl["share"])
    return allowed and shared and not any(t in tokens for t in acl["deny"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Any:
    rng = random.Random(16)
    docs = {f"doc-{d}": _acl(rng) for d in range(600)}
    vectors: dict[str, list[float]] = {}
    index = QdrantEdgeIndex(tmp_path_factory.mktemp("census") / "idx", tuning=TUNING)
    index.ensure_collection(DIM)
    chunks = []
    for doc_id, acl in docs.items():
        for i in range(4):
            chunk = make_chunk(doc_id, f"Abschnitt {i}", acl["allow"], acl["deny"], acl["share"], i, _vector(rng))
            vectors[chunk.point_id] = list(chunk.dense)
            chunks.append(chunk)
    index.upsert(chunks)
    index.optimize()
    callers = []
    for number in range(40):
        groups = rng.sample(BIG, rng.randint(0, 2)) + rng.sample(SMALL, rng.randint(3, 30))
        callers.append(AccessScope(f"u{number}", frozenset({f"user:u{number}", *groups})))
    yield index, docs, vectors, callers
    index.close()


def _count(index: QdrantEdgeIndex, flt: Any) -> int:
    import qdrant_edge as q

    return int(index._shard.count(q.CountRequest(exact=True, filter=flt)))


def test_the_census_counts_the_points_each_token_opens_and_links_the_large_ones(corpus: Any) -> None:
    index, docs, _, _ = corpus
    least = graph_points(TUNING.full_scan_threshold_kb, DIM)
    graphed = index._graphed()
    assert least == 32 and graphed is not None
    for token in BIG + SMALL:
        expected = 4 * sum(token in acl["allow"] for acl in docs.values())
        assert index._census.counts().get(token, 0) == expected
        assert graphed(token) == (expected >= least)
    assert all(graphed(t) for t in BIG) and sum(map(graphed, SMALL)) <= 3  # a team may reach the threshold


@pytest.mark.parametrize("joint", [False, True])
def test_the_two_parts_match_exactly_what_the_whole_filter_matches(corpus: Any, joint: bool) -> None:
    import qdrant_edge as q

    index, _, _, callers = corpus
    graphed = index._graphed()
    assert graphed is not None
    both = 0
    for first, second in zip(callers, callers[1:] + callers[:1], strict=True):
        scope = JointScope("chat", (first, second)) if joint else first
        whole = filters.edge_acl_filter(scope)
        built = filters.edge_acl_parts(scope, graphed)
        reused = filters.edge_acl_parts(scope, graphed, whole=whole)  # the one-sided case reuses the whole filter
        assert [p is None for p in reused] == [p is None for p in built]
        both += all(p is not None for p in built)
        for pair in (built, reused):
            parts = [p for p in pair if p is not None]
            assert _count(index, q.Filter(should=parts)) == _count(index, whole)  # together: all of it
            for part in parts:  # each: nothing more
                assert _count(index, q.Filter(must=[part], must_not=[whole])) == 0
    assert both >= 10  # most callers are in a large and in small groups


def test_a_search_returns_only_what_the_oracle_allows_and_finds_the_exact_top_ten(corpus: Any) -> None:
    index, docs, vectors, callers = corpus
    rng = random.Random(5)
    found = wanted = 0
    for scope in callers:
        query = _vector(rng)
        hits = index.search(scope, query, "", 10, mode="dense")
        assert all(oracle(scope.tokens, docs[h.payload["doc_id"]]) for h in hits)  # no leak, whatever the path
        visible = [pid for pid in vectors if oracle(scope.tokens, docs[_doc(pid, index)])]
        exact = sorted(visible, key=lambda pid: -_cosine(query, vectors[pid]))[:10]
        found += len({h.point_id for h in hits} & set(exact))
        wanted += len(exact)
    assert found / wanted >= 0.97


def test_the_split_off_plans_one_search_under_the_whole_filter(tmp_path: Path) -> None:
    for tuning, split in ((EdgeTuning(split_filters=False), False), (EdgeTuning(), True)):
        index = QdrantEdgeIndex(tmp_path / str(split), tuning=tuning)
        index.ensure_collection(DIM)
        try:
            assert (index._graphed() is not None) == split
        finally:
            index.close()


_DOCS: dict[str, str] = {}


def _doc(point_id: str, index: QdrantEdgeIndex) -> str:
    if point_id not in _DOCS:
        (record,) = index._shard.retrieve([point_id], with_payload=True, with_vector=False)
        _DOCS[point_id] = str(record.payload["doc_id"])
    return _DOCS[point_id]


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (sum(x * x for x in a) ** 0.5 * sum(y * y for y in b) ** 0.5)


# -- the census's own rules ------------------------------------------------------------------------


def _settled(census: TokenCensus) -> dict[str, int]:
    """The figures once no recount runs (a recount runs on a thread of its own)."""
    for _ in range(500):
        if census._counting.acquire(blocking=False):
            census._counting.release()
            return census.counts()
        time.sleep(0.01)
    raise AssertionError("the recount never ended")


def test_it_counts_once_and_again_only_after_a_write_and_max_age() -> None:
    counted = iter([{"a": 1}, {"a": 2}, {"a": 3}])
    census = TokenCensus(lambda: next(counted), max_age=0.05)
    assert census.counts() == {"a": 1}
    census.written()
    assert _settled(census) == {"a": 1}  # written, but counted too recently
    time.sleep(0.06)
    census.counts()  # written and old: counted again, beside
    assert _settled(census) == {"a": 2}
    time.sleep(0.06)
    census.counts()
    assert _settled(census) == {"a": 2}  # old, but nothing was written since


def test_a_recount_never_holds_a_search_up_and_a_failed_one_keeps_the_old_figures() -> None:
    release, started = threading.Event(), threading.Event()
    figures: list[Any] = [{"a": 1}, "slow", RuntimeError("closed"), {"a": 3}]

    def count() -> dict[str, int]:
        value = figures.pop(0)
        if value == "slow":
            started.set()
            release.wait(5)
            return {"a": 2}
        if isinstance(value, Exception):
            raise value
        return dict(value)

    census = TokenCensus(count, max_age=0.0)
    assert census.counts() == {"a": 1}
    census.written()
    assert census.counts() == {"a": 1}  # stale: recounted on another thread, the old figures serve at once
    assert started.wait(5)
    assert census.counts() == {"a": 1}  # still counting
    release.set()
    assert _settled(census) == {"a": 2}
    census.written()
    census.counts()  # this recount fails
    assert _settled(census) == {"a": 2}
    census.counts()  # the failed recount left the write standing: counted again
    assert _settled(census) == {"a": 3}
