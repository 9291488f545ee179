"""The scale-out vector index: a Qdrant server or cluster through ``qdrant-client``.

Same vectors, payload, filter and floored search (:mod:`ragwarden.retrieval.floored_search`) as
:mod:`ragwarden.retrieval.edge_index`, in qdrant-client's types (:mod:`~ragwarden.retrieval.qdrant_requests`);
the BM25 vectors are computed here (not by the server's inference), so both adapters rank alike and nothing
is downloaded. Tests run it on ``QdrantClient(":memory:")`` / ``QdrantClient(path=...)`` (local mode),
which stands in for the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ragwarden.core.errors import ConfigurationError, IndexUnavailableError, InvalidRequestError
from ragwarden.core.models import AccessControl, IndexedChunk, Scope, SearchFilter, SearchHit
from ragwarden.core.ports import SearchMode
from ragwarden.retrieval import filters, keyword_migration, qdrant_requests
from ragwarden.retrieval.floored_search import floored_search, query_legs
from ragwarden.retrieval.hybrid import DENSE, SearchPlan, should_query, should_scroll
from ragwarden.retrieval.index_tuning import ServerTuning
from ragwarden.retrieval.qdrant_requests import ServerSearch
from ragwarden.retrieval.sparse import UNSPLIT_VERSION, Bm25Encoder


class QdrantServerIndex:
    """:class:`~ragwarden.core.ports.VectorIndex` on a Qdrant server through qdrant-client."""

    def __init__(
        self,
        client: Any,
        collection: str = "ragwarden",
        *,
        plan: SearchPlan | None = None,
        tuning: ServerTuning | None = None,
        encoder: Bm25Encoder | None = None,
    ) -> None:
        self._client = client
        self._collection = collection
        self._plan = plan or SearchPlan()
        self._tuning = tuning or ServerTuning()
        self._encoder = encoder or Bm25Encoder()
        self._dimension: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def _exists(self) -> bool:
        try:
            return bool(self._client.collection_exists(self._collection))
        except Exception as exc:  # noqa: BLE001 - connection errors come in many classes
            raise IndexUnavailableError(f"Qdrant is not reachable: {exc}") from exc

    def _stored_dimension(self) -> int | None:
        if self._dimension is None and self._exists():
            info = self._client.get_collection(self._collection)
            vectors = info.config.params.vectors
            metadata = info.config.metadata or {}
            stored = str(metadata.get(qdrant_requests.SPARSE_METADATA, UNSPLIT_VERSION))
            if stored != self._encoder.version:  # made by another keyword encoder: re-made in place
                keys = qdrant_requests.SPARSE_METADATA, qdrant_requests.RESUME_METADATA
                points = keyword_migration.ServerPoints(self._client, self._collection, *keys)
                resume = metadata.get(qdrant_requests.RESUME_METADATA)
                where = f"collection {self._collection!r}"
                keyword_migration.upgrade(points, self._encoder, stored, resume, where)
            self._dimension = int(vectors[DENSE].size) if isinstance(vectors, dict) else None
        return self._dimension

    def ensure_collection(self, dimension: int) -> None:
        stored = self._stored_dimension()
        if stored is not None:
            if stored != dimension:
                raise ConfigurationError(
                    f"collection {self._collection} holds {stored}-d vectors, the embedder makes "
                    f"{dimension}-d ones: re-ingest into a new collection"
                )
            return
        sparse = self._encoder.version
        qdrant_requests.create_collection(self._client, self._collection, self._tuning, dimension, sparse)
        self._dimension = dimension

    def optimize(self) -> None:
        """The server optimizes in the background; nothing to do (kept for symmetry with Edge)."""

    def close(self) -> None:
        self._client.close()

    # -- writes ------------------------------------------------------------------------------------

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        if not chunks:
            return
        dimension = self._stored_dimension()
        if dimension is None:
            raise IndexUnavailableError(f"collection {self._collection} does not exist (ensure_collection)")
        points = [qdrant_requests.point(chunk, dimension, self._encoder) for chunk in chunks]
        step = self._tuning.upsert_batch
        for i in range(0, len(points), step):
            self._client.upsert(self._collection, points=points[i : i + step], wait=True)

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        from qdrant_client import models as m

        if not self._exists():
            return
        for batch in filters.batches(doc_ids):
            selector = m.FilterSelector(filter=m.Filter(must=[filters.client_doc_condition(batch)]))
            self._client.delete(self._collection, points_selector=selector, wait=True)

    def delete_chunks_from(self, counts: Mapping[str, int]) -> None:
        from qdrant_client import models as m

        groups = filters.surplus_batches(counts)
        if not groups or not self._exists():
            return
        for count, batch in groups:
            selector = m.FilterSelector(filter=filters.client_surplus_filter(batch, count))
            self._client.delete(self._collection, points_selector=selector, wait=True)

    def document_acls(self, doc_ids: Sequence[str]) -> dict[str, set[AccessControl]]:
        if not self._exists():
            return {}
        return qdrant_requests.held_acls(self._client, self._collection, doc_ids)

    def held_documents(self, source: str) -> dict[str, tuple[int, str]]:
        if not self._exists():
            return {}
        return qdrant_requests.held_documents(self._client, self._collection, source)

    def settle(self) -> None:
        """Nothing to do: the server's background optimizer folds fresh points in by itself."""

    def restamp_acl(self, doc_ids: Sequence[str], acl: AccessControl) -> None:
        from qdrant_client import models as m

        payload = acl.to_payload()
        for batch in filters.batches(doc_ids):
            selector = m.FilterSelector(filter=m.Filter(must=[filters.client_doc_condition(batch)]))
            self._client.set_payload(self._collection, payload=payload, points=selector, wait=True)

    # -- reads (every one takes the caller's scope) ------------------------------------------------

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
        if not should_query(scope, limit, mode, self._plan):
            return []
        dimension = self._stored_dimension()
        if dimension is None:
            return []
        legs = query_legs(self._encoder, mode, dense, text, dimension)
        engine = ServerSearch(self._client, self._collection, scope, where)
        return floored_search(engine, self._plan, legs, limit, exact)

    def visible_points(self, scope: Scope, where: SearchFilter | None = None) -> int:
        """How many points ``scope`` (and ``where``) may search: the corpus of its BM25 IDF."""
        if not should_scroll(scope, 1) or self._stored_dimension() is None:
            return 0
        return ServerSearch(self._client, self._collection, scope, where).visible_points()

    def document_chunks(
        self, scope: Scope, doc_id: str, limit: int = 1000, where: SearchFilter | None = None
    ) -> list[SearchHit]:
        if not should_scroll(scope, limit) or self._stored_dimension() is None:
            return []
        from qdrant_client import models as m

        acl = filters.client_acl_filter(scope, filters.client_doc_condition([doc_id]), *filters.client_where(where))
        records, _next = self._client.scroll(
            self._collection,
            scroll_filter=acl,
            limit=limit,
            with_payload=True,
            order_by=m.OrderBy(key=filters.CHUNK_INDEX),
        )
        return [SearchHit(point_id=str(r.id), score=0.0, payload=dict(r.payload or {})) for r in records]

    def facet(self, scope: Scope, key: str, limit: int = 50, where: SearchFilter | None = None) -> dict[str, int]:
        if key not in filters.FACET_FIELDS:
            raise InvalidRequestError(f"no facet on {key!r}; facets: {', '.join(sorted(filters.FACET_FIELDS))}")
        if not should_scroll(scope, limit) or self._stored_dimension() is None:
            return {}
        acl = filters.client_acl_filter(scope, *filters.client_where(where))
        response = self._client.facet(self._collection, key, facet_filter=acl, limit=limit, exact=True)
        return {str(hit.value): int(hit.count) for hit in response.hits}

    def count(self) -> int:
        if not self._exists():
            return 0
        return int(self._client.count(self._collection, exact=True).count)


def _hit(point: Any) -> SearchHit:
    return SearchHit(point_id=str(point.id), score=float(point.score), payload=dict(point.payload or {}))
