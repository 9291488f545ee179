"""Qdrant Edge folds fresh points into HNSW on a budget, and stays right for readers in other threads.

A fold is ``EdgeShard.optimize()``. The tests count the calls through a wrapper around the shard and
read the engine's segment count, so "no rebuild of the big segment" is observed, not assumed.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.acl.decision import is_allowed
from ragwarden.core.models import AccessControl, AccessScope, IndexedChunk, SearchFilter, SearchHit
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.index_tuning import EdgeTuning
from ragwarden.testing.contracts.vector_index_data import make_chunk
from ragwarden.testing.fakes.concepts import DIM

BUDGET = 64  # 64 points × 8 dims × 4 bytes = 2 KB, Edge's indexing threshold derived from it
GROUPS = ["group:a", "group:b", "group:c", "group:d"]
A = AccessScope("ann", frozenset({"user:ann", "group:a"}))
AB = AccessScope("abe", frozenset({"user:abe", "group:a", "group:b"}))
SOURCE = SearchFilter(sources=frozenset({"intranet"}))


class CountingShard:
    """The real shard, with its optimizer runs counted."""

    def __init__(self, shard: Any) -> None:
        self.shard, self.folds = shard, 0

    def optimize(self) -> bool:
        self.folds += 1
        return bool(self.shard.optimize())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.shard, name)


def tuning(**overrides: Any) -> EdgeTuning:
    base: dict[str, Any] = {"settle_budget": BUDGET, "full_scan_threshold_kb": 1, "m": 8, "ef_construct": 32}
    return EdgeTuning(**(base | overrides))


def background(count: int, seed: int = 1) -> list[IndexedChunk]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        allow = rng.sample(GROUPS, rng.randint(1, 2))
        vector = [rng.gauss(0, 1) for _ in range(DIM)]
        out.append(make_chunk(f"bg-{n // 5}", f"Hintergrund {n}", allow, index=n % 5, dense=vector))
    return out


def rewrite(doc_id: str, chunks: int, word: str, allow: tuple[str, ...] = ("group:a",)) -> list[IndexedChunk]:
    metadata = {"source": "intranet"}
    return [make_chunk(doc_id, f"{word} Teil {i}", list(allow), index=i, metadata=metadata) for i in range(chunks)]


def segments(index: QdrantEdgeIndex) -> int:
    return int(index._shard.info().segments_count)


def open_index(path: Path, **overrides: Any) -> tuple[QdrantEdgeIndex, CountingShard]:
    index = QdrantEdgeIndex(path, tuning=tuning(**overrides))
    index.ensure_collection(DIM)
    shard = CountingShard(index._shard)
    index._shard = shard
    return index, shard


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[QdrantEdgeIndex, CountingShard]]:
    """300 points in one HNSW segment (plus Edge's empty appendable one), as after a first ingest."""
    index, shard = open_index(tmp_path)
    index.upsert(background(300))
    index.optimize()
    shard.folds = 0
    yield index, shard
    index.close()


def found(index: QdrantEdgeIndex, scope: AccessScope, word: str) -> list[SearchHit]:
    return index.search(scope, [1.0] * DIM, word, 50, "hybrid", where=SOURCE)


def test_a_changed_document_below_the_budget_is_searchable_at_once_and_runs_no_optimizer(
    built: tuple[QdrantEdgeIndex, CountingShard],
) -> None:
    index, shard = built
    index.upsert(rewrite("bg-7", 3, "Zebrafink"))  # was 5 background chunks, now 3 new ones
    index.delete_chunks_from({"bg-7": 3})
    index.settle()
    assert shard.folds == 0
    assert [h.text for h in index.document_chunks(A, "bg-7")] == [f"Zebrafink Teil {i}" for i in range(3)]
    assert {(h.doc_id, h.payload["chunk_index"]) for h in found(index, A, "Zebrafink")} == {
        ("bg-7", i) for i in range(3)
    }
    assert index.search(AccessScope("b", frozenset({"group:b"})), [1.0] * DIM, "Zebrafink", 50, where=SOURCE) == []
    assert index.unfolded_points == 3


def test_filtered_search_is_exact_over_indexed_and_waiting_points_alike(
    built: tuple[QdrantEdgeIndex, CountingShard],
) -> None:
    """Every visible point and nothing else, whether it sits in the HNSW segment or still waits."""
    index, _ = built
    fresh = [
        make_chunk(f"new-{n}", "frisch", [GROUPS[n % 4]], deny=["user:abe"] if n % 7 == 0 else [], dense=[0.5] * DIM)
        for n in range(40)
    ]
    index.upsert(fresh)
    everything = background(300) + fresh
    for scope in (A, AB):
        expected = {c.point_id for c in everything if is_allowed(AccessControl.from_payload(c.payload), scope)}
        for exact in (False, True):
            hits = index.search(scope, [0.3] * DIM, "", 1000, "dense", exact=exact)
            assert {h.point_id for h in hits} == expected, (scope.principal, exact)


def test_past_the_budget_a_fold_indexes_the_fresh_points_as_a_segment_of_their_own(
    built: tuple[QdrantEdgeIndex, CountingShard],
) -> None:
    index, shard = built
    before = segments(index)
    index.upsert(rewrite("big-change", BUDGET + 6, "Kolibri"))
    index.settle()
    assert shard.folds == 1 and index.unfolded_points == 0
    assert segments(index) == before + 1  # the 300-point segment was left as it was
    assert len(found(index, A, "Kolibri")) == 50
    index.settle()
    assert shard.folds == 1


def test_with_room_for_two_segments_edge_would_rebuild_the_big_one(tmp_path: Path) -> None:
    """Why ``default_segment_number`` is more than 2: Edge then folds fresh points into the smallest
    indexed segment, which after a first ingest is the whole index."""
    index, _ = open_index(tmp_path, default_segment_number=2)
    try:
        index.upsert(background(300))
        index.optimize()
        before = segments(index)
        index.upsert(rewrite("big-change", BUDGET + 6, "Kolibri"))
        index.settle()
        assert segments(index) == before  # merged into one rebuilt segment
    finally:
        index.close()


def test_restamped_points_leave_their_hnsw_segment_and_count_towards_the_budget(
    built: tuple[QdrantEdgeIndex, CountingShard],
) -> None:
    index, shard = built
    index.restamp_acl([f"bg-{d}" for d in range(10)], AccessControl(allow=frozenset({"group:z"})))
    assert index.unfolded_points == 50
    index.settle()
    assert shard.folds == 0
    index.restamp_acl([f"bg-{d}" for d in range(10, 14)], AccessControl(allow=frozenset({"group:z"})))
    index.settle()
    assert shard.folds == 1
    assert len(index.search(AccessScope("z", frozenset({"group:z"})), [1.0] * DIM, "", 100, "dense")) == 70


def test_after_reopening_the_first_settle_asks_the_engine(tmp_path: Path) -> None:
    """What waited before a restart is not counted, so the engine decides once."""
    index, _ = open_index(tmp_path)
    index.upsert(background(BUDGET + 10))
    index.close()
    reopened = QdrantEdgeIndex(tmp_path, tuning=tuning())
    shard = CountingShard(reopened._shard)
    reopened._shard = shard
    try:
        assert reopened.unfolded_points is None
        reopened.settle()
        assert shard.folds == 1 and reopened.unfolded_points == 0
        reopened.settle()
        assert shard.folds == 1
    finally:
        reopened.close()


def test_optimize_folds_now_whatever_the_budget_and_a_huge_run_folds_midway(tmp_path: Path) -> None:
    index, shard = open_index(tmp_path, optimize_every=100)
    try:
        index.upsert(background(60))
        index.optimize()
        assert shard.folds == 1
        index.upsert(background(120, seed=2))
        assert shard.folds == 2 and index.unfolded_points == 0
    finally:
        index.close()


def test_a_document_being_rewritten_is_never_missing_nor_twice_for_readers_in_other_threads(
    built: tuple[QdrantEdgeIndex, CountingShard],
) -> None:
    """Readers search and read the document while a writer rewrites it (new chunks first, then the
    surplus), re-stamps it between two ACLs the readers hold, and folds past the budget."""
    index, shard = built
    index.upsert(rewrite("manual", 4, "Zebrafink"))
    stop, problems, reads = threading.Event(), [], [0]

    def read() -> None:
        while not stop.is_set():
            hits = found(index, AB, "Zebrafink")
            chunks = index.document_chunks(AB, "manual", where=SOURCE)
            for listing in (hits, chunks):
                ids = [h.point_id for h in listing]
                places = {h.payload["chunk_index"] for h in listing if h.doc_id == "manual"}
                if len(ids) != len(set(ids)) or not {0, 1} <= places:
                    problems.append(sorted(places))
                if not all(is_allowed(h.acl, AB) and SOURCE.matches(h.payload) for h in listing):
                    problems.append("outside the filter")
            reads[0] += 1

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for generation in range(120):
            count = 2 + generation % 5
            allow = ("group:a",) if generation % 2 else ("group:b", "group:c")
            index.upsert(rewrite("manual", count, "Zebrafink", allow))
            index.delete_chunks_from({"manual": count})
            index.restamp_acl(["manual"], AccessControl(allow=frozenset(allow)))
            index.settle()
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert problems == []
    assert shard.folds >= 2 and reads[0] > 20
