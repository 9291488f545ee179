"""How each index adapter builds its collection: HNSW and, for the embedded index, when fresh points fold.

Settings only, apart from the adapters (:mod:`~ragwarden.retrieval.edge_index`,
:mod:`~ragwarden.retrieval.qdrant_index`) so that their request modules can render them without
importing the adapter. How a query is searched is the :class:`~ragwarden.retrieval.hybrid.SearchPlan`,
the same for both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Quantization = Literal["int8"] | None


@dataclass(frozen=True, slots=True)
class EdgeTuning:
    """Index-build and search-runtime settings (measured by ``ragwarden bench retrieval``)."""

    m: int = 16
    ef_construct: int = 100
    # A filter matching fewer than this many KB of vectors in a segment (≈ 6 600 384-d vectors) is
    # answered by scoring the payload index's candidates exactly; a token (group) with more points
    # gets its own HNSW subgraph links, so a filtered graph search stays connected.
    full_scan_threshold_kb: int = 10_000
    # KB of dense vectors at which Edge builds a segment's HNSW; None: the settle budget's worth.
    indexing_threshold_kb: int | None = None
    # Room for folded segments beside the big one: a fold indexes the fresh points as a segment of
    # their own and merges small segments with each other, instead of rebuilding the big segment.
    default_segment_number: int = 8
    max_search_threads: int | None = None  # None: one per CPU
    optimize_every: int = 200_000  # mid-run fold: bounds brute-force search during a huge first ingest
    # Fresh points wait in the appendable segment (searched exactly, filtered) until this many gathered:
    # a few changed documents never cost an HNSW build. Larger: rarer but longer folds (≈ 1 s per
    # 1 000 384-d points on 2 idle cores, every thread waiting) and dearer searches for broad callers.
    settle_budget: int = 8_000
    # Scalar int8 quantization of the dense vectors: a 4x smaller copy kept in RAM that the graph search
    # scores, rescored on the originals at the end (``ragwarden bench scale``). None: no copy, as before.
    quantization: Quantization = None
    # Original vectors and the HNSW graph left on disk (memory-mapped, paged in as searched) for when RAM
    # is short; False keeps the engine's default placement. The payload indexes (ACL fields) stay in RAM.
    on_disk: bool = False
    # ACORN for filtered graph searches that leave at most this share of the points (None: never, as before).
    # A filter that leaves a small part of the graph (a caller in many small groups) disconnects it and the
    # beam stops early; ACORN also walks two hops through filtered-out points, at a higher cost per query.
    # ``ragwarden bench scale`` (company ACLs, 100k-300k points): recall@10 0.45-0.77 → 0.99-1.0 for the
    # classes that lose, but 4-15x the CPU per query when applied to every filter.
    acorn_max_selectivity: float | None = None
    # With quantization: how many more int8 candidates than asked for are rescored on the original vectors
    # (2.0: twice the limit). None: the engine's default (the limit itself, so a near tie can slip out).
    oversampling: float | None = None
    # Cut each dense search's access filter by the caller's allow tokens: a graph search over those with
    # enough points for HNSW links of their own (see full_scan_threshold_kb) and an exact scan over what the
    # others open, merged by score (:mod:`~ragwarden.retrieval.token_census`). False: one search under the
    # whole filter, as the engine plans it, which strands in the graph for callers in many mid-sized groups.
    split_filters: bool = True

    def indexing_threshold(self, dimension: int) -> int:
        """Edge's indexing threshold in KB: the settle budget's worth of vectors, never below the
        full-scan threshold (a smaller segment is scanned in full, HNSW or not)."""
        if self.indexing_threshold_kb is not None:
            return self.indexing_threshold_kb
        return max(self.full_scan_threshold_kb, math.ceil(self.settle_budget * dimension * 4 / 1024))


@dataclass(frozen=True, slots=True)
class ServerTuning:
    """Collection settings for the server (it optimizes in the background)."""

    m: int = 16
    ef_construct: int = 100
    full_scan_threshold_kb: int = 10_000
    upsert_batch: int = 256
    # What the server is asked for at collection creation (None / 1 / False: the server's defaults, as
    # before): int8 quantization with rescoring, shards to spread over a cluster's nodes, vectors on disk.
    quantization: Quantization = None
    shard_number: int | None = None
    on_disk: bool = False
