"""Incremental sync of a local folder into a real Qdrant Edge index: changes, deletions, ACL-only
changes (no re-embedding), failures that fail closed, and resumption after a crash."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.acl.principals import Emittable
from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.core.models import AccessScope
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.retriever import Retriever
from ragwarden.testing.fakes.embedding import CountingEmbedder
from tests.fixtures.samba import SambaDirectory

HR = AccessScope("hanna", frozenset({"user:hanna", "group:hr", "everyone"}))
RND = AccessScope("rolf", frozenset({"user:rolf", "group:rnd", "everyone"}))


def write(path: Path, text: str, acl: dict | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if acl is not None:
        (path.parent / f"{path.name}.acl.json").write_text(json.dumps(acl))


class World:
    def __init__(self, tmp_path: Path, principals: Emittable | None = None) -> None:
        self.root = tmp_path / "docs"
        self.root.mkdir()
        self.embedder = CountingEmbedder()
        self.index = QdrantEdgeIndex(tmp_path / "index")
        self.state = StateStore(tmp_path / "state.sqlite3")
        processor = DocumentProcessor(Chunker(120, 10), 10_000_000)
        self.engine = SyncEngine(self.index, self.embedder, self.state, processor, principals=principals)
        # Keyword mode: "is this text findable" must not be blurred by dense neighbours.
        self.retriever = Retriever(self.index, self.embedder, mode="sparse")

    def connector(self) -> LocalFolderConnector:
        return LocalFolderConnector(self.root, source="t", max_file_size=10_000_000)

    def sync(self):  # type: ignore[no-untyped-def]
        return self.engine.sync(self.connector())

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


# --- a deny must name someone the configured directory can emit ---------------------------------------

DIRECTORY = LocalDirectory.from_mapping(
    {"users": {"hanna": {"groups": ["hr"]}, "rolf": {"groups": ["rnd"]}}, "groups": {"hr": {}, "rnd": {}}}
)


@pytest.fixture
def checked(tmp_path: Path):  # type: ignore[no-untyped-def]
    w = World(tmp_path, principals=DIRECTORY.emittable())
    yield w
    w.index.close()
    w.state.close()


@pytest.mark.parametrize("deny", ["upn:hanna@corp.example", "spgroup:site:7", "user:ghost", "sid:S-1-5-2"])
def test_a_deny_no_configured_resolver_can_emit_keeps_the_document_out(checked: World, deny: str) -> None:
    """The deny could never match a caller (it would fail open): the document is a failed item, with the reason."""
    write(checked.root / "hr" / "a.txt", "Quokka Gehalt", {"allow": ["group:hr"], "deny": [deny]})
    write(checked.root / "hr" / "b.txt", "Quokka Urlaub", {"allow": ["group:hr"], "deny": ["user:rolf"]})
    report = checked.sync()
    assert report.added == 1 and [f.kind for f in report.failed] == ["acl"]
    assert report.failed[0].source_uri.endswith("a.txt") and deny in report.failed[0].reason
    assert checked.visible(HR, "Quokka") == {"hr/b.txt"}


def test_an_indexed_document_whose_deny_turns_unresolvable_leaves_the_index(checked: World) -> None:
    """In the permission-only pass too: the old copy must not stay visible."""
    write(checked.root / "a.txt", "Wombat Bericht", {"allow": ["group:hr"], "deny": ["group:rnd"]})
    assert checked.sync().added == 1 and checked.visible(HR, "Wombat") == {"a.txt"}
    write(checked.root / "a.txt", "Wombat Bericht", {"allow": ["group:hr"], "deny": ["group:sales"]})
    report = checked.engine.sync_acls(checked.connector())
    assert report.deleted == 1 and len(report.failed) == 1 and "group:sales" in report.failed[0].reason
    assert checked.visible(HR, "Wombat") == set()
    assert checked.sync().added == 0  # and the content pass does not bring it back


def test_allow_entries_nobody_can_hold_grant_nothing_and_are_reported(checked: World) -> None:
    write(checked.root / "a.txt", "Koala Plan", {"allow": ["group:hr", "upn:rolf@corp.example", "group:sales"]})
    report = checked.sync()
    assert report.added == 1 and not report.failed
    assert report.ignored == {"upn:rolf@corp.example": 1, "group:sales": 1}
    assert "upn:rolf@corp.example" in report.summary
    indexed = checked.state.documents("t")
    assert [d.acl.allow for d in indexed.values()] == [frozenset({"group:hr"})]
    assert checked.sync().unchanged == 1  # the narrowed ACL is what is compared next time


def test_with_the_real_ad_resolver_machine_local_and_builtin_denies_keep_files_out(
    tmp_path: Path, samba_directory: SambaDirectory
) -> None:
    """Sidecar ACLs in SIDs, checked against what the real DC's resolver emits: a deny for the file
    server's local group or BUILTIN fails the file; a deny for a domain group is kept and bites."""
    d = samba_directory
    resolver = d.resolver()
    world = World(tmp_path, principals=resolver.emittable())
    try:
        users, team = tokens.sid(d.sid_of("Domain Users")), tokens.sid(d.sid_of("RW-Team-L1"))
        local_group = "sid:S-1-5-21-4000000001-4000000002-4000000003-1001"
        write(world.root / "a.txt", "Numbat eins", {"allow": [users], "deny": [local_group]})
        write(world.root / "b.txt", "Numbat zwei", {"allow": [users], "deny": ["sid:S-1-5-32-544"]})
        write(world.root / "c.txt", "Numbat drei", {"allow": [users, "sid:S-1-5-32-545"], "deny": [team]})
        write(world.root / "d.txt", "Numbat vier", {"allow": [users]})
        report = world.sync()
        assert sorted(Path(f.source_uri).name for f in report.failed) == ["a.txt", "b.txt"]
        assert report.ignored == {"sid:S-1-5-32-545": 1}
        assert world.visible(resolver.resolve("alice"), "Numbat") == {"d.txt"}  # alice is in RW-Team-L1
        assert world.visible(resolver.resolve("bob"), "Numbat") == {"c.txt", "d.txt"}
    finally:
        world.index.close()
        world.state.close()


