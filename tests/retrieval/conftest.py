"""Every VectorIndex adapter behind one factory (the contract suite is ragwarden.testing.contracts.vector_index)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.core.ports import VectorIndex
from ragwarden.testing.contracts.vector_index import VectorIndexHarness
from ragwarden.testing.fakes.concepts import DIM

# qdrant-client's local mode searches exactly and says so on every query with search params.
warnings.filterwarnings("ignore", message="Local mode performs exact", category=UserWarning)


def _edge(tmp_path: Path) -> VectorIndexHarness:
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex

    def raw(index: Any, ids: list[str]) -> dict[str, Any]:
        records = index._shard.retrieve(ids, with_payload=False, with_vector=True)
        return {str(r.id): _plain(r.vector) for r in records}

    return VectorIndexHarness(lambda: QdrantEdgeIndex(tmp_path / "idx"), raw, "_shard", persistent=True)


def _client(tmp_path: Path, on_disk: bool) -> VectorIndexHarness:
    from qdrant_client import QdrantClient

    from ragwarden.retrieval.qdrant_index import QdrantServerIndex

    memory = QdrantClient(":memory:") if not on_disk else None

    def open_() -> VectorIndex:
        client = QdrantClient(path=str(tmp_path / "local")) if on_disk else memory
        return QdrantServerIndex(client)

    def raw(index: Any, ids: list[str]) -> dict[str, Any]:
        records = index._client.retrieve("ragwarden", ids, with_payload=False, with_vectors=True)
        return {str(r.id): _plain(r.vector) for r in records}

    return VectorIndexHarness(open_, raw, "_client", persistent=on_disk)


def _plain(vectors: dict[str, Any]) -> dict[str, Any]:
    """Named vectors as comparable plain values (Edge's SparseVector has no equality)."""
    return {
        name: (list(v.indices), list(v.values)) if hasattr(v, "indices") else list(v) for name, v in vectors.items()
    }


ADAPTERS = ["edge", "qdrant-client-memory", "qdrant-client-disk"]


def harness(name: str, tmp_path: Path) -> VectorIndexHarness:
    """The adapter called ``name`` (one of ADAPTERS), storing under ``tmp_path``."""
    if name == "edge":
        return _edge(tmp_path)
    return _client(tmp_path, on_disk=name.endswith("disk"))


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> VectorIndexHarness:
    return harness(request.param, tmp_path)


@pytest.fixture
def index(adapter: VectorIndexHarness) -> Iterator[VectorIndex]:
    idx = adapter.open()
    idx.ensure_collection(DIM)
    yield idx
    idx.close()

