"""The VectorIndex contract: what every index adapter must do, above all filter by ACL inside the search.

Subclass :class:`VectorIndexContract` once per adapter and provide an ``adapter`` fixture returning a
:class:`VectorIndexHarness`; the contract opens a fresh ``index`` from it for every test (override the
``index`` fixture if opening needs more)::

    class TestMyIndex(VectorIndexContract):
        @pytest.fixture
        def adapter(self, tmp_path: Path) -> VectorIndexHarness:
            return VectorIndexHarness(
                open=lambda: MyIndex(tmp_path / "idx"),
                raw_vectors=lambda index, ids: my_stored_vectors(index, ids),
                backend_attr="_engine",
                persistent=True,
            )
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ragwarden.core.errors import AccessControlError, ConfigurationError, InvalidRequestError
from ragwarden.core.models import AccessControl, AccessScope, IndexedChunk
from ragwarden.core.ports import SearchMode, VectorIndex

from .vector_index_data import (
    BOB,
    CORPUS,
    DIM,
    EMBEDDER,
    HR,
    MODES,
    NOBODY,
    RND,
    Forbidden,
    VectorIndexHarness,
    ask,
    load,
    make_chunk,
    visible_docs,
)  # fmt: skip
from .vector_index_narrowing import NarrowingContract

__all__ = ["Forbidden", "VectorIndexContract", "VectorIndexHarness"]


class VectorIndexContract(NarrowingContract):
    """Every test of the VectorIndex port; a subclass provides the ``adapter`` fixture."""

    @pytest.fixture
    def adapter(self) -> VectorIndexHarness:
        raise NotImplementedError("a VectorIndexContract subclass provides the `adapter` fixture")

    @pytest.fixture
    def index(self, adapter: VectorIndexHarness) -> Iterator[VectorIndex]:
        """A fresh, empty index with its collection ensured."""
        idx = adapter.open()
        idx.ensure_collection(DIM)
        yield idx
        idx.close()

    # -- ranking ------------------------------------------------------------------------------------

    @pytest.mark.parametrize("mode", ["hybrid", "sparse"])
    def test_german_query_finds_german_chunk_by_stemmed_keyword(self, index: VectorIndex, mode: SearchMode) -> None:
        """'Gehaltsabrechnung' (singular) finds the chunk saying 'Gehaltsabrechnungen' (German stemming)."""
        load(index)
        assert ask(index, HR, "Gehaltsabrechnung", mode)[:2] in (
            ["hr-payroll", "hr-secret"],
            ["hr-secret", "hr-payroll"],
        )

    @pytest.mark.parametrize("mode", ["hybrid", "sparse"])
    def test_english_query_finds_english_chunk_by_stemmed_keyword(self, index: VectorIndex, mode: SearchMode) -> None:
        """'invoice' finds the chunk saying 'Invoices' (English stemming)."""
        load(index)
        finance = AccessScope("fiona", frozenset({"group:finance"}))
        assert ask(index, finance, "who approves an invoice", mode)[0] == "fin-billing"

    def test_dense_search_finds_by_meaning_without_shared_words(self, index: VectorIndex) -> None:
        """'holiday' shares no word with 'Vacation days ...' but the same concept."""
        load(index)
        assert ask(index, RND, "holiday", "dense")[0] == "all-vacation"

    def test_sparse_search_of_only_stop_words_returns_nothing(self, index: VectorIndex) -> None:
        load(index)
        assert ask(index, HR, "the and der die", "sparse") == []

    def test_exact_search_returns_the_true_nearest_neighbours(self, index: VectorIndex) -> None:
        load(index)
        query = EMBEDDER.embed_batch(["Server maintenance downtime"])[0]
        hits = index.search(HR, query, "", 3, "dense", exact=True)
        assert hits[0].doc_id == "it-window"
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    def test_hit_payload_is_the_stored_payload(self, index: VectorIndex) -> None:
        chunk = make_chunk("doc-p", "Rechnungen prüfen", ["everyone"], source_uri="file:///x.pdf", section="A", page=3)
        index.upsert([chunk])
        (hit,) = index.search(HR, chunk.dense, "Rechnungen", 5)
        assert hit.point_id == chunk.point_id
        assert dict(hit.payload) == dict(chunk.payload)
        assert hit.acl == AccessControl(allow=frozenset({"everyone"}))

    # -- the ACL filter -----------------------------------------------------------------------------

    @pytest.mark.parametrize("mode", MODES)
    def test_a_caller_sees_exactly_the_documents_the_acl_allows(self, index: VectorIndex, mode: SearchMode) -> None:
        """allow ∩ T ≠ ∅ AND (share = ∅ OR share ∩ T ≠ ∅) AND deny ∩ T = ∅, inside every search mode."""
        load(index)
        assert visible_docs(index, HR, mode) == {
            "hr-payroll", "all-vacation", "it-window", "hr-secret", "share-hr",
        }  # fmt: skip
        assert visible_docs(index, RND, mode) == {"all-vacation", "it-window", "rnd-lab"}

    @pytest.mark.parametrize("mode", MODES)
    def test_a_deny_for_any_caller_token_wins_over_an_allow(self, index: VectorIndex, mode: SearchMode) -> None:
        load(index)
        seen = visible_docs(index, BOB, mode)
        assert "hr-secret" not in seen and "hr-payroll" in seen
        rnd_bob = AccessScope("bob", frozenset({"user:bob", "group:rnd"}))
        assert "rnd-lab" not in visible_docs(index, rnd_bob, mode)

    @pytest.mark.parametrize("mode", MODES)
    def test_share_acl_must_match_too_and_an_empty_share_does_not_restrict(
        self, index: VectorIndex, mode: SearchMode
    ) -> None:
        load(index)
        assert "share-hr" in visible_docs(index, HR, mode)  # allow (everyone) ∩ share (hr)
        assert "share-hr" not in visible_docs(index, RND, mode)  # allowed, but not on the share
        only_hr = AccessScope("x", frozenset({"group:hr"}))  # share matches, allow (everyone) does not
        assert "share-hr" not in visible_docs(index, only_hr, mode)
        assert "all-vacation" in visible_docs(index, RND, mode)  # empty share: allow alone decides

    @pytest.mark.parametrize("mode", MODES)
    def test_an_empty_scope_returns_nothing_without_querying(
        self, index: VectorIndex, adapter: VectorIndexHarness, monkeypatch: pytest.MonkeyPatch, mode: SearchMode
    ) -> None:
        load(index)
        monkeypatch.setattr(index, adapter.backend_attr, Forbidden())
        assert index.search(NOBODY, EMBEDDER.embed_batch(["x"])[0], "Gehalt", 10, mode) == []
        assert index.document_chunks(NOBODY, "hr-payroll") == []

    def test_a_scope_of_unknown_tokens_sees_nothing(self, index: VectorIndex) -> None:
        load(index)
        stranger = AccessScope("s", frozenset({"user:stranger"}))
        assert visible_docs(index, stranger, "hybrid") == set()
        assert index.document_chunks(stranger, "all-vacation") == []

    def test_bm25_ranking_does_not_depend_on_documents_the_caller_cannot_see(self, index: VectorIndex) -> None:
        """IDF is computed over the visible corpus: hidden documents cannot be probed through the ranking.

        With collection-wide IDF the 30 hidden 'prototype' chunks would make 'prototype' a common word and
        put the 'laboratory' chunk first.
        """
        visible = ["prototype", "laboratory", "laboratory report"]
        index.upsert([make_chunk(f"v{i}", text, ["group:rnd"]) for i, text in enumerate(visible)])
        before = index.search(RND, [0.0] * (DIM - 1) + [1.0], "prototype laboratory", 5, "sparse")
        index.upsert([make_chunk(f"hidden-{i}", "prototype", ["group:board"]) for i in range(30)])
        after = index.search(RND, [0.0] * (DIM - 1) + [1.0], "prototype laboratory", 5, "sparse")
        assert [h.doc_id for h in before] == ["v0", "v1", "v2"]
        assert [(h.doc_id, round(h.score, 6)) for h in after] == [(h.doc_id, round(h.score, 6)) for h in before]

    # -- writes -------------------------------------------------------------------------------------

    def test_restamp_changes_visibility_without_touching_vectors(
        self, index: VectorIndex, adapter: VectorIndexHarness
    ) -> None:
        load(index)
        ids = [c.point_id for c in CORPUS if c.payload["doc_id"] == "hr-payroll"]
        vectors_before = adapter.raw_vectors(index, ids)
        assert "hr-payroll" not in visible_docs(index, RND, "hybrid")

        new_acl = AccessControl(allow=frozenset({"group:rnd"}), deny=frozenset({"user:hanna"}))
        index.restamp_acl(["hr-payroll"], new_acl)

        assert "hr-payroll" in visible_docs(index, RND, "hybrid")
        assert "hr-payroll" not in visible_docs(index, HR, "hybrid")
        assert adapter.raw_vectors(index, ids) == vectors_before
        (chunk,) = index.document_chunks(RND, "hr-payroll")
        assert chunk.acl == new_acl and chunk.payload["acl_version"] == new_acl.version
        assert chunk.text.startswith("Die Gehaltsabrechnungen")  # the rest of the payload is kept

    def test_restamp_covers_every_chunk_of_the_documents(self, index: VectorIndex) -> None:
        chunks = [make_chunk(f"d{d}", f"Server chunk {i}", ["group:a"], index=i) for d in range(3) for i in range(5)]
        index.upsert(chunks)
        b = AccessScope("b", frozenset({"group:b"}))
        index.restamp_acl(["d0", "d2"], AccessControl(allow=frozenset({"group:b"})))
        assert [len(index.document_chunks(b, f"d{d}")) for d in range(3)] == [5, 0, 5]
        index.restamp_acl([], AccessControl(allow=frozenset({"x"})))  # nothing to do, no error

    def test_delete_documents_removes_all_their_chunks_and_nothing_else(self, index: VectorIndex) -> None:
        load(index)
        extra = [make_chunk("all-vacation", f"more text {i}", ["everyone"], index=i) for i in range(1, 4)]
        index.upsert(extra)
        assert index.count() == len(CORPUS) + 3
        index.delete_documents(["all-vacation", "hr-secret", "no-such-doc"])
        assert index.count() == len(CORPUS) - 2
        assert index.document_chunks(HR, "all-vacation") == []
        assert visible_docs(index, HR, "hybrid") == {"hr-payroll", "it-window", "share-hr"}

    def test_upsert_with_the_same_ids_replaces_instead_of_duplicating(self, index: VectorIndex) -> None:
        load(index)
        load(index)
        assert index.count() == len(CORPUS)
        changed = make_chunk("it-window", "Die Wartung entfällt.", ["group:staff"])
        index.upsert([changed])
        assert index.count() == len(CORPUS)
        (chunk,) = index.document_chunks(HR, "it-window")
        assert chunk.text == "Die Wartung entfällt."

    def test_a_chunk_without_acl_payload_is_refused(self, index: VectorIndex) -> None:
        good = make_chunk("d", "text", ["everyone"])
        payload = {k: v for k, v in good.payload.items() if k != "acl_allow"}
        with pytest.raises(AccessControlError):
            index.upsert([IndexedChunk(good.point_id, good.dense, good.text, payload)])
        with pytest.raises(AccessControlError):
            index.upsert([IndexedChunk(good.point_id, good.dense, good.text, {**good.payload, "acl_allow": []})])
        assert index.count() == 0

    # -- reads by document --------------------------------------------------------------------------

    def test_document_chunks_are_ordered_and_filtered_by_scope(self, index: VectorIndex) -> None:
        chunks = [make_chunk("manual", f"Abschnitt {i}", ["group:hr"], deny=["user:bob"], index=i) for i in range(12)]
        index.upsert(list(reversed(chunks)))
        hits = index.document_chunks(HR, "manual")
        assert [h.payload["chunk_index"] for h in hits] == list(range(12))
        assert [h.point_id for h in hits] == [c.point_id for c in chunks]
        assert index.document_chunks(BOB, "manual") == []
        assert index.document_chunks(RND, "manual") == []
        assert len(index.document_chunks(HR, "manual", limit=5)) == 5

    # -- lifecycle ----------------------------------------------------------------------------------

    def test_count_and_search_on_an_empty_index(self, index: VectorIndex) -> None:
        assert index.count() == 0
        assert index.search(HR, [1.0] * DIM, "Gehalt", 10) == []

    def test_ensure_collection_is_idempotent_and_refuses_another_dimension(self, index: VectorIndex) -> None:
        load(index)
        index.ensure_collection(DIM)
        assert index.count() == len(CORPUS)
        with pytest.raises(ConfigurationError):
            index.ensure_collection(DIM + 1)

    def test_bad_search_arguments_are_refused(self, index: VectorIndex) -> None:
        load(index)
        query = [1.0] * DIM
        for limit in (0, -1, 10_001):
            with pytest.raises(InvalidRequestError):
                index.search(HR, query, "x", limit)
        with pytest.raises(InvalidRequestError):
            index.search(HR, query, "x", 5, "fuzzy")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            index.search(HR, [1.0] * (DIM + 2), "x", 5, "dense")

    def test_the_index_survives_a_restart(self, adapter: VectorIndexHarness) -> None:
        if not adapter.persistent:
            pytest.skip("in-memory mode keeps nothing")
        index = adapter.open()
        index.ensure_collection(DIM)
        load(index)
        index.restamp_acl(["it-window"], AccessControl(allow=frozenset({"group:rnd"})))
        index.close()

        reopened = adapter.open()
        try:
            assert reopened.count() == len(CORPUS)
            assert ask(reopened, HR, "Gehaltsabrechnung", "sparse")[0] in {"hr-payroll", "hr-secret"}
            assert "it-window" not in visible_docs(reopened, HR, "hybrid")
            reopened.ensure_collection(DIM)  # opening an existing index is a no-op
            reopened.upsert([make_chunk("new", "Server", ["everyone"])])
            assert reopened.count() == len(CORPUS) + 1
        finally:
            reopened.close()
