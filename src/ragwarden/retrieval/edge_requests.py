"""What :class:`~ragwarden.retrieval.edge_index.QdrantEdgeIndex` hands qdrant-edge-py: the shard
config, points, the floored search of :mod:`ragwarden.retrieval.floored_search` in Edge's types,
payload indexes, paged scrolls.

Every request that reads points carries the caller's filter from :mod:`ragwarden.retrieval.filters`
(the only exceptions are the adapter's own maintenance reads, which never leave the adapter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import AccessControl, IndexedChunk, Scope, SearchFilter, SearchHit
from ragwarden.retrieval import filters, held_records
from ragwarden.retrieval.floored_search import FlooredQuery, Step
from ragwarden.retrieval.hybrid import DENSE, Leg
from ragwarden.retrieval.index_tuning import EdgeTuning
from ragwarden.retrieval.sparse import SPARSE_LANGUAGES, Bm25Encoder

SCROLL_PAGE = 1000


def shard_config(tuning: EdgeTuning, dimension: int) -> Any:
    """The shard's vectors (dense + one BM25 per language), HNSW and optimizer settings."""
    import qdrant_edge as q

    t = tuning
    cold = q.Memory.Cold if t.on_disk else None  # None: the shard keeps what it has (or the default)
    quantized = None
    if t.quantization == "int8":  # the int8 copy pinned in RAM: the graph search scores it, not the disk
        quantized = q.ScalarQuantizationConfig(q.ScalarType.Int8, quantile=0.99, memory=q.Memory.Pinned)
    hnsw = q.HnswIndexConfig(
        m=t.m, ef_construct=t.ef_construct, full_scan_threshold=t.full_scan_threshold_kb, memory=cold
    )
    return q.EdgeConfig(
        vectors={DENSE: q.EdgeVectorParams(size=dimension, distance=q.Distance.Cosine, memory=cold)},
        sparse_vectors={name: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf) for name in SPARSE_LANGUAGES},
        hnsw_config=hnsw,
        quantization_config=quantized,
        optimizers=q.EdgeOptimizersConfig(
            indexing_threshold=t.indexing_threshold(dimension), default_segment_number=t.default_segment_number
        ),
        max_search_threads=t.max_search_threads,
    )


def query_request(
    query: FlooredQuery, acl: Any, tuning: EdgeTuning | None = None, parts: tuple[Any, Any] | None = None
) -> Any:
    """One step searched directly; several prefetched (each with the access filter ``acl``, each under
    its floor) and fused by RRF, each weighted as its leg says. ``tuning``: ACORN and the rescoring's
    oversampling for the dense leg (see :class:`~ragwarden.retrieval.index_tuning.EdgeTuning`).

    ``parts``: ``acl`` cut in two (:func:`~ragwarden.retrieval.filters.edge_acl_parts`), the points behind
    tokens the graph links and those behind the others. The dense leg then searches the first part in the
    graph and scans the second exactly, and ranks the union on the vector again under ``acl`` (see
    :mod:`~ragwarden.retrieval.token_census`); with only the second part, it scans it exactly."""
    import qdrant_edge as q

    stages = _Stages(query, acl, tuning, parts)
    if not query.fused:
        (step,) = query.steps
        return q.QueryRequest(limit=query.limit, with_payload=query.with_payload, **stages.stage(step))
    prefetches = [q.Prefetch(limit=step.limit, **stages.stage(step)) for step in query.steps]
    return q.QueryRequest(
        limit=query.limit,
        prefetches=prefetches,
        query=q.Fusion.Rrf(k=query.rrf_k, weights=query.weights),  # type: ignore[arg-type]  # the stub omits Fusion.Rrf
        filter=acl,
        with_payload=query.with_payload,
    )


class _Stages:
    """The steps of one query in Edge's types (see :func:`query_request`)."""

    def __init__(self, query: FlooredQuery, acl: Any, tuning: EdgeTuning | None, parts: tuple[Any, Any] | None) -> None:
        import qdrant_edge as q

        self.query, self.acl = query, acl
        self.idf = q.IdfParams(corpus=acl) if query.scoped_idf else None
        selectivity = tuning.acorn_max_selectivity if tuning is not None else None
        self.acorn = q.AcornSearchParams(enable=True, max_selectivity=selectivity) if selectivity is not None else None
        oversampling = tuning.oversampling if tuning is not None else None
        self.rescored = q.QuantizationSearchParams(rescore=True, oversampling=oversampling) if oversampling else None
        cut: tuple[Any, Any] = parts if parts is not None and not query.exact else (acl, None)
        self.linked, self.scanned = cut

    def nearest(self, leg: Leg) -> tuple[Any, Any]:
        import qdrant_edge as q

        exact = self.query.exact
        if leg.sparse is None:
            params = q.SearchParams(
                hnsw_ef=self.query.hnsw_ef,
                exact=exact or self.linked is None,
                quantization=self.rescored,
                acorn=self.acorn,
            )
            return q.Query.Nearest(list(leg.dense), using=leg.using), params
        vector = q.SparseVector(indices=list(leg.sparse.indices), values=list(leg.sparse.values))
        return q.Query.Nearest(vector, using=leg.using), q.SearchParams(exact=exact, idf=self.idf)

    def halves(self, step: Step, vector: Any, params: Any) -> list[Any] | None:
        """The dense step's two searches, when the filter was cut and both parts hold tokens."""
        import qdrant_edge as q

        if step.leg.sparse is not None or self.linked is None or self.scanned is None:
            return None
        exact = q.SearchParams(exact=True, quantization=self.rescored)
        return [
            q.Prefetch(limit=step.limit, query=vector, filter=self.linked, params=params),
            q.Prefetch(limit=step.limit, query=vector, filter=self.scanned, params=exact),
        ]

    def stage(self, step: Step) -> dict[str, Any]:
        """One step's search under the whole filter: directly, or ranking the union of its two halves."""
        vector, params = self.nearest(step.leg)
        halves = self.halves(step, vector, params)
        return {
            "query": vector,
            "prefetches": halves,
            "filter": self.acl,
            "params": None if halves else params,
            "score_threshold": step.floor,
        }


