"""What :class:`~ragwarden.retrieval.edge_index.QdrantEdgeIndex` hands qdrant-edge-py: the shard
config, points, the query plan of :mod:`ragwarden.retrieval.hybrid` in Edge's types, payload
indexes, paged scrolls.

Every request that reads points carries the caller's filter from :mod:`ragwarden.retrieval.filters`
(the only exceptions are the adapter's own maintenance reads, which never leave the adapter).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import AccessControl, IndexedChunk, Scope, SearchFilter, SearchHit
from ragwarden.retrieval import filters
from ragwarden.retrieval.hybrid import DENSE, Leg, SearchPlan
from ragwarden.retrieval.sparse import SPARSE_LANGUAGES, Bm25Encoder

if TYPE_CHECKING:
    from ragwarden.retrieval.edge_index import EdgeTuning

SCROLL_PAGE = 1000


def shard_config(tuning: EdgeTuning, dimension: int) -> Any:
    """The shard's vectors (dense + one BM25 per language), HNSW and optimizer settings."""
    import qdrant_edge as q

    t = tuning
    return q.EdgeConfig(
        vectors={DENSE: q.EdgeVectorParams(size=dimension, distance=q.Distance.Cosine)},
        sparse_vectors={name: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf) for name in SPARSE_LANGUAGES},
        hnsw_config=q.HnswIndexConfig(m=t.m, ef_construct=t.ef_construct, full_scan_threshold=t.full_scan_threshold_kb),
        optimizers=q.EdgeOptimizersConfig(
            indexing_threshold=t.indexing_threshold(dimension), default_segment_number=t.default_segment_number
        ),
        max_search_threads=t.max_search_threads,
    )


def query_request(
    plan: SearchPlan,
    scope: Scope,
    legs: list[Leg],
    limit: int,
    exact: bool,
    where: SearchFilter | None,
    visible: int | None = None,
) -> Any:
    """One leg searched directly; several prefetched (each with the access filter) and fused by RRF.

    Each leg keeps only candidates at or above its relevance floor (``score_threshold``; see
    :meth:`~ragwarden.retrieval.hybrid.SearchPlan.floor`, which needs ``visible``, the points the
    filter matches, for a floored BM25 leg): on the prefetch, or on the request when alone.
    """
    import qdrant_edge as q

    acl = filters.edge_acl_filter(scope, *filters.edge_where(where))
    idf = q.IdfParams(corpus=acl) if plan.scoped_idf else None

    def nearest(leg: Leg) -> tuple[Any, Any]:
        if leg.sparse is None:
            params = q.SearchParams(hnsw_ef=plan.hnsw_ef, exact=exact)
            return q.Query.Nearest(list(leg.dense), using=leg.using), params
        vector = q.SparseVector(indices=list(leg.sparse.indices), values=list(leg.sparse.values))
        return q.Query.Nearest(vector, using=leg.using), q.SearchParams(exact=exact, idf=idf)

    if len(legs) == 1:
        query, params = nearest(legs[0])
        return q.QueryRequest(
            limit=limit,
            query=query,
            filter=acl,
            params=params,
            with_payload=True,
            score_threshold=plan.floor(legs[0], visible),
        )
    depth = plan.leg_limit(legs, limit)
    prefetches = [
        q.Prefetch(limit=depth, query=query, filter=acl, params=params, score_threshold=plan.floor(leg, visible))
        for leg, (query, params) in zip(legs, map(nearest, legs), strict=True)
    ]
    return q.QueryRequest(
        limit=limit,
        prefetches=prefetches,
        query=q.Fusion.Rrf(k=plan.rrf_k),  # type: ignore[arg-type]  # the stub omits Fusion.Rrf
        filter=acl,
        with_payload=True,
    )


def probe_request(plan: SearchPlan, scope: Scope, leg: Leg, limit: int, where: SearchFilter | None) -> Any:
    """The dense leg once more, with the access filter but without its floor, ids only (see
    :func:`~ragwarden.retrieval.hybrid.graph_probe`)."""
    import qdrant_edge as q

    acl = filters.edge_acl_filter(scope, *filters.edge_where(where))
    return q.QueryRequest(
        limit=limit,
        query=q.Query.Nearest(list(leg.dense), using=leg.using),
        filter=acl,
        params=q.SearchParams(hnsw_ef=plan.hnsw_ef, exact=False),
        with_payload=False,
    )


def visible_points(shard: Any, scope: Scope, where: SearchFilter | None) -> int:
    """How many points the caller's filter matches: the corpus their BM25 IDF is computed over
    (counted exactly; the scoped IDF itself reads as much)."""
    import qdrant_edge as q

    acl = filters.edge_acl_filter(scope, *filters.edge_where(where))
    return int(shard.count(q.CountRequest(exact=True, filter=acl)))


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

    held: dict[str, set[AccessControl]] = {}
    fields = q.PayloadSelector.Include([filters.DOC_ID, filters.ACL_ALLOW, filters.ACL_DENY, filters.ACL_SHARE])
    for batch in filters.batches(doc_ids):
        for record in scroll_records(shard, q.Filter(must=[filters.edge_doc_condition(batch)]), fields):
            payload = record.payload or {}
            held.setdefault(str(payload[filters.DOC_ID]), set()).add(AccessControl.from_payload(payload))
    return held


def held_documents(shard: Any, source: str) -> dict[str, tuple[int, str]]:
    """Per document of ``source`` in the index: how many chunks, and its path (no text is read)."""
    import qdrant_edge as q

    held: dict[str, tuple[int, str]] = {}
    fields = q.PayloadSelector.Include([filters.DOC_ID, "path"])
    selector = q.Filter(must=[q.FieldCondition(key=filters.SOURCE, match=q.MatchAny(any=[source]))])
    for record in scroll_records(shard, selector, fields):
        payload = record.payload or {}
        doc_id = str(payload[filters.DOC_ID])
        count, _ = held.get(doc_id, (0, ""))
        held[doc_id] = (count + 1, str(payload.get("path") or ""))
    return held


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
