"""Tombstones in the sync state: a forgotten document is skipped while the source still holds the same
content, comes back as a new version when its content changes (the tombstone is lifted), and takes its
tombstone with it when a complete pass no longer finds it; a partial (watched) pass lifts nothing it did not
see. (Through a real server, with the index: tests/audit/test_privacy_live.py.)"""

from __future__ import annotations

from pathlib import Path

from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.ingestion.state import StateStore

ACL = AccessControl(frozenset({"group:staff"}))


def _doc(uri: str, content: str) -> SourceDocument:
    return SourceDocument(f"id-{uri}", "docs", uri, uri, ACL, content, path=uri, file_type="txt", version=content)


def _kept(state: StateStore, items: list[SourceDocument | FailedItem], complete: bool = True) -> list[str]:
    return [i.source_uri for i in state.tombstones.filter("docs", items, complete=complete)]


def test_a_forgotten_document_stays_out_until_it_changes_or_goes(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state.sqlite3")
    try:
        state.commit_documents([(_doc("a.txt", "h1"), 1), (_doc("b.txt", "h2"), 1)])
        (stone,) = state.tombstones.bury(["id-a.txt"])
        assert (stone.source, stone.source_uri, stone.content_hash) == ("docs", "a.txt", "h1")
        state.remove(["id-a.txt"])

        assert _kept(state, [_doc("a.txt", "h1"), _doc("b.txt", "h2")]) == ["b.txt"]
        assert _kept(state, [_doc("b.txt", "h2")], complete=False) == ["b.txt"]
        assert state.tombstones.get("docs", "a.txt") is not None  # a partial pass saw too little to lift it
        assert _kept(state, [FailedItem("a.txt", "unreadable")]) == ["a.txt"]  # a failure is reported, kept out
        assert state.tombstones.get("docs", "a.txt") is not None

        assert _kept(state, [_doc("a.txt", "h9"), _doc("b.txt", "h2")]) == ["a.txt", "b.txt"]  # a new version
        assert state.tombstones.all() == []

        state.commit_documents([(_doc("a.txt", "h9"), 1)])
        state.tombstones.bury(["id-a.txt"])
        assert _kept(state, [_doc("b.txt", "h2")]) == ["b.txt"]  # gone at the source: tombstone lifted
        assert state.tombstones.all() == []
    finally:
        state.close()
