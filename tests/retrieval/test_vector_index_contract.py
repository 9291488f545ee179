"""The VectorIndex contract, run against every adapter (Qdrant Edge; qdrant-client in memory and on disk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragwarden.testing.contracts.vector_index import VectorIndexContract, VectorIndexHarness
from ragwarden.testing.contracts.vector_index_data import BOB, DIM, EMBEDDER, HR, MODES, RND, load

from .conftest import harness


class TestQdrantEdge(VectorIndexContract):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> VectorIndexHarness:
        return harness("edge", tmp_path)


class TestQdrantClientInMemory(VectorIndexContract):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> VectorIndexHarness:
        return harness("qdrant-client-memory", tmp_path)


class TestQdrantClientOnDisk(VectorIndexContract):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> VectorIndexHarness:
        return harness("qdrant-client-disk", tmp_path)


def test_both_adapters_rank_alike(tmp_path: Path) -> None:
    """Edge and qdrant-client see the same BM25 vectors, filter and fusion: same hits, same order."""
    from qdrant_client import QdrantClient

    from ragwarden.retrieval.edge_index import QdrantEdgeIndex
    from ragwarden.retrieval.qdrant_index import QdrantServerIndex

    edge, server = QdrantEdgeIndex(tmp_path / "edge"), QdrantServerIndex(QdrantClient(":memory:"))
    for idx in (edge, server):
        idx.ensure_collection(DIM)
        load(idx)
    queries = ["Gehaltsabrechnung März", "vacation carried over", "Wartung Server Sonntag", "Urlaub Gehalt"]
    try:
        for scope in (HR, BOB, RND):
            for mode in MODES:
                for text in queries:
                    vector = EMBEDDER.embed_batch([text])[0]
                    a = edge.search(scope, vector, text, 5, mode)
                    b = server.search(scope, vector, text, 5, mode)
                    assert [h.point_id for h in a] == [h.point_id for h in b], (scope.principal, mode, text)
                    assert [h.score for h in a] == pytest.approx([h.score for h in b], rel=1e-4)
    finally:
        edge.close()
        server.close()
