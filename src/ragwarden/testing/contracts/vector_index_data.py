"""The harness, corpus, scopes and query helpers of the VectorIndex contract (:mod:`.vector_index`).

Vectors come from :class:`~ragwarden.testing.fakes.concepts.ConceptEmbedder`: embedder quality is not
under test, the index is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ragwarden.core.models import AccessControl, AccessScope, Chunk, IndexedChunk, Scope
from ragwarden.core.ports import SearchMode, VectorIndex
from ragwarden.testing.fakes.concepts import DIM, ConceptEmbedder

__all__ = [
    "BOB", "CORPUS", "DIM", "EMBEDDER", "HR", "MODES", "NOBODY", "RND",
    "Forbidden", "VectorIndexHarness", "ask", "load", "make_chunk", "visible_docs",
]  # fmt: skip


@dataclass(frozen=True)
class VectorIndexHarness:
    """One VectorIndex implementation, with the backdoors only tests need."""

    #: opens (or reopens) the same storage; the contract calls ``ensure_collection`` and ``close``
    open: Callable[[], VectorIndex]
    #: the stored vectors of these point ids, as comparable plain values, keyed by point id
    raw_vectors: Callable[[VectorIndex, list[str]], dict[str, Any]]
    #: the attribute holding the engine handle: replaced by :class:`Forbidden` to prove "no query"
    backend_attr: str
    #: whether a reopened index still holds what was written (False: the restart test is skipped)
    persistent: bool


class Forbidden:
    """Stands in for the engine: any use of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the index backend was called ({name}) although it must not be")


EMBEDDER = ConceptEmbedder()
MODES: list[SearchMode] = ["hybrid", "dense", "sparse"]


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
    """A chunk ready to upsert, with its ACL; the dense vector is the text's concepts unless given."""
    acl = AccessControl(allow=frozenset(allow), deny=frozenset(deny), share=frozenset(share))
    chunk = Chunk(doc_id=doc_id, index=index, text=text, acl=acl, title=f"Title of {doc_id}", **fields)
    vector = list(dense) if dense is not None else EMBEDDER.embed_batch([text])[0]
    return IndexedChunk(point_id=chunk.chunk_id, dense=vector, text=text, payload=chunk.payload())


HR = AccessScope("hanna", frozenset({"user:hanna", "group:hr", "group:staff", "everyone"}))
BOB = AccessScope("bob", frozenset({"user:bob", "group:hr", "group:staff", "everyone"}))
RND = AccessScope("rita", frozenset({"user:rita", "group:rnd", "group:staff", "everyone"}))
NOBODY = AccessScope("ghost", frozenset())

CORPUS = [
    make_chunk("hr-payroll", "Die Gehaltsabrechnungen für März werden am 25. verschickt.", ["group:hr"]),
    make_chunk("all-vacation", "Vacation days can be carried over until the end of March.", ["everyone"]),
    make_chunk("it-window", "Die Wartung der Server findet am Sonntag statt.", ["group:staff"]),
    make_chunk("fin-billing", "Invoices are approved by the finance team within ten days.", ["group:finance"]),
    make_chunk("rnd-lab", "The prototype is tested in the laboratory.", ["group:rnd"], deny=["user:bob"]),
    make_chunk("hr-secret", "Gehaltsabrechnungen der Vorstände.", ["group:hr"], deny=["user:bob"]),
    make_chunk("share-hr", "Urlaub und Gehalt im Überblick.", ["everyone"], share=["group:hr"]),
]


def load(index: VectorIndex, chunks: list[IndexedChunk] = CORPUS) -> None:
    index.upsert(chunks)


def ask(index: VectorIndex, scope: Scope, text: str, mode: SearchMode = "hybrid", limit: int = 10) -> list[str]:
    """The doc ids of the hits, best first."""
    hits = index.search(scope, EMBEDDER.embed_batch([text])[0], text, limit, mode)
    return [hit.doc_id for hit in hits]


def visible_docs(index: VectorIndex, scope: Scope, mode: SearchMode) -> set[str]:
    """Everything the scope can reach with a query that matches every chunk in the given mode."""
    text = "Gehaltsabrechnungen vacation Wartung invoices prototype Urlaub Gehalt Server"
    return set(ask(index, scope, text, mode, limit=100))
