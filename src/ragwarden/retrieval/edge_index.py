"""The embedded vector index: Qdrant Edge (the Qdrant engine in-process), persistent on disk.

Layout under ``path/collection/``: ``shard/`` (the Edge shard) and ``ragwarden-index.json`` (the
dense dimension; written once the payload indexes exist, so a shard without it never held a point).

Edge runs no background optimizer: points land in an appendable (brute-force) segment until
:meth:`QdrantEdgeIndex.optimize` builds HNSW segments. Ingestion calls it at the end of a run, and
:meth:`upsert` calls it after every ``optimize_every`` new points so a long run stays searchable.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.core.errors import ConfigurationError, IndexUnavailableError
from ragwarden.core.models import AccessControl, IndexedChunk, Scope, SearchFilter, SearchHit
from ragwarden.core.ports import SearchMode
from ragwarden.retrieval import filters
from ragwarden.retrieval.hybrid import (
    DENSE,
    Leg,
    SearchPlan,
    needs_exact_retry,
    plan_legs,
    should_query,
    should_scroll,
)
from ragwarden.retrieval.sparse import SPARSE_LANGUAGES, Bm25Encoder

META_FILE = "ragwarden-index.json"
FORMAT = 1


@dataclass(frozen=True, slots=True)
class EdgeTuning:
    """Index-build and search-runtime settings (measured by ``ragwarden bench retrieval``)."""

    m: int = 16
    ef_construct: int = 100
    # A filter matching fewer than this many KB of vectors in a segment (≈ 6 600 384-d vectors) is
    # answered by scoring the payload index's candidates exactly; a token (group) with more points
    # gets its own HNSW subgraph links, so a filtered graph search stays connected.
    full_scan_threshold_kb: int = 10_000
    indexing_threshold_kb: int = 10_000
    default_segment_number: int = 2  # one per core: segments are searched in parallel
    max_search_threads: int | None = None  # None: one per CPU
    optimize_every: int = 200_000  # bounds brute-force search mid-run without rebuilding HNSW too often
    # After a sync, fresh points stay in the appendable segment (searched by brute force, filtered) until
    # this many have gathered: a few changed documents never cost an HNSW rebuild.
    settle_budget: int = 20_000


class QdrantEdgeIndex:
    """:class:`~ragwarden.core.ports.VectorIndex` on qdrant-edge-py."""

    def __init__(
        self,
        path: Path,
        collection: str = "ragwarden",
        *,
        plan: SearchPlan | None = None,
        tuning: EdgeTuning | None = None,
        encoder: Bm25Encoder | None = None,
    ) -> None:
        self._dir = Path(path) / collection
        self._plan = plan or SearchPlan()
        self._tuning = tuning or EdgeTuning()
        self._encoder = encoder or Bm25Encoder()
        self._shard: Any = None
        self._dimension: int | None = None
        self._pending = 0
        if (self._dir / META_FILE).is_file():
            self._open(self._read_meta())

    @property
    def directory(self) -> Path:
        """Where this collection lives on disk."""
        return self._dir

    # -- lifecycle ---------------------------------------------------------------------------------

    def ensure_collection(self, dimension: int) -> None:
        if self._dimension is not None:
            if dimension != self._dimension:
                raise ConfigurationError(
                    f"the index at {self._dir} holds {self._dimension}-d vectors, the embedder makes "
                    f"{dimension}-d ones: re-ingest into a new data directory"
                )
            return
        import qdrant_edge as q

        shard_dir = self._dir / "shard"
        if shard_dir.exists():  # created, but crashed before the meta file: it never held a point
            shutil.rmtree(shard_dir)
        shard_dir.mkdir(parents=True)
        shard = q.EdgeShard.create(str(shard_dir), self._config(dimension))
        _create_payload_indexes(shard)
        self._shard, self._dimension = shard, dimension
        tmp = self._dir / (META_FILE + ".tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "dimension": dimension}))
        tmp.replace(self._dir / META_FILE)

    def _config(self, dimension: int) -> Any:
        import qdrant_edge as q

        t = self._tuning
        return q.EdgeConfig(
            vectors={DENSE: q.EdgeVectorParams(size=dimension, distance=q.Distance.Cosine)},
            sparse_vectors={name: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf) for name in SPARSE_LANGUAGES},
            hnsw_config=q.HnswIndexConfig(
                m=t.m, ef_construct=t.ef_construct, full_scan_threshold=t.full_scan_threshold_kb
            ),
            optimizers=q.EdgeOptimizersConfig(
                indexing_threshold=t.indexing_threshold_kb,
                default_segment_number=t.default_segment_number,
            ),
            max_search_threads=t.max_search_threads,
        )

    def _read_meta(self) -> int:
        try:
            meta = json.loads((self._dir / META_FILE).read_text())
            if meta.get("format") != FORMAT:
                raise ConfigurationError(f"{self._dir}: unknown index format {meta.get('format')!r}")
            return int(meta["dimension"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailableError(f"cannot read {self._dir / META_FILE}: {exc}") from exc

    def _open(self, dimension: int) -> None:
        import qdrant_edge as q

        try:
            self._shard = q.EdgeShard.load(str(self._dir / "shard"), self._config(dimension))
        except Exception as exc:  # noqa: BLE001 - the engine raises plain exceptions
            raise IndexUnavailableError(f"cannot open the index at {self._dir}: {exc}") from exc
        _create_payload_indexes(self._shard)  # an index written by an older version may lack some
        self._dimension = dimension

    def optimize(self) -> None:
        """Build HNSW / merge segments now (blocking); a no-op when the index is already optimal."""
        if self._shard is not None:
            self._shard.optimize()
        self._pending = 0

    def settle(self) -> None:
        if self._pending >= self._tuning.settle_budget:
            self.optimize()

    def close(self) -> None:
        if self._shard is not None:
            self._shard.flush()
            self._shard.close()
            self._shard = None
            self._dimension = None

    # -- writes ------------------------------------------------------------------------------------

    def _require_shard(self) -> Any:
        if self._shard is None:
            raise IndexUnavailableError(f"the index at {self._dir} is not open (ensure_collection first)")
        return self._shard

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        if not chunks:
            return
        import qdrant_edge as q

        shard = self._require_shard()
        points = [self._point(chunk) for chunk in chunks]
        shard.update(q.UpdateOperation.upsert_points(points))
        self._pending += len(points)
        if self._pending >= self._tuning.optimize_every:
            self.optimize()

    def _point(self, chunk: IndexedChunk) -> Any:
        import qdrant_edge as q

        filters.check_acl_payload(chunk.payload)
        if len(chunk.dense) != self._dimension:
            raise ConfigurationError(
                f"chunk {chunk.point_id} has a {len(chunk.dense)}-d vector, the index {self._dimension}-d"
            )
        vectors: dict[str, Any] = {DENSE: chunk.dense}
        for name, vec in self._encoder.document(chunk.text).items():
            vectors[name] = q.SparseVector(indices=list(vec.indices), values=list(vec.values))
        return q.Point(chunk.point_id, vectors, dict(chunk.payload))

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        import qdrant_edge as q

        shard = self._require_shard()
        for batch in filters.batches(doc_ids):
            selector = q.Filter(must=[filters.edge_doc_condition(batch)])
            shard.update(q.UpdateOperation.delete_points_by_filter(selector))

    def delete_chunks_from(self, counts: Mapping[str, int]) -> None:
        import qdrant_edge as q

        shard = self._require_shard()
        for doc_id, count in counts.items():
            surplus = q.Filter(
                must=[
                    filters.edge_doc_condition([doc_id]),
                    q.FieldCondition(key=filters.CHUNK_INDEX, range=q.RangeFloat(gte=float(count))),
                ]
            )
            shard.update(q.UpdateOperation.delete_points_by_filter(surplus))

    def document_acls(self, doc_ids: Sequence[str]) -> dict[str, set[AccessControl]]:
        """ACL fields only (never text), for ``ragwarden verify``."""
        import qdrant_edge as q

        held: dict[str, set[AccessControl]] = {}
        if self._shard is None:
            return held
        for batch in filters.batches(doc_ids):
            offset: Any = None
            while True:
                request = q.ScrollRequest(
                    limit=1000, offset=offset, filter=q.Filter(must=[filters.edge_doc_condition(batch)]),
                    with_payload=True,
                )
                records, offset = self._shard.scroll(request)
                for r in records:
                    payload = r.payload or {}
                    held.setdefault(str(payload[filters.DOC_ID]), set()).add(AccessControl.from_payload(payload))
                if offset is None:
                    break
        return held

    def restamp_acl(self, doc_ids: Sequence[str], acl: AccessControl) -> None:
        import qdrant_edge as q

        shard = self._require_shard()
        payload = acl.to_payload()
        for batch in filters.batches(doc_ids):
            selector = q.Filter(must=[filters.edge_doc_condition(batch)])
            shard.update(q.UpdateOperation.set_payload_by_filter(selector, payload))

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
        if not should_query(scope, limit, mode, self._plan) or self._shard is None:
            return []
        sparse = self._encoder.query(text) if mode != "dense" else {}
        legs = plan_legs(mode, dense, sparse, self._dimension)
        if not legs:
            return []
        points = self._shard.query(self._request(scope, legs, limit, exact, where))
        if needs_exact_retry(legs, len(points), limit, exact):
            points = self._shard.query(self._request(scope, legs, limit, True, where))
        return [_hit(p) for p in points]

    def _request(self, scope: Scope, legs: list[Leg], limit: int, exact: bool, where: SearchFilter | None) -> Any:
        import qdrant_edge as q

        acl = filters.edge_acl_filter(scope, *filters.edge_where(where))
        idf = q.IdfParams(corpus=acl) if self._plan.scoped_idf else None

        def nearest(leg: Leg) -> tuple[Any, Any]:
            if leg.sparse is None:
                return q.Query.Nearest(list(leg.dense), using=leg.using), q.SearchParams(
                    hnsw_ef=self._plan.hnsw_ef, exact=exact
                )
            vector = q.SparseVector(indices=list(leg.sparse.indices), values=list(leg.sparse.values))
            return q.Query.Nearest(vector, using=leg.using), q.SearchParams(exact=exact, idf=idf)

        if len(legs) == 1:
            query, params = nearest(legs[0])
            return q.QueryRequest(limit=limit, query=query, filter=acl, params=params, with_payload=True)
        depth = self._plan.prefetch_limit(limit)
        prefetches = [
            q.Prefetch(limit=depth, query=query, filter=acl, params=params) for query, params in map(nearest, legs)
        ]
        return q.QueryRequest(
            limit=limit,
            prefetches=prefetches,
            query=q.Fusion.Rrf(k=self._plan.rrf_k),  # type: ignore[arg-type]  # the stub omits Fusion.Rrf
            filter=acl,
            with_payload=True,
        )

    def document_chunks(
        self, scope: Scope, doc_id: str, limit: int = 1000, where: SearchFilter | None = None
    ) -> list[SearchHit]:
        if not should_scroll(scope, limit) or self._shard is None:
            return []
        import qdrant_edge as q

        acl = filters.edge_acl_filter(scope, filters.edge_doc_condition([doc_id]), *filters.edge_where(where))
        request = q.ScrollRequest(
            limit=limit, filter=acl, with_payload=True, order_by=q.OrderBy(key=filters.CHUNK_INDEX)
        )
        records, _next = self._shard.scroll(request)
        return [SearchHit(point_id=str(r.id), score=0.0, payload=dict(r.payload or {})) for r in records]

    def facet(self, scope: Scope, key: str, limit: int = 50, where: SearchFilter | None = None) -> dict[str, int]:
        if key not in filters.FACET_FIELDS:
            raise ValueError(f"no facet on {key!r}")
        if not should_scroll(scope, limit) or self._shard is None:
            return {}
        import qdrant_edge as q

        acl = filters.edge_acl_filter(scope, *filters.edge_where(where))
        response = self._shard.facet(q.FacetRequest(key, limit=limit, exact=True, filter=acl))
        return {str(hit.value): int(hit.count) for hit in response.hits}

    def count(self) -> int:
        if self._shard is None:
            return 0
        import qdrant_edge as q

        return int(self._shard.count(q.CountRequest(exact=True)))


def _create_payload_indexes(shard: Any) -> None:
    """Every field we filter on gets its index (creating an existing one again changes nothing)."""
    import qdrant_edge as q

    for name in filters.KEYWORD_FIELDS:
        shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Keyword))
    for name in filters.INTEGER_FIELDS:
        shard.update(q.UpdateOperation.create_field_index(name, q.IntegerIndexParams(lookup=False, range=True)))
    for name in filters.DATETIME_FIELDS:
        shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Datetime))
    shard.flush()


def _hit(point: Any) -> SearchHit:
    return SearchHit(point_id=str(point.id), score=float(point.score), payload=dict(point.payload or {}))
