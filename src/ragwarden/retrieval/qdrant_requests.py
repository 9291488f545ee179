"""What :class:`~ragwarden.retrieval.qdrant_index.QdrantServerIndex` hands qdrant-client: the
collection and its payload indexes, points, the floored search of
:mod:`ragwarden.retrieval.floored_search` in the client's types, paged scrolls.

Every request that reads points carries the caller's filter from :mod:`ragwarden.retrieval.filters`
(the only exceptions are the adapter's own maintenance reads, which never leave the adapter).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import AccessControl, IndexedChunk, Scope, SearchFilter, SearchHit
from ragwarden.retrieval import filters, held_records
from ragwarden.retrieval.floored_search import FlooredQuery
from ragwarden.retrieval.hybrid import DENSE, Leg
from ragwarden.retrieval.index_tuning import ServerTuning
from ragwarden.retrieval.sparse import SPARSE_LANGUAGES, Bm25Encoder

SCROLL_PAGE = 1000


SPARSE_METADATA = "ragwarden_sparse_encoder"
RESUME_METADATA = "ragwarden_sparse_resume"  # while the keyword vectors are re-made: the next point


def create_collection(client: Any, collection: str, tuning: ServerTuning, dimension: int, sparse: str) -> None:
    """The collection's vectors (dense + one BM25 per language), HNSW settings and payload indexes; its
    metadata records the sparse encoder's version."""
    from qdrant_client import models as m

    t = tuning
    on_disk = True if t.on_disk else None
    quantized = None
    if t.quantization == "int8":  # the int8 copy stays in RAM; the server rescores on the originals
        scalar = m.ScalarQuantizationConfig(type=m.ScalarType.INT8, quantile=0.99, always_ram=True)
        quantized = m.ScalarQuantization(scalar=scalar)
    client.create_collection(
        collection,
        vectors_config={DENSE: m.VectorParams(size=dimension, distance=m.Distance.COSINE, on_disk=on_disk)},
        sparse_vectors_config={name: m.SparseVectorParams(modifier=m.Modifier.IDF) for name in SPARSE_LANGUAGES},
        hnsw_config=m.HnswConfigDiff(
            m=t.m, ef_construct=t.ef_construct, full_scan_threshold=t.full_scan_threshold_kb, on_disk=on_disk
        ),
        quantization_config=quantized,
        shard_number=t.shard_number,
        metadata={SPARSE_METADATA: sparse},
    )
    with warnings.catch_warnings():  # local mode warns that its indexes are no-ops
        warnings.simplefilter("ignore")
        for name in filters.KEYWORD_FIELDS:
            client.create_payload_index(collection, name, field_schema=m.PayloadSchemaType.KEYWORD, wait=True)
        for name in filters.INTEGER_FIELDS:
            schema = m.IntegerIndexParams(type=m.IntegerIndexType.INTEGER, lookup=False, range=True)
            client.create_payload_index(collection, name, field_schema=schema, wait=True)
        for name in filters.DATETIME_FIELDS:
            client.create_payload_index(collection, name, field_schema=m.PayloadSchemaType.DATETIME, wait=True)


def point(chunk: IndexedChunk, dimension: int, encoder: Bm25Encoder) -> Any:
    """A chunk as a point: dense vector, one BM25 vector per language, payload (ACL checked)."""
    from qdrant_client import models as m

    filters.check_acl_payload(chunk.payload)
    if len(chunk.dense) != dimension:
        raise ConfigurationError(f"chunk {chunk.point_id} has a {len(chunk.dense)}-d vector, the index {dimension}-d")
    vectors: dict[str, Any] = {DENSE: [float(x) for x in chunk.dense]}
    for name, vec in encoder.document(chunk.text).items():
        vectors[name] = m.SparseVector(indices=list(vec.indices), values=list(vec.values))
    return m.PointStruct(id=chunk.point_id, vector=vectors, payload=dict(chunk.payload))