def test_the_composition_root_checks_acls_against_the_configured_resolvers(tmp_path: Path) -> None:
    """``ragwarden serve``/``ingest`` build the engine with the union of the directory and, when Entra
    authenticates callers, Entra: a deny on an Entra object fails unless Entra is configured."""
    from ragwarden.core.settings import load_settings
    from ragwarden.services import build_services

    directory = tmp_path / "directory.yaml"
    directory.write_text("users:\n  hanna: {groups: [hr]}\ngroups:\n  hr: {}\n")
    entra_object = "entra:00000000-0000-0000-0000-000000000000"
    write(tmp_path / "docs" / "a.txt", "Dingo Akte", {"allow": ["group:hr"], "deny": [entra_object]})
    plain = {"data_dir": tmp_path / "data", "directory_file": directory, "proxy_secret": "x" * 20}
    services = build_services(load_settings(**plain), embedder=CountingEmbedder())
    try:
        report = services.sync(services.folder_connector(tmp_path / "docs", source="d"))
        assert report.added == 0 and [f.kind for f in report.failed] == ["acl"]
        entra = {"auth_mode": "trusted-header,entra", "entra_tenant_id": "t", "entra_audience": ["api://x"]}
        assert entra_object in dataclasses.replace(
            services, settings=load_settings(**plain, **entra)
        ).principals()
    finally:
        services.close()


# -- a permission pass never stamps an ACL on another file's chunks --------------------------------


