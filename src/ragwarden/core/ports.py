"""Ports: the small protocols the layers meet at. Conveniences derive from the one essential method."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

from ragwarden.core.audit import AuditEvent
from ragwarden.core.models import (
    AccessControl,
    AccessScope,
    FailedItem,
    IndexedChunk,
    Scope,
    SearchFilter,
    SearchHit,
    SourceDocument,
)

SearchMode = Literal["hybrid", "dense", "sparse"]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into dense vectors of a fixed dimension."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]: ...


def embed_query(embedder: Embedder, text: str) -> list[float]:
    """One query vector, derived from :meth:`Embedder.embed_batch`."""
    return embedder.embed_batch([text])[0]


@runtime_checkable
class VectorIndex(Protocol):
    """Chunks with dense + BM25 vectors and ACL payload; every read takes the caller's scope.

    Adapters compute the BM25 sparse vectors themselves from ``IndexedChunk.text`` and the query
    text, so both adapters rank alike. Only ``ragwarden.retrieval.retriever`` calls :meth:`search`.
    """

    def ensure_collection(self, dimension: int) -> None:
        """Create the collection and its ACL payload indexes before the first point is written."""

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None: ...

    def delete_documents(self, doc_ids: Sequence[str]) -> None: ...

    def restamp_acl(self, doc_ids: Sequence[str], acl: AccessControl) -> None:
        """Overwrite the ACL payload of every chunk of ``doc_ids`` without touching vectors."""

    def search(
        self,
        scope: Scope,
        dense: Sequence[float],
        text: str,
        limit: int,
        mode: SearchMode = "hybrid",
        exact: bool = False,
        where: SearchFilter | None = None,
    ) -> list[SearchHit]:
        """ACL-filtered search; the filter (and ``where``) is applied inside the vector search."""

    def facet(self, scope: Scope, key: str, limit: int = 50, where: SearchFilter | None = None) -> dict[str, int]:
        """Distinct values of a keyword payload field among the chunks ``scope`` may see, with counts."""

    def document_chunks(
        self, scope: Scope, doc_id: str, limit: int = 1000, where: SearchFilter | None = None
    ) -> list[SearchHit]:
        """The chunks of one document, filtered by ``scope`` (empty if the caller may not see it)."""

    def delete_chunks_from(self, counts: Mapping[str, int]) -> None:
        """For each doc id, delete its chunks at positions ``>= count`` (0: the whole document).

        A rewrite upserts the new chunks first (point ids derive from doc id and position, so chunk i
        overwrites chunk i) and then drops the surplus here: the document is never missing nor twice.
        """

    def held_documents(self, source: str) -> dict[str, tuple[int, str]]:
        """Per document of ``source`` in the index: (chunks, path), no text: for ``verify``."""

    def document_acls(self, doc_ids: Sequence[str]) -> dict[str, set[AccessControl]]:
        """The ACLs the index holds for these documents (ACL fields only, never text): for ``verify``."""

    def optimize(self) -> None:
        """Run the engine's optimizer now, whatever the budget (blocking); a no-op when nothing is due."""

    def settle(self) -> None:
        """After a sync: fold fresh points into the search index once a budget of them has gathered.

        Below the budget nothing runs: the points are searchable already (searched exactly, filtered
        like every other point), so a few changed documents never cost an index build. A no-op where
        the engine optimizes in the background (Qdrant server).
        """

    def count(self) -> int: ...

    def close(self) -> None: ...


class Connector(Protocol):
    """A source of documents with their ACLs. Streams; never raises for one bad item."""

    @property
    def source(self) -> str: ...

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        """Every document at the source, with ACL and content hash (or a failure per item)."""

    def read(self, document: SourceDocument) -> bytes:
        """The document's bytes."""

    def scan_acls(self) -> Iterator[AclItem | FailedItem]:
        """The permission-only pass: ``(doc_id, acl)`` or ``(doc_id, acl, version)`` per document, without
        reading content; the version is :attr:`SourceDocument.version` of the file now at the document's
        place. Never raises for one bad item."""


#: what :meth:`Connector.scan_acls` yields per document
AclItem = tuple[str, AccessControl] | tuple[str, AccessControl, str]


class PrincipalResolver(Protocol):
    """Who is asking: a user name to the caller's access scope."""

    def resolve(self, user: str) -> AccessScope:
        """All tokens of ``user``; unknown or disabled users get an empty scope.

        Raises ``DirectoryUnavailableError`` when the directory cannot answer.
        """

    def describe(self, token: str) -> str:
        """A human-readable name for a token (for explain / whoami)."""


@runtime_checkable
class AuditSink(Protocol):
    """Where the record of who saw what, and why, goes (``ragwarden.audit`` writes it to a hash-chained log).

    ``record`` returns only once the event is stored; when it cannot be, it raises
    ``AuditUnavailableError`` and the request that wanted to return the documents fails instead.
    """

    def record(self, event: AuditEvent) -> None: ...
