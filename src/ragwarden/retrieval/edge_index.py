"""The embedded vector index: Qdrant Edge (the Qdrant engine in-process), persistent on disk.

Layout under ``path/collection/``: ``shard/`` (the Edge shard) and ``ragwarden-index.json`` (the dense dimension
and the sparse encoder's version, and while an upgrade re-makes the keyword vectors where it resumes, see
:mod:`~ragwarden.retrieval.keyword_migration`; written once the payload indexes exist, so a shard without it never
held a point).

How qdrant-edge-py 0.9.0 behaves with a server's threads (measured here, 2 cores, 100 000 384-d points;
``python -m ragwarden.evaluation.index_freshness`` repeats it):

- One ``EdgeShard`` serves many threads; readers never see an overwritten point missing or twice
  (``tests/retrieval/test_edge_fold.py``); a call racing :meth:`~QdrantEdgeIndex.close` raises. But ``query``
  keeps the GIL while it searches (two threads side by side: 1.04x one thread's rate).
- ``optimize()`` holds the GIL throughout: every Python thread, API requests too, waits until it returns (a
  pure-Python thread: 23 steps/s during a 21 s optimize, 81 000/s before). Searches are late, never wrong; so
  folds must be rare and small.
- Fresh points sit in an appendable segment, searched exactly behind the payload-index pre-filter (ACL and
  ``where`` hold there too): free for narrow callers, ~1.3 ms per 1 000 waiting points for one who sees half the
  corpus. ``info()`` cannot say how many wait (``indexed_vectors_count`` counts BM25 vectors and keeps deleted
  points), so this adapter counts writes and re-stamps (a payload write moves a point out of its HNSW segment).
- ``optimize()`` builds HNSW only for a segment past ``indexing_threshold`` (5 new points: nothing). Past it, once
  ``default_segment_number`` segments exist, Edge re-indexes the fresh segment together with the smallest indexed
  one: at 2, the whole 100 000-point segment (15-50 s per 7 000 new points; the first build took 103 s). With room
  for 8, fresh points become a segment of their own (3-9 s per 7 000) and small segments merge with each other
  first.

Hence :meth:`QdrantEdgeIndex.settle`: fresh points wait until ``settle_budget`` have gathered, then one fold
indexes just them."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ragwarden.core.errors import ConfigurationError, IndexUnavailableError, InvalidRequestError
from ragwarden.core.models import AccessControl, IndexedChunk, Scope, SearchFilter, SearchHit
from ragwarden.core.ports import SearchMode
from ragwarden.retrieval import edge_meta, edge_requests, filters, keyword_migration, token_census
from ragwarden.retrieval.facet_cache import FacetCache, WatchedShard, facet_key
from ragwarden.retrieval.floored_search import floored_query, floored_search, query_legs
from ragwarden.retrieval.hybrid import SearchPlan, plan_legs, should_query, should_scroll
from ragwarden.retrieval.index_tuning import EdgeTuning
from ragwarden.retrieval.keyword_migration import PointId
from ragwarden.retrieval.sparse import Bm25Encoder

META_FILE = edge_meta.META_FILE


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
        self._shard: Any = None  # a WatchedShard: every write clears the facet cache
        self._facets = FacetCache()
        self._census = token_census.TokenCensus(lambda: token_census.facet_count(self._shard))
        self._dimension: int | None = None
        self._lock = threading.Lock()
        self._unfolded = 0  # points written since the last fold (or since opening)
        self._unfolded_unknown = False  # opened from disk: what waited before is not counted
        if (self._dir / META_FILE).is_file():
            self._open(*edge_meta.read_meta(self._dir))

    @property
    def directory(self) -> Path:
        """Where this collection lives on disk."""
        return self._dir

    @property
    def unfolded_points(self) -> int | None:
        """Points written or re-stamped since the last fold (an upper estimate), for metrics; None
        after opening an index from disk, until the engine is first asked (settle or optimize)."""
        with self._lock:
            return None if self._unfolded_unknown else self._unfolded

    @property
    def segment_count(self) -> int:
        """Segments in the shard: the big one(s), folded ones, the appendable one (0 when closed)."""
        return int(self._shard.info().segments_count) if self._shard is not None else 0

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
        shard = q.EdgeShard.create(str(shard_dir), edge_requests.shard_config(self._tuning, dimension))
        edge_requests.create_payload_indexes(shard)
        self._shard, self._dimension = WatchedShard(shard, self._facets, self._census.written), dimension
        self._write_meta(self._encoder.version)

    def _write_meta(self, sparse: str, resume: PointId | None = None) -> None:
        edge_meta.write_meta(self._dir, self._dimension, sparse, resume)

    def _open(self, dimension: int, sparse: str, resume: PointId | None) -> None:
        import qdrant_edge as q

        try:
            self._shard = WatchedShard(
                q.EdgeShard.load(str(self._dir / "shard"), edge_requests.shard_config(self._tuning, dimension)),
                self._facets,
                self._census.written,
            )
        except Exception as exc:  # noqa: BLE001 - the engine raises plain exceptions
            raise IndexUnavailableError(f"cannot open the index at {self._dir}: {exc}") from exc
        edge_requests.create_payload_indexes(self._shard)  # an index written by an older version may lack some
        self._dimension, self._unfolded_unknown = dimension, True
        if sparse != self._encoder.version:  # made by another keyword encoder: re-made in place, then folded
            try:
                points = keyword_migration.EdgePoints(self._shard, self._write_meta)
                keyword_migration.upgrade(points, self._encoder, sparse, resume, f"the index at {self._dir}")
                self.optimize()
            except BaseException:
                self.close()
                raise

    def optimize(self) -> None:
        """Run Edge's optimizers now: index every segment past the indexing threshold, merge small
        segments, drop deleted points. Blocking, and every Python thread waits meanwhile (see above)."""
        shard = self._shard
        if shard is None:
            return
        folded = bool(shard.optimize())
        with self._lock:  # the engine has nothing due now: what still waits is below its threshold
            self._unfolded = 0 if folded or self._unfolded_unknown else self._unfolded
            self._unfolded_unknown = False

    def settle(self) -> None:
        """After a sync: fold fresh points into HNSW once ``settle_budget`` have gathered (or when the
        count is unknown after opening); below it, nothing runs and they stay searchable as they are."""
        with self._lock:
            due = self._unfolded_unknown or self._unfolded >= self._tuning.settle_budget
        if due:
            self.optimize()

    def _wrote(self, points: int) -> int:
        with self._lock:
            self._unfolded += points
            return self._unfolded

    def close(self) -> None:
        if self._shard is not None:
            self._shard.flush()
            self._shard.close()
            self._shard = None
            self._facets.clear()
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
        points = [edge_requests.point(chunk, self._dimension, self._encoder) for chunk in chunks]
        shard.update(q.UpdateOperation.upsert_points(points))
        if self._wrote(len(points)) >= self._tuning.optimize_every:
            self.optimize()

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        import qdrant_edge as q

        shard = self._require_shard()
        for batch in filters.batches(doc_ids):
            selector = q.Filter(must=[filters.edge_doc_condition(batch)])
            shard.update(q.UpdateOperation.delete_points_by_filter(selector))

    def delete_chunks_from(self, counts: Mapping[str, int]) -> None:
        import qdrant_edge as q

        shard = self._require_shard()
        for count, batch in filters.surplus_batches(counts):
            shard.update(q.UpdateOperation.delete_points_by_filter(filters.edge_surplus_filter(batch, count)))

    def document_acls(self, doc_ids: Sequence[str]) -> dict[str, set[AccessControl]]:
        """ACL fields only (never text), for ``ragwarden verify``."""
        return edge_requests.held_acls(self._shard, doc_ids) if self._shard is not None else {}

    def held_documents(self, source: str) -> dict[str, tuple[int, str]]:
        """Chunk count and path per document of ``source`` (no text), for ``ragwarden verify``."""
        return edge_requests.held_documents(self._shard, source) if self._shard is not None else {}

    def restamp_acl(self, doc_ids: Sequence[str], acl: AccessControl) -> None:
        import qdrant_edge as q

        shard = self._require_shard()
        payload = acl.to_payload()
        for batch in filters.batches(doc_ids):
            selector = q.Filter(must=[filters.edge_doc_condition(batch)])
            # By point id, not ``set_payload_by_filter``: on a shard with many segments (qdrant-edge-py
            # 0.9.0) the by-filter update can stop at "No point with id ..." after copying some points,
            # leaving a chunk that matches both the old and the new ACL until a second restamp.
            ids = [record.id for record in edge_requests.scroll_records(shard, selector, False)]
            if ids:
                shard.update(q.UpdateOperation.set_payload(ids, payload))
            self._wrote(len(ids))  # each moved out of its HNSW segment

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
        legs = query_legs(self._encoder, mode, dense, text, self._dimension)
        engine = edge_requests.EdgeSearch(self._shard, scope, where, self._tuning, self._graphed())
        return floored_search(engine, self._plan, legs, limit, exact)

    def _graphed(self) -> Callable[[str], bool] | None:
        """Which allow tokens the graph links (None: the tuning keeps the engine's own plan)."""
        t, dimension = self._tuning, self._dimension
        return self._census.graphed(t.full_scan_threshold_kb, dimension) if t.split_filters and dimension else None

    def visible_points(self, scope: Scope, where: SearchFilter | None = None) -> int:
        """How many points ``scope`` (and ``where``) may search: the corpus of its BM25 IDF."""
        if not should_scroll(scope, 1) or self._shard is None:
            return 0
        return edge_requests.EdgeSearch(self._shard, scope, where).visible_points()

    def leg_scores(self, scope: Scope, dense: Sequence[float], text: str, limit: int) -> dict[str, list[SearchHit]]:
        """Each leg of a hybrid query searched alone, exactly, without floors, filtered by ``scope``:
        the raw cosine similarities and BM25 scores the floors compare with. For calibration only
        (:mod:`ragwarden.evaluation.relevance_floor`): callers that show results go through the
        :class:`~ragwarden.retrieval.retriever.Retriever` and :meth:`search`."""
        if not should_query(scope, limit, "hybrid", self._plan) or self._shard is None:
            return {}
        unfloored = replace(self._plan, dense_floor=None, sparse_floor=None)
        legs = plan_legs("hybrid", dense, self._encoder.query(text), self._dimension)
        engine = edge_requests.EdgeSearch(self._shard, scope, None)
        return {leg.using: engine.run(floored_query(unfloored, [leg], limit, True)) for leg in legs}

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
        return [edge_requests.hit(r) for r in records]

    def facet(self, scope: Scope, key: str, limit: int = 50, where: SearchFilter | None = None) -> dict[str, int]:
        if key not in filters.FACET_FIELDS:
            raise InvalidRequestError(f"no facet on {key!r}; facets: {', '.join(sorted(filters.FACET_FIELDS))}")
        if not should_scroll(scope, limit) or self._shard is None:
            return {}
        shard = self._shard
        count = lambda: edge_requests.facet_counts(shard, scope, key, limit, where)  # noqa: E731 - on a miss
        return self._facets.get(facet_key(scope, key, limit, where), count)

    def count(self) -> int:
        if self._shard is None:
            return 0
        import qdrant_edge as q

        return int(self._shard.count(q.CountRequest(exact=True)))