def test_a_permission_pass_never_stamps_a_new_files_acl_on_the_old_files_chunks(world: World) -> None:
    """A confidential file rewritten and opened to everyone between content syncs: the permission-only
    pass must not give the old (confidential) chunks the new, wider ACL; they leave the index and the
    content sync indexes the new text with it."""
    path = world.root / "hr" / "x.txt"
    write(path, "Abfindung Quittenbaum vertraulich", {"allow": ["group:hr"]})
    world.sync()
    write(path, "Quittenbaum Pressemitteilung, fuer alle", {"allow": ["everyone"]})
    report = world.engine.sync_acls(world.connector())
    assert report.recovered == 1 and report.restamped == 0
    assert world.visible(RND, "Abfindung") == set()
    assert world.visible(HR, "Abfindung") == set()  # the old text is gone for everyone until re-read
    world.sync()
    assert world.visible(RND, "Pressemitteilung") == {"hr/x.txt"}
    assert world.visible(RND, "Abfindung") == set()


def test_a_permission_pass_restamps_when_only_the_acl_changed_and_after_a_touch_without_new_text(
    world: World,
) -> None:
    """The same file with a new ACL is re-stamped at once; a touched file (same bytes, new time) is
    recorded by the content sync so that the next permission pass re-stamps it again."""
    path = world.root / "hr" / "x.txt"
    write(path, "Quittenbaum Protokoll", {"allow": ["group:hr"]})
    world.sync()
    (path.parent / "x.txt.acl.json").write_text(json.dumps({"allow": ["group:rnd"]}))
    assert world.engine.sync_acls(world.connector()).restamped == 1
    assert world.visible(RND, "Quittenbaum") == {"hr/x.txt"}
    path.write_text("Quittenbaum Protokoll", encoding="utf-8")  # same bytes, new modification time
    import os

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert world.sync().updated == 0
    (path.parent / "x.txt.acl.json").write_text(json.dumps({"allow": ["group:hr"]}))
    report = world.engine.sync_acls(world.connector())
    assert (report.restamped, report.recovered) == (1, 0)
    assert world.visible(RND, "Quittenbaum") == set()


def test_a_data_directory_from_before_file_versions_opens_with_its_documents(tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / "state.sqlite3")
    db.execute(
        "CREATE TABLE documents (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, source_uri TEXT NOT NULL, "
        "title TEXT NOT NULL, path TEXT NOT NULL, file_type TEXT NOT NULL, content_hash TEXT NOT NULL, "
        "acl_version TEXT NOT NULL, acl_json TEXT NOT NULL, chunk_count INTEGER NOT NULL, modified TEXT, "
        "indexed_at TEXT NOT NULL)"
    )
    acl = json.dumps({"allow": ["group:hr"], "deny": [], "share": []})
    row = ("d", "t", "file:///x", "X", "x", "txt", "h", "v", acl, 1, None, "n")
    db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
    db.commit()
    db.close()
    state = StateStore(tmp_path / "state.sqlite3")
    try:
        [(doc_id, doc)] = state.documents("t").items()
        assert (doc_id, doc.version, doc.chunk_count) == ("d", "", 1)  # "": unknown, permission passes re-stamp
    finally:
        state.close()


def test_a_serving_process_paces_every_document_and_embeds_in_the_slices_it_is_given(tmp_path: Path) -> None:
    """With ``pace`` (a server's: wait while searches are in flight), the engine asks before it takes up
    each document and before each embedding slice, and never embeds more than the slice it was given."""
    world = World(tmp_path)
    calls: list[int] = []

    def pace() -> int:
        calls.append(1)
        return 2

    processor = DocumentProcessor(Chunker(120, 10), 10_000_000)
    world.engine = SyncEngine(world.index, world.embedder, world.state, processor, pace=pace)
    for n in range(5):
        write(world.root / f"d{n}.txt", f"Abschnitt {n} " + "Urlaub Gehalt Dienstreise " * 60, {"allow": ["everyone"]})
    try:
        report = world.sync()
        assert report.added == 5 and report.chunks_written > 5
        assert world.embedder.calls >= len(world.embedder.texts) / 2  # slices of at most 2
        assert len(calls) >= 5 + report.chunks_written // 2
    finally:
        world.index.close()
        world.state.close()
