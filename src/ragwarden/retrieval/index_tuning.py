"""How each index adapter builds its collection: HNSW and, for the embedded index, when fresh points fold.

Settings only, apart from the adapters (:mod:`~ragwarden.retrieval.edge_index`,
:mod:`~ragwarden.retrieval.qdrant_index`) so that their request modules can render them without
importing the adapter. How a query is searched is the :class:`~ragwarden.retrieval.hybrid.SearchPlan`,
the same for both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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
