"""The VectorIndex contract for rewrites and withheld sources, run against every adapter.

A document is rewritten by upserting its new chunks (point ids derive from doc id and position, so
chunk i overwrites chunk i) and then dropping the surplus with :meth:`delete_chunks_from`; a source
whose permissions are stale is withheld from every read by ``where`` (``SearchFilter(sources=...)``).
"""

from __future__ import annotations

import pytest

from ragwarden.core.models import AccessControl, AccessScope, IndexedChunk, SearchFilter
from ragwarden.core.ports import VectorIndex
from ragwarden.retrieval import filters
from ragwarden.testing.contracts.vector_index_data import EMBEDDER, make_chunk

STAFF = AccessScope("sam", frozenset({"user:sam", "group:staff"}))
HR = AccessScope("hanna", frozenset({"user:hanna", "group:hr", "group:staff"}))


def doc(
    doc_id: str, chunks: int, word: str = "Urlaub", source: str = "share-a", allow: str = "group:staff"
) -> list[IndexedChunk]:
    metadata = {"source": source, "file_type": "pdf" if source == "share-a" else "docx"}
    return [make_chunk(doc_id, f"{word} Abschnitt {i}", [allow], index=i, metadata=metadata) for i in range(chunks)]


def positions(index: VectorIndex, doc_id: str, scope: AccessScope = HR) -> list[int]:
    return [hit.payload["chunk_index"] for hit in index.document_chunks(scope, doc_id)]


def texts(index: VectorIndex, doc_id: str) -> list[str]:
    return [hit.text for hit in index.document_chunks(HR, doc_id)]


# -- where on every read ------------------------------------------------------------------------------


def test_document_chunks_apply_where_inside_the_access_filter(index: VectorIndex) -> None:
    index.upsert(doc("a", 3) + doc("h", 2, source="share-b", allow="group:hr"))
    share_a, share_b = SearchFilter(sources=frozenset({"share-a"})), SearchFilter(sources=frozenset({"share-b"}))
    assert [h.payload["chunk_index"] for h in index.document_chunks(STAFF, "a", where=share_a)] == [0, 1, 2]
    assert index.document_chunks(STAFF, "a", where=share_b) == []
    assert index.document_chunks(STAFF, "h", where=share_b) == []  # where never widens the ACL
    assert len(index.document_chunks(HR, "h", where=share_b)) == 2
    assert index.document_chunks(HR, "h", where=SearchFilter(file_types=frozenset({"pdf"}))) == []


def test_facets_apply_where_inside_the_access_filter(index: VectorIndex) -> None:
    index.upsert(doc("a", 3) + doc("b", 2, source="share-b") + doc("h", 4, source="share-c", allow="group:hr"))
    assert index.facet(HR, "source") == {"share-a": 3, "share-b": 2, "share-c": 4}
    docx = SearchFilter(file_types=frozenset({"docx"}))
    assert index.facet(HR, "source", where=docx) == {"share-b": 2, "share-c": 4}
    assert index.facet(STAFF, "source", where=docx) == {"share-b": 2}
    assert index.facet(STAFF, "file_type", where=SearchFilter(sources=frozenset({"share-c"}))) == {}


def test_a_withheld_source_is_absent_from_search_documents_and_facets(index: VectorIndex) -> None:
    """How the choke point withholds a source with stale permissions: ``sources`` lists the fresh ones."""
    index.upsert(doc("fresh", 2) + doc("stale", 2, source="share-b"))
    fresh_only = SearchFilter(sources=frozenset({"share-a"}))
    query = EMBEDDER.embed_batch(["Urlaub"])[0]
    for mode in ("hybrid", "dense", "sparse"):
        hits = index.search(STAFF, query, "Urlaub", 10, mode, where=fresh_only)  # type: ignore[arg-type]
        assert {h.doc_id for h in hits} == {"fresh"}, mode
    assert index.document_chunks(STAFF, "stale", where=fresh_only) == []
    assert index.facet(STAFF, "source", where=fresh_only) == {"share-a": 2}


