"""How many points each access token opens, so that a filtered dense search takes the path that finds them.

Qdrant's filtered HNSW search walks the graph only through points the filter lets through. For a filter on
one group with enough points the graph has extra links among that group's points (built for every payload
value past ``full_scan_threshold``), and a filter too small for that is scanned exactly. A caller in many
groups gets their *union*: often too large to scan, yet made of groups that each lack links, so the walk
strands in a scattered part of the graph and misses results (``ragwarden bench scale``: recall@10 0.45 for
callers who see about a tenth of a 100 000-chunk company index).

So :class:`~ragwarden.retrieval.edge_requests.EdgeSearch` cuts the caller's allow tokens in two (see
:func:`~ragwarden.retrieval.filters.edge_acl_parts`): a graph search over the tokens with links of their own,
and an exact scan over the points the rest open (each opens fewer points than the threshold, so this scan is
bounded by the caller's number of small groups), merged by score. This module counts the points per token: one
exact facet over the allow field, counted again (on a thread of its own, the old figures serving meanwhile)
when writes happened and the count is older than ``max_age`` seconds. A stale count only chooses the path:
both parts stay inside the caller's filter, and together they match exactly what it matches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ragwarden.retrieval.filters import ACL_ALLOW

logger = logging.getLogger(__name__)

MAX_TOKENS = 1_000_000  # facet values asked for at most (groups and users that appear on any ACL)


def graph_points(full_scan_threshold_kb: int, dimension: int) -> int:
    """The fewest points a payload value needs for Qdrant to link its points in the HNSW graph: the
    threshold is in KB of (float32) vectors."""
    return max(1, full_scan_threshold_kb * 1024 // (dimension * 4))


class TokenCensus:
    """Points per allow token of one shard, recounted lazily; only the first count holds a search up."""

    def __init__(self, count: Callable[[], dict[str, int]], max_age: float = 300.0) -> None:
        self._count = count
        self._max_age = max_age
        self._counts: dict[str, int] | None = None
        self._counted_at = 0.0
        self._written = False  # a write since the last count
        self._lock = threading.Lock()
        self._counting = threading.Lock()

    def written(self) -> None:
        """Called after every write to the shard."""
        with self._lock:
            self._written = True

    def counts(self) -> dict[str, int]:
        """The figures: counted on the caller's thread the first time, afterwards recounted on a thread of
        its own when stale while the old figures serve."""
        with self._lock:
            counts, stale = self._counts, self._written and time.monotonic() - self._counted_at >= self._max_age
        if counts is None:
            with self._counting:
                with self._lock:
                    if self._counts is not None:  # counted by another thread while this one waited
                        return self._counts
                return self._recount()
        if stale and self._counting.acquire(blocking=False):
            threading.Thread(target=self._recount_once, name="token-census", daemon=True).start()
        return counts

    def graphed(self, full_scan_threshold_kb: int, dimension: int) -> Callable[[str], bool]:
        """Whether a token opens enough points for the graph to link them, by the current figures."""
        counts, least = self.counts(), graph_points(full_scan_threshold_kb, dimension)
        return lambda token: counts.get(token, 0) >= least

    def _recount_once(self) -> None:
        try:
            self._recount()
        except Exception:  # noqa: BLE001 - the index closed meanwhile, say: the old figures keep serving
            logger.debug("token census recount failed", exc_info=True)
            with self._lock:
                self._written = True  # still stale: the next search asks again
        finally:
            self._counting.release()

    def _recount(self) -> dict[str, int]:
        with self._lock:
            self._written = False  # a write from here on asks for the next recount
        fresh = self._count()
        with self._lock:
            self._counts, self._counted_at = fresh, time.monotonic()
        return fresh


def facet_count(shard: Any) -> dict[str, int]:
    """Points per allow token over the whole shard (the adapter's own maintenance read: counts, no point)."""
    import qdrant_edge as q

    response = shard.facet(q.FacetRequest(ACL_ALLOW, limit=MAX_TOKENS, exact=True))
    return {str(hit.value): int(hit.count) for hit in response.hits}
