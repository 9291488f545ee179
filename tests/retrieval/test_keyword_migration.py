"""An index whose keyword vectors an older encoder made (German compounds unsplit) is upgraded in place when it
is opened: its BM25 vectors are re-made from the text each point holds, its dense vectors and payload (the ACL)
stay exactly as they were, and an interrupted upgrade is finished at the next open, never searched half-done."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from ragwarden.retrieval import keyword_migration
from ragwarden.retrieval.edge_index import META_FILE
from ragwarden.retrieval.sparse import SPARSE_LANGUAGES, Bm25Encoder
from ragwarden.testing.contracts.vector_index_data import DIM, EMBEDDER, HR, RND, make_chunk

from .conftest import harness

UNSPLIT = Bm25Encoder(split_compounds=False)
KINDS = ["edge", "qdrant-client-disk"]
CHUNKS = [
    make_chunk("printer", "Der Netzwerkdrucker im dritten Stock ist wieder da.", ["group:rnd"]),
    make_chunk("toner", "Jeder Drucker bekommt neuen Toner vom Empfang.", ["group:rnd"], deny=["user:bob"]),
    make_chunk("leave", "Jeder Urlaub wird als Antrag im Portal gestellt.", ["group:hr"]),
    make_chunk("canteen", "Die Kantine hat heute Fisch.", ["group:rnd"], share=["share:it"]),
    make_chunk("vpn", "Connect to the VPN before you open the wiki.", ["group:rnd"]),
    make_chunk("salary", "Die Gehaltsabrechnung kommt am Monatsende.", ["group:hr"]),
]
IDS = [c.point_id for c in CHUNKS]


def _open(kind: str, tmp_path: Path, encoder: Bm25Encoder | None = None) -> Any:
    """The adapter ``kind`` on the storage under ``tmp_path``, with ``encoder`` (default: the shipped one)."""
    from qdrant_client import QdrantClient

    from ragwarden.retrieval.edge_index import QdrantEdgeIndex
    from ragwarden.retrieval.qdrant_index import QdrantServerIndex

    encoder = encoder or Bm25Encoder()
    if kind == "edge":
        return QdrantEdgeIndex(tmp_path / "idx", encoder=encoder)
    index = QdrantServerIndex(QdrantClient(path=str(tmp_path / "local")), encoder=encoder)
    index.ensure_collection(DIM)  # where the server adapter first reads its collection (and migrates it)
    return index


def _built_unsplit(kind: str, tmp_path: Path) -> None:
    old = _open(kind, tmp_path, UNSPLIT)
    old.ensure_collection(DIM)
    old.upsert(CHUNKS)
    old.close()


def _payloads(kind: str, index: Any) -> dict[str, Any]:
    if kind == "edge":
        records = index._shard.retrieve(IDS, with_payload=True, with_vector=False)
    else:
        records = index._client.retrieve("ragwarden", IDS, with_payload=True, with_vectors=False)
    return {str(r.id): dict(r.payload) for r in records}


def _stored(kind: str, index: Any, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    return harness(kind, tmp_path).raw_vectors(index, IDS), _payloads(kind, index)


def _first(index: Any, query: str) -> list[str]:
    hits = index.search(RND, EMBEDDER.embed_batch([query])[0], query, 10, "sparse")
    return [h.doc_id for h in hits][:1]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unsplit_index_is_migrated_in_place_and_finds_compounds_by_their_parts(kind: str, tmp_path: Path) -> None:
    _built_unsplit(kind, tmp_path)
    old = _open(kind, tmp_path, UNSPLIT)
    assert _first(old, "Drucker") == ["toner"]  # before: the compound was indexed whole, its part misses it
    vectors_before, payloads_before = _stored(kind, old, tmp_path)
    old.close()

    index = _open(kind, tmp_path)
    try:
        vectors, payloads = _stored(kind, index, tmp_path)
        assert payloads == payloads_before  # text and ACL untouched
        for pid, chunk in zip(IDS, CHUNKS, strict=True):
            assert vectors[pid]["dense"] == vectors_before[pid]["dense"]  # nothing re-embedded
            made = Bm25Encoder().document(chunk.text)
            for name in SPARSE_LANGUAGES:
                want = dict(zip(made[name].indices, made[name].values, strict=True)) if name in made else {}
                got = dict(zip(*vectors[pid][name], strict=True))
                assert got == pytest.approx(want), (pid, name)  # what a fresh index of this version holds
        assert vectors[IDS[0]]["bm25_de"] != vectors_before[IDS[0]]["bm25_de"]  # the compound now has its parts
        assert set(_first(index, "Drucker")) <= {"printer", "toner"}
        assert "printer" in [h.doc_id for h in index.search(RND, [0.0] * DIM, "Drucker", 10, "sparse")]
        assert _first(index, "Netzwerkdrucker") == ["printer"]
        assert "toner" in [h.doc_id for h in index.search(RND, [0.0] * DIM, "Netzwerkdrucker", 10, "sparse")]
        assert _first(index, "Urlaubsantrag") == []  # RND may not see the leave page: the filter still holds
        hr = index.search(HR, EMBEDDER.embed_batch(["Urlaubsantrag"])[0], "Urlaubsantrag", 10, "sparse")
        assert [h.doc_id for h in hr][:1] == ["leave"]
    finally:
        index.close()
    reopened = _open(kind, tmp_path)  # recorded: a second open migrates nothing
    try:
        assert _stored(kind, reopened, tmp_path)[0] == vectors
    finally:
        reopened.close()


@pytest.mark.parametrize("kind", KINDS)
def test_an_interrupted_migration_is_recorded_as_unfinished_and_resumed_at_the_next_open(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _built_unsplit(kind, tmp_path)
    monkeypatch.setattr(keyword_migration, "PAGE", 2)
    monkeypatch.setattr(keyword_migration, "CHECKPOINT_EVERY", 2)
    adapter = keyword_migration.EdgePoints if kind == "edge" else keyword_migration.ServerPoints
    real_write = adapter.write
    written: list[int] = []

    def crashing(self: Any, vectors: Any) -> None:
        if len(written) == 2:
            raise RuntimeError("power cut")
        written.append(len(vectors))
        real_write(self, vectors)

    monkeypatch.setattr(adapter, "write", crashing)
    with pytest.raises(RuntimeError, match="power cut"):
        _open(kind, tmp_path)
    stored, resume = _recorded(kind, tmp_path)
    assert stored == keyword_migration.marker(Bm25Encoder().version)  # no encoder makes this: never searched
    assert resume is not None

    def counting(self: Any, vectors: Any) -> None:
        written.append(len(vectors))
        real_write(self, vectors)

    written.clear()
    monkeypatch.setattr(adapter, "write", counting)
    with caplog.at_level(logging.INFO, logger=keyword_migration.__name__):
        index = _open(kind, tmp_path)
    try:
        assert "resuming" in caplog.text
        assert sum(written) == len(CHUNKS) - 4  # the two pages done before the crash are not done again
        assert _first(index, "Netzwerkdrucker") == ["printer"]
        assert "printer" in [h.doc_id for h in index.search(RND, [0.0] * DIM, "Drucker", 10, "sparse")]
    finally:
        index.close()
    assert _recorded(kind, tmp_path) == (Bm25Encoder().version, None)


def _recorded(kind: str, tmp_path: Path) -> tuple[str, Any]:
    """The keyword encoder the index records, and where a migration would resume."""
    if kind == "edge":
        meta = json.loads((tmp_path / "idx" / "ragwarden" / META_FILE).read_text())
        return meta["sparse"], meta.get("sparse_resume")
    from qdrant_client import QdrantClient

    from ragwarden.retrieval import qdrant_requests

    client = QdrantClient(path=str(tmp_path / "local"))
    try:
        metadata = client.get_collection("ragwarden").config.metadata or {}
    finally:
        client.close()
    return metadata[qdrant_requests.SPARSE_METADATA], metadata.get(qdrant_requests.RESUME_METADATA)