class EdgeSearch:
    """The floored search's :class:`~ragwarden.retrieval.floored_search.SearchEngine` on one shard,
    bound to the caller's access filter."""

    def __init__(
        self,
        shard: Any,
        scope: Scope,
        where: SearchFilter | None,
        tuning: EdgeTuning | None = None,
        graphed: Callable[[str], bool] | None = None,
    ) -> None:
        self._shard = shard
        narrowing = filters.edge_where(where)
        self._acl = filters.edge_acl_filter(scope, *narrowing)
        self._tuning = tuning
        # Which allow tokens the graph links (None: one search under the whole filter, as the engine plans it).
        self._parts = filters.edge_acl_parts(scope, graphed, *narrowing, whole=self._acl) if graphed else None
        self.dense_exact = self._parts is not None and self._parts[0] is None  # no token the graph links

    def visible_points(self) -> int:
        """Counted exactly; the scoped IDF itself reads as much."""
        import qdrant_edge as q

        return int(self._shard.count(q.CountRequest(exact=True, filter=self._acl)))

    def run(self, query: FlooredQuery) -> list[SearchHit]:
        return [hit(p) for p in self._shard.query(query_request(query, self._acl, self._tuning, self._parts))]


def facet_counts(shard: Any, scope: Scope, key: str, limit: int, where: SearchFilter | None) -> dict[str, int]:
    """The values of ``key`` among the points ``scope`` may see (and ``where`` narrows to), counted exactly."""
    import qdrant_edge as q

    acl = filters.edge_acl_filter(scope, *filters.edge_where(where))
    response = shard.facet(q.FacetRequest(key, limit=limit, exact=True, filter=acl))
    return {str(hit.value): int(hit.count) for hit in response.hits}


def point(chunk: IndexedChunk, dimension: int | None, encoder: Bm25Encoder) -> Any:
    """A chunk as an Edge point: dense vector, one BM25 vector per language, payload (ACL checked)."""
    import qdrant_edge as q

    filters.check_acl_payload(chunk.payload)
    if len(chunk.dense) != dimension:
        raise ConfigurationError(f"chunk {chunk.point_id} has a {len(chunk.dense)}-d vector, the index {dimension}-d")
    vectors: dict[str, Any] = {DENSE: chunk.dense}
    for name, vec in encoder.document(chunk.text).items():
        vectors[name] = q.SparseVector(indices=list(vec.indices), values=list(vec.values))
    return q.Point(chunk.point_id, vectors, dict(chunk.payload))


def scroll_records(shard: Any, selector: Any, with_payload: Any = True) -> Iterator[Any]:
    """Every record matching ``selector``, page by page."""
    import qdrant_edge as q

    offset: Any = None
    while True:
        request = q.ScrollRequest(limit=SCROLL_PAGE, offset=offset, filter=selector, with_payload=with_payload)
        records, offset = shard.scroll(request)
        yield from records
        if offset is None:
            return


def held_acls(shard: Any, doc_ids: Sequence[str]) -> dict[str, set[AccessControl]]:
    """The ACLs stored on the chunks of ``doc_ids`` (only the ACL fields are read)."""
    import qdrant_edge as q

    fields = q.PayloadSelector.Include(held_records.ACL_FIELDS)
    selectors = (q.Filter(must=[filters.edge_doc_condition(batch)]) for batch in filters.batches(doc_ids))
    records = (record for selector in selectors for record in scroll_records(shard, selector, fields))
    return held_records.acls_by_document(record.payload for record in records)


def held_documents(shard: Any, source: str) -> dict[str, tuple[int, str]]:
    """Per document of ``source`` in the index: how many chunks, and its path (no text is read)."""
    import qdrant_edge as q

    fields = q.PayloadSelector.Include(held_records.DOCUMENT_FIELDS)
    selector = q.Filter(must=[q.FieldCondition(key=filters.SOURCE, match=q.MatchAny(any=[source]))])
    return held_records.chunks_by_document(record.payload for record in scroll_records(shard, selector, fields))


def create_payload_indexes(shard: Any) -> None:
    """Every field we filter on gets its index (creating an existing one again changes nothing)."""
    import qdrant_edge as q

    for name in filters.KEYWORD_FIELDS:
        shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Keyword))
    for name in filters.INTEGER_FIELDS:
        shard.update(q.UpdateOperation.create_field_index(name, q.IntegerIndexParams(lookup=False, range=True)))
    for name in filters.DATETIME_FIELDS:
        shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Datetime))
    shard.flush()


def hit(point: Any) -> SearchHit:
    """A scored point or a scrolled record as a hit (records score 0)."""
    return SearchHit(
        point_id=str(point.id), score=float(getattr(point, "score", 0.0)), payload=dict(point.payload or {})
    )
