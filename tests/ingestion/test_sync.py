"""Incremental sync of a local folder into a real Qdrant Edge index: changes, deletions, ACL-only
changes (no re-embedding), failures that fail closed, and resumption after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.core.models import AccessScope
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.retriever import Retriever
from tests.fakes import CountingEmbedder

HR = AccessScope("hanna", frozenset({"user:hanna", "group:hr", "everyone"}))
RND = AccessScope("rolf", frozenset({"user:rolf", "group:rnd", "everyone"}))


def write(path: Path, text: str, acl: dict | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if acl is not None:
        (path.parent / f"{path.name}.acl.json").write_text(json.dumps(acl))


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "docs"
        self.root.mkdir()
        self.embedder = CountingEmbedder()
        self.index = QdrantEdgeIndex(tmp_path / "index")
        self.state = StateStore(tmp_path / "state.sqlite3")
        self.engine = SyncEngine(self.index, self.embedder, self.state, DocumentProcessor(Chunker(120, 10), 10_000_000))
        # Keyword mode: "is this text findable" must not be blurred by dense neighbours.
        self.retriever = Retriever(self.index, self.embedder, mode="sparse")

    def sync(self):  # type: ignore[no-untyped-def]
        return self.engine.sync(LocalFolderConnector(self.root, source="t", max_file_size=10_000_000))

    def visible(self, scope: AccessScope, query: str) -> set[str]:
        return {h.payload["path"] for h in self.retriever.search(scope, query, limit=50)}


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    w = World(tmp_path)
    yield w
    w.index.close()
    w.state.close()


def test_first_sync_indexes_documents_with_their_acl(world: World) -> None:
    write(world.root / "hr" / "gehalt.txt", "Gehaltsbaender fuer Sachbearbeiter Zebrafisch", {"allow": ["group:hr"]})
    write(world.root / "rnd" / "plan.md", "# Roadmap\nProjekt Zebrafisch startet", {"allow": ["group:rnd"]})
    report = world.sync()
    assert (report.added, report.failed) == (2, [])
    assert world.visible(HR, "Zebrafisch") == {"hr/gehalt.txt"}
    assert world.visible(RND, "Zebrafisch") == {"rnd/plan.md"}


def test_unchanged_files_are_skipped_without_embedding(world: World) -> None:
    write(world.root / "a.txt", "Alpha Dokument", {"allow": ["everyone"]})
    world.sync()
    calls = world.embedder.calls
    report = world.sync()
    assert (report.unchanged, report.added, report.updated) == (1, 0, 0)
    assert world.embedder.calls == calls


def test_changed_content_replaces_the_old_chunks(world: World) -> None:
    write(world.root / "a.txt", "Kiwiplantage " * 300, {"allow": ["everyone"]})
    world.sync()
    (world.root / "a.txt").write_text("Mangoplantage kurz")
    report = world.sync()
    assert report.updated == 1
    assert world.visible(HR, "Kiwiplantage") == set()
    assert world.visible(HR, "Mangoplantage") == {"a.txt"}
    assert world.index.count() == 1


def test_deleted_file_disappears_from_the_index(world: World) -> None:
    write(world.root / "a.txt", "Loeschkandidat Text", {"allow": ["everyone"]})
    world.sync()
    (world.root / "a.txt").unlink()
    report = world.sync()
    assert report.deleted == 1
    assert world.visible(HR, "Loeschkandidat") == set()
    assert world.index.count() == 0


def test_acl_only_change_restamps_without_embedding(world: World) -> None:
    """An ACL change re-stamps the payload of existing points; the embedder is not called."""
    write(world.root / "hr" / "x.txt", "Betriebsrat Protokoll Quittenbaum", {"allow": ["group:hr"]})
    world.sync()
    assert world.visible(RND, "Quittenbaum") == set()
    calls, texts = world.embedder.calls, len(world.embedder.texts)
    (world.root / "hr" / "x.txt.acl.json").write_text(json.dumps({"allow": ["group:rnd"]}))
    report = world.sync()
    assert report.restamped == 1
    assert (world.embedder.calls, len(world.embedder.texts)) == (calls, texts)
    assert world.visible(RND, "Quittenbaum") == {"hr/x.txt"}
    assert world.visible(HR, "Quittenbaum") == set()


def test_folder_acl_change_restamps_every_inheriting_file(world: World) -> None:
    (world.root / "hr").mkdir()
    (world.root / "hr" / ".acl.json").write_text(json.dumps({"allow": ["group:hr"]}))
    for n in range(3):
        write(world.root / "hr" / f"f{n}.txt", f"Personalakte Walross {n}")
    world.sync()
    (world.root / "hr" / ".acl.json").write_text(json.dumps({"allow": ["group:hr"], "deny": ["user:hanna"]}))
    report = world.sync()
    assert report.restamped == 3
    assert world.visible(HR, "Walross") == set()


def test_a_file_whose_acl_becomes_invalid_is_removed(world: World) -> None:
    """Fail closed: once its ACL cannot be read, the previously indexed copy must not stay visible."""
    write(world.root / "a.txt", "Geheimnis Seeigel", {"allow": ["group:hr"]})
    world.sync()
    (world.root / "a.txt.acl.json").write_text("{not json")
    report = world.sync()
    assert len(report.failed) == 1 and report.deleted == 1
    assert world.visible(HR, "Seeigel") == set()
    assert world.state.failures("t")[0].source_uri.endswith("a.txt")


def test_missing_acl_and_corrupt_file_are_reported_and_the_run_goes_on(world: World) -> None:
    write(world.root / "ok.txt", "Erlaubtes Nashorn", {"allow": ["everyone"]})
    write(world.root / "noacl" / "x.txt", "Ohne Freigabe Nashorn")
    (world.root / "bad.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (world.root / "bad.pdf.acl.json").write_text(json.dumps({"allow": ["everyone"]}))
    report = world.sync()
    assert report.added == 1
    assert sorted(Path(f.source_uri).name for f in report.failed) == ["bad.pdf", "x.txt"]
    assert world.visible(HR, "Nashorn") == {"ok.txt"}


def test_crash_mid_sync_resumes_without_loss_or_duplicates(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for n in range(6):
        write(world.root / f"d{n}.txt", f"Dokument Nummer {n} Flamingo", {"allow": ["everyone"]})
    world.engine._batch_chunks = 1  # commit after every document
    original = world.index.upsert
    written = {"n": 0}

    def crashing(points):  # type: ignore[no-untyped-def]
        written["n"] += 1
        if written["n"] == 4:
            raise RuntimeError("power failure")
        original(points)

    monkeypatch.setattr(world.index, "upsert", crashing)
    with pytest.raises(RuntimeError):
        world.sync()
    monkeypatch.setattr(world.index, "upsert", original)
    report = world.sync()
    assert report.added + report.unchanged == 6
    assert world.index.count() == 6
    assert len(world.visible(HR, "Flamingo")) == 6


class Crash(Exception):
    """The process dies between an index write and its commit."""


def crash_on(world: World, method: str) -> None:
    """The next call of the checkpoint's ``method`` kills the pass: the index was written, the commit not."""
    original = getattr(world.state, method)

    def dying(*args: object, **kwargs: object) -> None:
        setattr(world.state, method, original)
        raise Crash(method)

    setattr(world.state, method, dying)