def query_request(query: FlooredQuery, acl: Any) -> dict[str, Any]:
    """``query_points`` arguments for ``query``: one step searched directly; several prefetched (each
    with the access filter ``acl``, each under its floor) and fused by RRF, each weighted as its leg says."""
    from qdrant_client import models as m

    idf = m.IdfCorpusParams(corpus=acl) if query.scoped_idf else None

    def nearest(leg: Leg) -> tuple[Any, Any]:
        if leg.sparse is None:
            return m.NearestQuery(nearest=list(leg.dense)), m.SearchParams(hnsw_ef=query.hnsw_ef, exact=query.exact)
        vector = m.SparseVector(indices=list(leg.sparse.indices), values=list(leg.sparse.values))
        return m.NearestQuery(nearest=vector), m.SearchParams(exact=query.exact, idf=idf)

    common: dict[str, Any] = {"limit": query.limit, "query_filter": acl, "with_payload": query.with_payload}
    if not query.fused:
        (step,) = query.steps
        vector, params = nearest(step.leg)
        using = step.leg.using
        return {**common, "query": vector, "using": using, "search_params": params, "score_threshold": step.floor}
    prefetch = [
        m.Prefetch(
            query=vector, using=step.leg.using, filter=acl, params=params, limit=step.limit, score_threshold=step.floor
        )
        for step, (vector, params) in zip(query.steps, [nearest(s.leg) for s in query.steps], strict=True)
    ]
    return {**common, "prefetch": prefetch, "query": m.RrfQuery(rrf=m.Rrf(k=query.rrf_k, weights=query.weights))}


class ServerSearch:
    """The floored search's :class:`~ragwarden.retrieval.floored_search.SearchEngine` on one
    collection, bound to the caller's access filter."""

    dense_exact = False  # the server plans each filtered search itself

    def __init__(self, client: Any, collection: str, scope: Scope, where: SearchFilter | None) -> None:
        self._client, self._collection = client, collection
        self._acl = filters.client_acl_filter(scope, *filters.client_where(where))

    def visible_points(self) -> int:
        """Counted exactly; the scoped IDF itself reads as much."""
        return int(self._client.count(self._collection, count_filter=self._acl, exact=True).count)

    def run(self, query: FlooredQuery) -> list[SearchHit]:
        return [hit(p) for p in self._client.query_points(self._collection, **query_request(query, self._acl)).points]


def scroll_records(client: Any, collection: str, selector: Any, fields: list[str]) -> Iterator[Any]:
    """Every record matching ``selector``, page by page, with only ``fields`` of its payload."""
    from qdrant_client import models as m

    offset: Any = None
    while True:
        records, offset = client.scroll(
            collection,
            scroll_filter=selector,
            limit=SCROLL_PAGE,
            offset=offset,
            with_payload=m.PayloadSelectorInclude(include=fields),
        )
        yield from records
        if offset is None:
            return


def held_acls(client: Any, collection: str, doc_ids: Sequence[str]) -> dict[str, set[AccessControl]]:
    """The ACLs stored on the chunks of ``doc_ids`` (only the ACL fields are read)."""
    from qdrant_client import models as m

    fields = held_records.ACL_FIELDS
    selectors = (m.Filter(must=[filters.client_doc_condition(batch)]) for batch in filters.batches(doc_ids))
    records = (r for selector in selectors for r in scroll_records(client, collection, selector, fields))
    return held_records.acls_by_document(r.payload for r in records)


def held_documents(client: Any, collection: str, source: str) -> dict[str, tuple[int, str]]:
    """Per document of ``source`` in the collection: how many chunks, and its path (no text is read)."""
    from qdrant_client import models as m

    selector = m.Filter(must=[m.FieldCondition(key=filters.SOURCE, match=m.MatchAny(any=[source]))])
    records = scroll_records(client, collection, selector, held_records.DOCUMENT_FIELDS)
    return held_records.chunks_by_document(r.payload for r in records)


def hit(point: Any) -> SearchHit:
    """A scored point as a hit."""
    return SearchHit(point_id=str(point.id), score=float(point.score), payload=dict(point.payload or {}))
