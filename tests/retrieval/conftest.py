"""Fixtures for the VectorIndex contract: every adapter behind one factory, plus a tiny concept embedder."""

from __future__ import annotations

import math
import re
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ragwarden.core.models import AccessControl, Chunk, IndexedChunk
from ragwarden.core.ports import VectorIndex

# qdrant-client's local mode searches exactly and says so on every query with search params.
warnings.filterwarnings("ignore", message="Local mode performs exact", category=UserWarning)

DIM = 8
#: word → concept dimension. Synonyms across languages share a dimension, words do not share letters:
#: so a dense match is a match by meaning, never by keyword.
CONCEPTS = {
    **dict.fromkeys(["salary", "payroll", "pay", "wage", "gehalt", "gehaltsabrechnungen"], 0),
    **dict.fromkeys(["vacation", "holiday", "leave", "urlaub", "urlaubstage", "ferien"], 1),
    **dict.fromkeys(["server", "maintenance", "outage", "wartung", "downtime"], 2),
    **dict.fromkeys(["invoice", "invoices", "billing", "rechnung", "rechnungen"], 3),
    **dict.fromkeys(["prototype", "research", "laboratory", "forschung", "labor"], 4),
}


class ConceptEmbedder:
    """Deterministic fake embedder: a normalised bag of concepts (embedder quality is not under test)."""

    model_id = "test-concepts"
    dimension = DIM

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        vec = [0.0] * DIM
        for word in re.findall(r"\w+", text.lower()):
            if word in CONCEPTS:
                vec[CONCEPTS[word]] += 1.0
        # never the zero vector (cosine needs a norm), and a text-specific jitter against exact ties,
        # whose order engines may break differently
        vec[DIM - 1] += 0.05 + zlib.crc32(text.encode()) % 1000 / 20_000
        vec[DIM - 2] += zlib.crc32(text[::-1].encode()) % 1000 / 20_000
        norm = math.sqrt(sum(x * x for x in vec))
        return [x / norm for x in vec]


EMBEDDER = ConceptEmbedder()


def make_chunk(
    doc_id: str,
    text: str,
    allow: Sequence[str],
    deny: Sequence[str] = (),
    share: Sequence[str] = (),
    index: int = 0,
    dense: Sequence[float] | None = None,
    **fields: Any,
) -> IndexedChunk:
    acl = AccessControl(allow=frozenset(allow), deny=frozenset(deny), share=frozenset(share))
    chunk = Chunk(doc_id=doc_id, index=index, text=text, acl=acl, title=f"Title of {doc_id}", **fields)
    vector = list(dense) if dense is not None else EMBEDDER.embed_batch([text])[0]
    return IndexedChunk(point_id=chunk.chunk_id, dense=vector, text=text, payload=chunk.payload())


@dataclass
class Adapter:
    """One VectorIndex implementation, with the backdoors only tests need."""

    name: str
    open: Callable[[], VectorIndex]  # (re)opens the same storage
    raw_vectors: Callable[[VectorIndex, list[str]], dict[str, Any]]
    backend_attr: str  # attribute holding the engine handle (replaced to prove "no query")
    persistent: bool


def _edge(tmp_path: Path) -> Adapter:
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex

    def raw(index: Any, ids: list[str]) -> dict[str, Any]:
        records = index._shard.retrieve(ids, with_payload=False, with_vector=True)
        return {str(r.id): _plain(r.vector) for r in records}

    return Adapter("edge", lambda: QdrantEdgeIndex(tmp_path / "idx"), raw, "_shard", True)


def _client(tmp_path: Path, on_disk: bool) -> Adapter:
    from qdrant_client import QdrantClient

    from ragwarden.retrieval.qdrant_index import QdrantServerIndex

    memory = QdrantClient(":memory:") if not on_disk else None

    def open_() -> VectorIndex:
        client = QdrantClient(path=str(tmp_path / "local")) if on_disk else memory
        return QdrantServerIndex(client)

    def raw(index: Any, ids: list[str]) -> dict[str, Any]:
        records = index._client.retrieve("ragwarden", ids, with_payload=False, with_vectors=True)
        return {str(r.id): _plain(r.vector) for r in records}

    name = "qdrant-client-disk" if on_disk else "qdrant-client-memory"
    return Adapter(name, open_, raw, "_client", on_disk)


def _plain(vectors: dict[str, Any]) -> dict[str, Any]:
    """Named vectors as comparable plain values (Edge's SparseVector has no equality)."""
    return {
        name: (list(v.indices), list(v.values)) if hasattr(v, "indices") else list(v) for name, v in vectors.items()
    }


ADAPTERS = ["edge", "qdrant-client-memory", "qdrant-client-disk"]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    if request.param == "edge":
        return _edge(tmp_path)
    return _client(tmp_path, on_disk=request.param.endswith("disk"))


@pytest.fixture
def index(adapter: Adapter) -> Iterator[VectorIndex]:
    idx = adapter.open()
    idx.ensure_collection(DIM)
    yield idx
    idx.close()


class Forbidden:
    """Stands in for the engine: any use of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the index backend was called ({name}) although it must not be")