def test_a_crash_after_writing_a_new_document_then_its_deletion_leaves_nothing_behind(world: World) -> None:
    write(world.root / "a" / "keep.txt", "Bleibt Albatros", {"allow": ["group:hr"]})
    world.sync()
    write(world.root / "a" / "neu.txt", "Neu Kormoran", {"allow": ["group:hr"]})
    crash_on(world, "commit_documents")
    with pytest.raises(Crash):
        world.sync()
    (world.root / "a" / "neu.txt").unlink()
    world.sync()
    assert world.visible(HR, "Kormoran") == set()
    assert world.visible(HR, "Albatros") == {"a/keep.txt"}


def test_a_crash_after_a_restamp_then_the_acl_reverted_keeps_the_right_acl(world: World) -> None:
    """The leak case: the index holds a wider ACL than the source and the checkpoint says nothing changed."""
    write(world.root / "a" / "akte.txt", "Akte Pelikan", {"allow": ["group:hr"]})
    world.sync()
    write(world.root / "a" / "akte.txt", "Akte Pelikan", {"allow": ["group:hr", "group:rnd"]})
    crash_on(world, "commit_acls")
    with pytest.raises(Crash):
        world.sync()
    write(world.root / "a" / "akte.txt", "Akte Pelikan", {"allow": ["group:hr"]})
    world.sync()
    assert world.visible(RND, "Pelikan") == set()
    assert world.visible(HR, "Pelikan") == {"a/akte.txt"}


def test_a_crash_after_rewriting_a_document_then_the_edit_reverted_serves_the_source_text(world: World) -> None:
    write(world.root / "a" / "text.txt", "Alter Text Flamingo", {"allow": ["group:hr"]})
    world.sync()
    write(world.root / "a" / "text.txt", "Neuer Text Kranich", {"allow": ["group:hr"]})
    crash_on(world, "commit_documents")
    with pytest.raises(Crash):
        world.sync()
    write(world.root / "a" / "text.txt", "Alter Text Flamingo", {"allow": ["group:hr"]})
    world.sync()
    assert world.visible(HR, "Kranich") == set()
    assert world.visible(HR, "Flamingo") == {"a/text.txt"}


def test_a_crash_after_deleting_then_the_file_restored_brings_it_back(world: World) -> None:
    write(world.root / "a" / "weg.txt", "Verschwunden Storch", {"allow": ["group:hr"]})
    world.sync()
    moved = world.root.parent / "weg.txt"
    (world.root / "a" / "weg.txt").rename(moved)
    crash_on(world, "remove")
    with pytest.raises(Crash):
        world.sync()
    moved.rename(world.root / "a" / "weg.txt")
    world.sync()
    assert world.visible(HR, "Storch") == {"a/weg.txt"}