def test_facets_follow_every_write_at_once(index: VectorIndex) -> None:
    """Asked again and again with one scope (a person typing), facets must still change with each write: the
    Edge adapter keeps them per scope until the next write, and a revoked grant must not leave a source's name."""
    index.upsert(doc("a", 2) + doc("h", 3, source="share-c", allow="group:hr"))
    assert index.facet(STAFF, "source") == {"share-a": 2}
    assert index.facet(STAFF, "source") == {"share-a": 2}  # asked twice: the same
    index.restamp_acl(["h"], AccessControl(allow=frozenset({"group:staff"})))
    assert index.facet(STAFF, "source") == {"share-a": 2, "share-c": 3}
    index.restamp_acl(["h"], AccessControl(allow=frozenset({"group:hr"})))
    assert index.facet(STAFF, "source") == {"share-a": 2}
    index.delete_chunks_from({"a": 1})
    assert index.facet(STAFF, "source") == {"share-a": 1}
    index.upsert(doc("b", 2, source="share-b"))
    assert index.facet(STAFF, "source") == {"share-a": 1, "share-b": 2}
    index.delete_documents(["a", "b"])
    assert index.facet(STAFF, "source") == {}
    assert index.facet(HR, "source") == {"share-c": 3}


# -- the surplus of a rewrite -------------------------------------------------------------------------


def test_delete_chunks_from_drops_exactly_the_positions_at_and_past_the_count(index: VectorIndex) -> None:
    index.upsert(doc("a", 6) + doc("b", 4) + doc("c", 3) + doc("d", 2))
    index.delete_chunks_from({"a": 2, "b": 4, "c": 0, "no-such-doc": 1})
    assert positions(index, "a") == [0, 1]
    assert positions(index, "b") == [0, 1, 2, 3]  # nothing past its count: untouched
    assert positions(index, "c") == []  # a count of 0 is the whole document
    assert positions(index, "d") == [0, 1]  # not named: untouched
    assert index.count() == 8
    index.delete_chunks_from({})


def test_delete_chunks_from_covers_documents_over_several_batches(
    index: VectorIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filters, "DOC_BATCH", 3)
    index.upsert([chunk for d in range(10) for chunk in doc(f"d{d}", 5)])
    index.delete_chunks_from({f"d{d}": d % 4 for d in range(10)})
    assert [len(positions(index, f"d{d}")) for d in range(10)] == [d % 4 for d in range(10)]


def test_delete_chunks_from_refuses_a_count_that_is_not_a_position(index: VectorIndex) -> None:
    index.upsert(doc("a", 3))
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError):
            index.delete_chunks_from({"a": bad})  # type: ignore[dict-item]
    assert positions(index, "a") == [0, 1, 2]


def test_a_rewrite_is_never_missing_nor_twice_between_its_two_steps(index: VectorIndex) -> None:
    """New chunks first (overwriting positions 0..n-1 in place), then the old surplus goes."""
    index.upsert(doc("manual", 5, word="alt"))
    index.upsert(doc("manual", 3, word="neu"))
    between = index.document_chunks(HR, "manual")
    assert [h.payload["chunk_index"] for h in between] == [0, 1, 2, 3, 4]  # every position once
    assert len({h.point_id for h in between}) == 5
    assert [h.text.split()[0] for h in between] == ["neu", "neu", "neu", "alt", "alt"]
    index.delete_chunks_from({"manual": 3})
    assert texts(index, "manual") == ["neu Abschnitt 0", "neu Abschnitt 1", "neu Abschnitt 2"]
    hits = index.search(HR, EMBEDDER.embed_batch(["alt"])[0], "alt Abschnitt", 10, "sparse")
    assert all(h.text.startswith("neu") for h in hits)


# -- settling and what verify reads ---------------------------------------------------------------------


def test_settle_leaves_every_point_searchable_and_can_run_any_time(index: VectorIndex) -> None:
    index.settle()  # on an empty index
    index.upsert(doc("a", 4) + doc("h", 2, allow="group:hr"))
    query = EMBEDDER.embed_batch(["Urlaub"])[0]
    before = [h.point_id for h in index.search(HR, query, "Urlaub", 10)]
    index.settle()
    index.settle()
    assert [h.point_id for h in index.search(HR, query, "Urlaub", 10)] == before
    assert index.count() == 6
    assert {h.doc_id for h in index.search(STAFF, query, "Urlaub", 10)} == {"a"}


def test_document_acls_reports_what_the_index_holds_per_document(index: VectorIndex) -> None:
    index.upsert(doc("a", 3) + doc("h", 2, allow="group:hr"))
    moved = AccessControl(allow=frozenset({"group:board"}), deny=frozenset({"user:x"}))
    index.restamp_acl(["h"], moved)
    held = index.document_acls(["a", "h", "no-such-doc"])
    assert held == {"a": {AccessControl(allow=frozenset({"group:staff"}))}, "h": {moved}}
