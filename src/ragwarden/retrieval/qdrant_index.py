"""The scale-out vector index: a Qdrant server or cluster through ``qdrant-client``.

Same vectors, payload, filter and query plan as :mod:`ragwarden.retrieval.edge_index`; the BM25
vectors are computed here (not by the server's inference), so both adapters rank alike and nothing is
downloaded. Tests run it on ``QdrantClient(":memory:")`` / ``QdrantClient(path=...)`` (local mode),
which stands in for the server.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ragwarden.core.errors import ConfigurationError, IndexUnavailableError
from ragwarden.core.models import AccessControl, IndexedChunk, Scope, SearchFilter, SearchHit
from ragwarden.core.ports import SearchMode
from ragwarden.retrieval import filters
from ragwarden.retrieval.hybrid import (
    DENSE,
    Leg,
    SearchPlan,
    graph_probe,
    needs_exact_retry,
    plan_legs,
    should_query,
    should_scroll,
)
from ragwarden.retrieval.sparse import SPARSE_LANGUAGES, Bm25Encoder


@dataclass(frozen=True, slots=True)
class ServerTuning:
    """Collection settings for the server (it optimizes in the background)."""

    m: int = 16
    ef_construct: int = 100
    full_scan_threshold_kb: int = 10_000
    upsert_batch: int = 256


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
            self._dimension = int(vectors[DENSE].size) if isinstance(vectors, dict) else None
        return self._dimension

    def ensure_collection(self, dimension: int) -> None:
        from qdrant_client import models as m

        stored = self._stored_dimension()
        if stored is not None:
            if stored != dimension:
                raise ConfigurationError(
                    f"collection {self._collection} holds {stored}-d vectors, the embedder makes "
                    f"{dimension}-d ones: re-ingest into a new collection"
                )
            return
        t = self._tuning
        self._client.create_collection(
            self._collection,
            vectors_config={DENSE: m.VectorParams(size=dimension, distance=m.Distance.COSINE)},
            sparse_vectors_config={name: m.SparseVectorParams(modifier=m.Modifier.IDF) for name in SPARSE_LANGUAGES},
            hnsw_config=m.HnswConfigDiff(
                m=t.m, ef_construct=t.ef_construct, full_scan_threshold=t.full_scan_threshold_kb
            ),
        )
        with warnings.catch_warnings():  # local mode warns that its indexes are no-ops
            warnings.simplefilter("ignore")
            for name in filters.KEYWORD_FIELDS:
                self._client.create_payload_index(
                    self._collection, name, field_schema=m.PayloadSchemaType.KEYWORD, wait=True
                )
            for name in filters.INTEGER_FIELDS:
                schema = m.IntegerIndexParams(type=m.IntegerIndexType.INTEGER, lookup=False, range=True)
                self._client.create_payload_index(self._collection, name, field_schema=schema, wait=True)
            for name in filters.DATETIME_FIELDS:
                self._client.create_payload_index(
                    self._collection, name, field_schema=m.PayloadSchemaType.DATETIME, wait=True
                )
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
        points = [self._point(chunk, dimension) for chunk in chunks]
        step = self._tuning.upsert_batch
        for i in range(0, len(points), step):
            self._client.upsert(self._collection, points=points[i : i + step], wait=True)

    def _point(self, chunk: IndexedChunk, dimension: int) -> Any:
        from qdrant_client import models as m

        filters.check_acl_payload(chunk.payload)
        if len(chunk.dense) != dimension:
            raise ConfigurationError(
                f"chunk {chunk.point_id} has a {len(chunk.dense)}-d vector, the index {dimension}-d"
            )
        vectors: dict[str, Any] = {DENSE: [float(x) for x in chunk.dense]}
        for name, vec in self._encoder.document(chunk.text).items():
            vectors[name] = m.SparseVector(indices=list(vec.indices), values=list(vec.values))
        return m.PointStruct(id=chunk.point_id, vector=vectors, payload=dict(chunk.payload))

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
        from qdrant_client import models as m

        held: dict[str, set[AccessControl]] = {}
        if not self._exists():
            return held
        fields = [filters.DOC_ID, filters.ACL_ALLOW, filters.ACL_DENY, filters.ACL_SHARE]
        for batch in filters.batches(doc_ids):
            offset: Any = None
            while True:
                records, offset = self._client.scroll(
                    self._collection,
                    scroll_filter=m.Filter(must=[filters.client_doc_condition(batch)]),
                    limit=1000,
                    offset=offset,
                    with_payload=m.PayloadSelectorInclude(include=fields),
                )
                for r in records:
                    payload = r.payload or {}
                    held.setdefault(str(payload[filters.DOC_ID]), set()).add(AccessControl.from_payload(payload))
                if offset is None:
                    break
        return held

    def held_documents(self, source: str) -> dict[str, tuple[int, str]]:
        from qdrant_client import models as m

        held: dict[str, tuple[int, str]] = {}
        if not self._exists():
            return held
        selector = m.Filter(must=[m.FieldCondition(key=filters.SOURCE, match=m.MatchAny(any=[source]))])
        offset: Any = None
        while True:
            records, offset = self._client.scroll(
                self._collection,
                scroll_filter=selector,
                limit=1000,
                offset=offset,
                with_payload=m.PayloadSelectorInclude(include=[filters.DOC_ID, "path"]),
            )
            for r in records:
                payload = r.payload or {}
                doc_id = str(payload[filters.DOC_ID])
                count, _ = held.get(doc_id, (0, ""))
                held[doc_id] = (count + 1, str(payload.get("path") or ""))
            if offset is None:
                return held

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
        sparse = self._encoder.query(text) if mode != "dense" else {}
        legs = plan_legs(mode, dense, sparse, dimension)
        if not legs:
            return []
        query = self._client.query_points
        visible = self.visible_points(scope, where) if any(map(self._plan.floors_bm25, legs)) else None
        points = query(self._collection, **self._request(scope, legs, limit, exact, where, visible)).points
        if needs_exact_retry(legs, len(points), limit, exact) and self._graph_suspect(scope, legs, limit, where):
            points = query(self._collection, **self._request(scope, legs, limit, True, where, visible)).points
        return [_hit(p) for p in points]

    def visible_points(self, scope: Scope, where: SearchFilter | None = None) -> int:
        """How many points ``scope`` (and ``where``) may search: the corpus of its BM25 IDF (counted
        exactly; the scoped IDF itself reads as much)."""
        if not should_scroll(scope, 1) or self._stored_dimension() is None:
            return 0
        acl = filters.client_acl_filter(scope, *filters.client_where(where))
        return int(self._client.count(self._collection, count_filter=acl, exact=True).count)

    def _graph_suspect(self, scope: Scope, legs: list[Leg], limit: int, where: SearchFilter | None) -> bool:
        """After a short answer: whether the graph may have missed points (see ``graph_probe``): the
        dense leg once more, with the access filter but without its floor, ids only."""
        from qdrant_client import models as m

        probe = graph_probe(self._plan, legs, limit)
        if probe is None:
            return True
        leg, wanted = probe
        acl = filters.client_acl_filter(scope, *filters.client_where(where))
        found = self._client.query_points(
            self._collection,
            query=m.NearestQuery(nearest=list(leg.dense)),
            using=leg.using,
            query_filter=acl,
            search_params=m.SearchParams(hnsw_ef=self._plan.hnsw_ef, exact=False),
            limit=wanted,
            with_payload=False,
        ).points
        return len(found) < wanted

    def _request(
        self,
        scope: Scope,
        legs: list[Leg],
        limit: int,
        exact: bool,
        where: SearchFilter | None,
        visible: int | None = None,
    ) -> dict[str, Any]:
        from qdrant_client import models as m

        acl = filters.client_acl_filter(scope, *filters.client_where(where))
        idf = m.IdfCorpusParams(corpus=acl) if self._plan.scoped_idf else None

        def nearest(leg: Leg) -> tuple[Any, Any]:
            if leg.sparse is None:
                return m.NearestQuery(nearest=list(leg.dense)), m.SearchParams(hnsw_ef=self._plan.hnsw_ef, exact=exact)
            vector = m.SparseVector(indices=list(leg.sparse.indices), values=list(leg.sparse.values))
            return m.NearestQuery(nearest=vector), m.SearchParams(exact=exact, idf=idf)

        # each leg keeps only candidates at or above its relevance floor (see SearchPlan)
        common: dict[str, Any] = {"limit": limit, "query_filter": acl, "with_payload": True}
        if len(legs) == 1:
            query, params = nearest(legs[0])
            floor = self._plan.floor(legs[0], visible)
            return {**common, "query": query, "using": legs[0].using, "search_params": params, "score_threshold": floor}
        depth = self._plan.leg_limit(legs, limit)
        floors = [self._plan.floor(leg, visible) for leg in legs]
        prefetch = [
            m.Prefetch(query=query, using=leg.using, filter=acl, params=params, limit=depth, score_threshold=floor)
            for leg, (query, params), floor in zip(legs, map(nearest, legs), floors, strict=True)
        ]
        fusion = m.RrfQuery(rrf=m.Rrf(k=self._plan.rrf_k))
        return {**common, "prefetch": prefetch, "query": fusion}

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
            raise ValueError(f"no facet on {key!r}")
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
