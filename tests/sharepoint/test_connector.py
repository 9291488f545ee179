"""The SharePoint connector over a scripted Graph (``httpx.MockTransport``), with the real sync engine and a real
Qdrant Edge index: every scan yields every mirrored file; a 410 mid-run and a ``Retry-After`` over the cap change
nothing in the index until a run completes; failed items for unreadable permissions, no granting token and
oversized files; the permission-only pass reads no content; a permission-only change re-stamps without embedding.

The same behaviour against the SharePoint emulator over HTTPS is in ``test_emulator_sync.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ragwarden.acl.principals import Emittable
from ragwarden.core.errors import ItemError, TransientError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.testing.fakes.embedding import CountingEmbedder
from tests.sharepoint.graph_double import ALICE, GRAPH, ROOT, ScriptedGraph, connector, file, folder, grant

BOB = "bbbbbbbb-0000-4000-8000-000000000002"
ENTRA = Emittable(kinds=frozenset({"entra", "spgroup"}))


class Engine:
    def __init__(self, root: Path) -> None:
        self.embedder = CountingEmbedder()
        self.index = QdrantEdgeIndex(root / "index")
        self.state = StateStore(root / "state.sqlite3")
        processor = DocumentProcessor(Chunker(120, 10), 10_000_000)
        self.engine = SyncEngine(self.index, self.embedder, self.state, processor, principals=ENTRA)

    def held(self) -> set[str]:
        return {d.path for d in self.state.documents("sp").values()}

    def close(self) -> None:
        self.index.close()
        self.state.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = Engine(tmp_path)
    yield e
    e.close()


def first_run(graph: ScriptedGraph) -> None:
    graph.page([ROOT, folder("hr", "root"), file("a", "hr")], last=False)
    graph.page([file("b"), file("c", "hr")])
    graph.content.update({"a": b"Gehalt Alpha", "b": b"Kantine Beta", "c": b"Urlaub Gamma"})


def items(graph: ScriptedGraph, tmp_path: Path) -> list[SourceDocument | FailedItem]:
    c = connector(graph, tmp_path / "data")
    try:
        return list(c.scan())
    finally:
        c.close()


def test_every_scan_yields_every_mirrored_file_not_just_the_changes(tmp_path: Path) -> None:
    graph = ScriptedGraph()
    first_run(graph)
    assert sorted(d.path for d in items(graph, tmp_path)) == ["b.txt", "hr/a.txt", "hr/c.txt"]
    graph.page([], n=2)  # nothing changed since
    again = items(graph, tmp_path)
    assert sorted(d.path for d in again) == ["b.txt", "hr/a.txt", "hr/c.txt"]
    assert graph.delta_urls[-1] == f"{GRAPH}/drives/d/root/delta?token=t1"
    assert all(isinstance(d, SourceDocument) and d.acl == AccessControl(frozenset({f"entra:{ALICE}"})) for d in again)


def test_a_410_mid_run_deletes_nothing_until_the_fresh_enumeration_completes(tmp_path: Path, engine: Engine) -> None:
    graph = ScriptedGraph()
    first_run(graph)
    engine.engine.sync(connector(graph, tmp_path / "data"))
    assert engine.held() == {"b.txt", "hr/a.txt", "hr/c.txt"}
    # Run 2: a page of changes, then 410; the fresh enumeration's first page, then a Retry-After over the cap.
    graph.page([file("d")], last=False, n=2)
    graph.delta.append(httpx.Response(410, headers={"Location": f"{GRAPH}/drives/d/root/delta?token=fresh"}))
    graph.page([ROOT, file("b")], last=False, n=3)
    graph.delta.append(httpx.Response(429, headers={"Retry-After": "900"}))
    with pytest.raises(TransientError, match="900s"):
        engine.engine.sync(connector(graph, tmp_path / "data"))
    assert engine.held() == {"b.txt", "hr/a.txt", "hr/c.txt"}  # half an enumeration removed nothing
    assert graph.delta_urls[-2] == f"{GRAPH}/drives/d/root/delta?token=fresh"
    # Run 3: the old link is still expired; this enumeration completes, and only now is the index changed.
    graph.delta.append(httpx.Response(410))
    graph.page([ROOT, file("b")], last=False, n=4)
    graph.page([file("d")], n=5)
    graph.content["d"] = b"Neu Delta"
    report = engine.engine.sync(connector(graph, tmp_path / "data"))
    assert engine.held() == {"b.txt", "d.txt"} and report.deleted == 2 and report.added == 1


def test_throttling_over_the_cap_in_a_batch_fails_the_run_and_the_index_keeps_what_it_has(
    tmp_path: Path, engine: Engine
) -> None:
    graph = ScriptedGraph()
    first_run(graph)
    engine.engine.sync(connector(graph, tmp_path / "data"))
    graph.page([file("b", **{"@microsoft.graph.sharedChanged": "True"})], n=2)
    graph.batch_retry_after = "3600"
    graph.permissions["b"] = [grant(BOB)]
    with pytest.raises(TransientError, match="3600s"):
        engine.engine.sync(connector(graph, tmp_path / "data"))
    assert engine.held() == {"b.txt", "hr/a.txt", "hr/c.txt"}
    graph.batch_retry_after = None
    graph.page([], n=3)  # the dirty mark survived the failed run: b's permissions are read now
    report = engine.engine.sync(connector(graph, tmp_path / "data"))
    assert report.restamped == 1 and engine.embedder.calls == 1  # only the first run embedded


def test_a_permission_only_change_restamps_without_embedding(tmp_path: Path, engine: Engine) -> None:
    graph = ScriptedGraph()
    first_run(graph)
    first = engine.engine.sync(connector(graph, tmp_path / "data"))
    calls = engine.embedder.calls
    assert first.added == 3 and calls > 0
    graph.permissions["a"] = [grant(BOB, "write")]
    graph.page([folder("hr", "root", **{"@microsoft.graph.sharedChanged": "True"})], n=2)  # a, c not listed
    report = engine.engine.sync(connector(graph, tmp_path / "data"))
    assert (report.restamped, report.added, report.updated) == (1, 0, 0)
    assert engine.embedder.calls == calls
    acls = {d.path: d.acl for d in engine.state.documents("sp").values()}
    assert acls["hr/a.txt"] == AccessControl(frozenset({f"entra:{BOB}"}))


def test_unreadable_ungranted_and_oversized_files_are_failed_items(tmp_path: Path) -> None:
    graph = ScriptedGraph()
    graph.page([ROOT, file("denied"), file("limited"), file("big", size=5000), file("ok")])
    graph.permissions["denied"] = 403
    graph.permissions["limited"] = [grant(role="sp.limited access")]
    found = items(graph, tmp_path)
    failed = {i.source_uri.rsplit("/", 1)[-1]: i for i in found if isinstance(i, FailedItem)}
    assert set(failed) == {"denied.txt", "limited.txt", "big.txt"}
    assert "HTTP 403" in failed["denied.txt"].reason and failed["denied.txt"].kind == "acl"
    assert "Limited Access" in failed["limited.txt"].reason
    assert failed["big.txt"].kind == "too_large"
    assert [d.path for d in found if isinstance(d, SourceDocument)] == ["ok.txt"]
    batched = [r for r in graph.requests if r.url.path.endswith("$batch")]
    assert b"/big/" not in b"".join(r.content for r in batched)  # never worth a permission read


def test_the_permission_pass_reads_no_content_and_agrees_with_the_scan(tmp_path: Path) -> None:
    graph = ScriptedGraph()
    first_run(graph)
    c = connector(graph, tmp_path / "data")
    try:
        docs = {d.doc_id: d for d in c.scan() if isinstance(d, SourceDocument)}
        graph.page([], n=2)
        acls = {i[0]: (i[1], i[2]) for i in c.scan_acls() if isinstance(i, tuple)}
        assert acls == {k: (d.acl, d.version) for k, d in docs.items()}
        assert not [r for r in graph.requests if r.url.path.endswith("/content")]
        assert c.read(next(d for d in docs.values() if d.path == "b.txt")) == b"Kantine Beta"
    finally:
        c.close()


def test_a_file_changed_or_deleted_after_the_scan_is_not_read_with_the_scanned_acl(tmp_path: Path) -> None:
    graph = ScriptedGraph()
    first_run(graph)
    c = connector(graph, tmp_path / "data")
    try:
        docs = {d.path: d for d in c.scan() if isinstance(d, SourceDocument)}
        graph.listed["b"] = {**graph.listed["b"], "file": {"hashes": {"quickXorHash": "edited"}}}
        with pytest.raises(ItemError, match="changed since the scan"):
            c.read(docs["b.txt"])
        graph.listed["b"] = {**graph.listed["b"], "deleted": {"state": "deleted"}}
        with pytest.raises(ItemError, match="deleted since the scan"):
            c.read(docs["b.txt"])
        del graph.listed["b"]
        with pytest.raises(ItemError, match="deleted since the scan"):
            c.read(docs["b.txt"])
        assert c.read(docs["hr/a.txt"]) == graph.content["a"]  # the others are still the scanned versions
    finally:
        c.close()


def test_a_rename_keeps_the_document_and_moves_its_hash_like_a_content_change(tmp_path: Path) -> None:
    graph = ScriptedGraph()
    first_run(graph)
    before = {d.path: d for d in items(graph, tmp_path) if isinstance(d, SourceDocument)}
    graph.page([folder("hr", "root", name="Personal"), file("b", hash="new-hash")], n=2)
    after = {d.path: d for d in items(graph, tmp_path) if isinstance(d, SourceDocument)}
    assert set(after) == {"Personal/a.txt", "Personal/c.txt", "b.txt"}
    assert after["Personal/a.txt"].doc_id == before["hr/a.txt"].doc_id  # the same document, re-indexed at its
    assert after["Personal/a.txt"].content_hash != before["hr/a.txt"].content_hash  # new path
    assert after["Personal/a.txt"].version == before["hr/a.txt"].version  # the same bytes
    assert after["b.txt"].doc_id == before["b.txt"].doc_id
    assert after["b.txt"].content_hash != before["b.txt"].content_hash
    assert after["b.txt"].version != before["b.txt"].version
