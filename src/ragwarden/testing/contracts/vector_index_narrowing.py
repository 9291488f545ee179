"""The VectorIndex contract, second part: group chats, the caller's own filters and facets, each inside the
access filter. :class:`~ragwarden.testing.contracts.vector_index.VectorIndexContract` includes it; the
``index`` fixture comes from there."""

from __future__ import annotations

from datetime import UTC, datetime

from ragwarden.core.models import AccessScope, IndexedChunk, JointScope, SearchFilter
from ragwarden.core.ports import VectorIndex

from .vector_index_data import EMBEDDER, HR, MODES, NOBODY, RND, load, make_chunk, visible_docs


class NarrowingContract:
    """Tests of the VectorIndex port that narrow what a scope sees; run through ``VectorIndexContract``."""

    def test_a_joint_scope_sees_only_what_every_member_may_see(self, index: VectorIndex) -> None:
        load(index)
        both = JointScope("chat", (HR, RND))
        for mode in MODES:
            assert visible_docs(index, both, mode) == visible_docs(index, HR, mode) & visible_docs(index, RND, mode)
        assert visible_docs(index, JointScope("chat", (HR, NOBODY)), "hybrid") == set()

    def test_where_narrows_by_source_file_type_and_modified_inside_the_access_filter(self, index: VectorIndex) -> None:
        def chunk(doc: str, allow: str, source: str, file_type: str, day: int) -> IndexedChunk:
            when = datetime(2026, 3, day, 12, tzinfo=UTC).isoformat()
            metadata = {"source": source, "file_type": file_type, "modified": when}
            return make_chunk(doc, f"Urlaub {doc}", [allow], metadata=metadata)

        chunks = [
            chunk("a", "everyone", "share-a", "pdf", 1),
            chunk("b", "everyone", "share-b", "docx", 10),
            chunk("c", "everyone", "share-a", "docx", 20),
            chunk("h", "group:hr", "share-a", "docx", 10),
        ]
        index.upsert(chunks)

        def found(scope: AccessScope, where: SearchFilter) -> set[str]:
            hits = index.search(scope, EMBEDDER.embed_batch(["Urlaub"])[0], "Urlaub", 10, "hybrid", where=where)
            return {h.doc_id for h in hits}

        assert found(RND, SearchFilter(sources=frozenset({"share-a"}))) == {"a", "c"}
        assert found(HR, SearchFilter(sources=frozenset({"share-a"}))) == {"a", "c", "h"}
        assert found(RND, SearchFilter(file_types=frozenset({"docx"}))) == {"b", "c"}
        march_5_to_15 = SearchFilter(
            modified_from=datetime(2026, 3, 5, tzinfo=UTC), modified_to=datetime(2026, 3, 15, tzinfo=UTC)
        )
        assert found(RND, march_5_to_15) == {"b"}
        assert found(HR, march_5_to_15) == {"b", "h"}

    def test_facets_count_only_what_the_scope_may_see(self, index: VectorIndex) -> None:
        chunks = [
            make_chunk("a", "Urlaub", ["everyone"], metadata={"source": "intranet", "file_type": "pdf"}),
            make_chunk("h", "Gehalt", ["group:hr"], metadata={"source": "hr-share", "file_type": "xlsx"}),
        ]
        index.upsert(chunks)
        assert index.facet(RND, "source") == {"intranet": 1}
        assert index.facet(HR, "source") == {"intranet": 1, "hr-share": 1}
        assert index.facet(RND, "file_type") == {"pdf": 1}
        assert index.facet(NOBODY, "source") == {}
