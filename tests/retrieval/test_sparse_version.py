"""An index records which keyword encoder made its BM25 vectors, and no adapter searches one made by another:
chunks indexed whole and queries split into parts would quietly miss each other. Such an index has its keyword
vectors re-made in place when it is opened (tests/retrieval/test_keyword_migration.py); one from before the
encoder was recorded counts as unsplit. Both adapters split alike, in-process."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ragwarden.retrieval.edge_index import META_FILE, QdrantEdgeIndex
from ragwarden.retrieval.sparse import Bm25Encoder
from ragwarden.testing.contracts.vector_index_data import DIM, EMBEDDER, RND, make_chunk

from .test_relevance_floor import open_index

UNSPLIT = Bm25Encoder(split_compounds=False)


def test_an_edge_index_built_without_splitting_records_the_new_encoder_once_opened(tmp_path: Path) -> None:
    old = QdrantEdgeIndex(tmp_path / "idx", encoder=UNSPLIT)
    old.ensure_collection(DIM)
    old.close()
    meta_file = tmp_path / "idx" / "ragwarden" / META_FILE
    assert json.loads(meta_file.read_text())["sparse"] == UNSPLIT.version
    QdrantEdgeIndex(tmp_path / "idx").close()
    assert json.loads(meta_file.read_text()) == {"format": 1, "dimension": DIM, "sparse": Bm25Encoder().version}


def test_an_edge_index_from_before_the_encoder_was_recorded_counts_as_unsplit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = QdrantEdgeIndex(tmp_path / "idx")
    index.ensure_collection(DIM)
    index.close()
    meta_file = tmp_path / "idx" / "ragwarden" / META_FILE
    meta = json.loads(meta_file.read_text())
    assert meta["sparse"] == Bm25Encoder().version
    meta_file.write_text(json.dumps({k: v for k, v in meta.items() if k != "sparse"}))
    with caplog.at_level(logging.INFO, logger="ragwarden.retrieval.keyword_migration"):
        QdrantEdgeIndex(tmp_path / "idx").close()
    assert "keyword vectors made by 'bm25-1'" in caplog.text
    assert json.loads(meta_file.read_text())["sparse"] == Bm25Encoder().version


def test_a_qdrant_collection_built_without_splitting_or_without_a_record_records_the_new_encoder() -> None:
    from qdrant_client import QdrantClient, models

    from ragwarden.retrieval.qdrant_index import QdrantServerIndex
    from ragwarden.retrieval.qdrant_requests import SPARSE_METADATA

    def recorded(collection: str) -> object:
        return (client.get_collection(collection).config.metadata or {}).get(SPARSE_METADATA)

    client = QdrantClient(":memory:")
    QdrantServerIndex(client, encoder=UNSPLIT).ensure_collection(DIM)
    assert recorded("ragwarden") == UNSPLIT.version
    QdrantServerIndex(client).ensure_collection(DIM)
    assert recorded("ragwarden") == Bm25Encoder().version
    client.create_collection("legacy", vectors_config={"dense": models.VectorParams(size=DIM, distance="Cosine")})
    QdrantServerIndex(client, "legacy").ensure_collection(DIM)
    assert recorded("legacy") == Bm25Encoder().version


@pytest.mark.parametrize("kind", ["edge", "qdrant-client-memory"])
def test_every_adapter_finds_a_compound_by_its_part_and_a_part_by_its_compound(kind: str, tmp_path: Path) -> None:
    from ragwarden.retrieval.hybrid import SearchPlan

    index = open_index(kind, tmp_path, SearchPlan())
    index.ensure_collection(DIM)
    index.upsert([
        make_chunk("printer", "Der Netzwerkdrucker im dritten Stock ist wieder da.", ["group:rnd"]),
        make_chunk("leave", "Jeder Urlaub wird als Antrag im Portal gestellt.", ["group:rnd"]),
        make_chunk("canteen", "Die Kantine hat heute Fisch.", ["group:rnd"]),
    ])  # fmt: skip
    try:
        for query, expected in (("Drucker", "printer"), ("Urlaubsantrag", "leave")):
            hits = index.search(RND, EMBEDDER.embed_batch([query])[0], query, 10, "sparse")
            assert [h.doc_id for h in hits][:1] == [expected], query
    finally:
        index.close()
