"""How a search is planned, shared by both index adapters so they rank alike.

A query runs as *legs*: the dense vector, and the BM25 vector of each language (see
:mod:`ragwarden.retrieval.sparse`). One leg is searched directly; several are prefetched (each with
the caller's ACL filter) and fused by reciprocal rank fusion, filtered once more. RRF fuses ranks, not
scores, so cosine similarities and BM25 scores need no calibration against each other. Every leg counts
alike, but for one exception: for a query that reads German the English BM25 leg counts half
(:data:`~ragwarden.retrieval.sparse.GERMAN_QUERY_ENGLISH_WEIGHT` says why). Both engines weigh a leg the
same way, by stretching its ranks: its candidate at (0-based) position p scores 1 / ((p + 1) / w + k - 1)
instead of 1 / (p + k), so at w = 0.5 its first candidate still counts nearly in full and its tenth as
another leg's twentieth.

RRF also carries no absolute relevance: every query would fill its page, however unrelated the last
hits. Hence the *relevance floor*, one per kind of leg: a leg keeps only candidates scoring at least
its floor (Qdrant's ``score_threshold`` on the prefetch, or on the request when it is the only leg),
so a candidate reaches the fusion only if it is close enough in meaning (``dense_floor``, a cosine
similarity of the embedder) *or* matches the query's words well enough (``sparse_floor``, a BM25
score; see :meth:`SearchPlan.floor`), and a query with nothing relevant returns nothing. The floors
belong to an embedder and a corpus: ``python -m ragwarden.evaluation.relevance_floor`` calibrates them
on the demo questions.

BM25's IDF is computed over the caller's *visible* corpus (``scoped_idf``): with collection-wide IDF
the score of a visible chunk would shift with the words in documents the caller may not open, a side
channel through which the existence of hidden documents could be probed. Scoped, every score is a
function of what the caller may see, and the two adapters agree on it (the server's global IDF lags
deletions; corpus-scoped IDF is computed over live points in both).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ragwarden.core.errors import ConfigurationError, InvalidRequestError
from ragwarden.core.models import Scope, require_scope
from ragwarden.core.ports import SearchMode
from ragwarden.retrieval.sparse import SparseVec

DENSE = "dense"
MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "sparse")
MAX_SCROLL = 10_000


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """Tuning of the query plan (the same for every adapter)."""

    rrf_k: int = 60  # the usual RRF constant; flattens the weight of the very first ranks
    prefetch_min: int = 40  # depth of each ranked list fed to the fusion
    prefetch_factor: int = 4
    # Beam width of the HNSW search. Measured at 1M points (bench): ef 64 → recall@10 0.98–1.0,
    # ef 96 → 0.994–1.0 at p95 ≈ 6–7 ms, ef 128 → 1.0 at p95 ≈ 8–10 ms.
    hnsw_ef: int = 96
    scoped_idf: bool = True
    max_limit: int = 1000
    # Relevance floors (None: no floor): the least cosine similarity a dense candidate needs, and the
    # least BM25 score a BM25 candidate of a query of several words needs (each language's leg alike),
    # in units of the IDF of a word only one chunk of the caller's visible corpus holds (see floor()).
    # Both depend on the embedder and the corpus: the plan has none by default, the settings carry
    # calibrated ones.
    dense_floor: float | None = None
    sparse_floor: float | None = None

    def prefetch_limit(self, limit: int) -> int:
        return max(self.prefetch_min, limit * self.prefetch_factor)

    def floor(self, leg: Leg, visible: int | None = None) -> float | None:
        """The least score ``leg`` keeps (its Qdrant ``score_threshold``), None for no floor.

        A BM25 score grows with the log of the corpus its IDF is computed over, which is the caller's
        visible corpus (narrowed by ``where``): a fixed score would cut exact matches for a caller who
        sees a few dozen chunks, or once a file-type filter narrows the corpus. So the BM25 floor is
        ``sparse_floor`` times :func:`unique_word_idf` of ``visible``, the points in that corpus (the
        adapters count them with the caller's filter: like the scoped IDF, a function of what the
        caller may see only).

        A BM25 leg of one query word has none: every candidate it returns holds the whole query, and
        the floor is there to cut candidates that match a few common words of a longer query.
        """
        if leg.sparse is None:
            return self.dense_floor
        if self.sparse_floor is None or not self.floors_bm25(leg):
            return None
        if visible is None:
            raise ValueError("a BM25 floor needs the size of the caller's visible corpus")
        return self.sparse_floor * unique_word_idf(visible)

    def floors_bm25(self, leg: Leg) -> bool:
        """Whether ``leg`` is a BM25 leg with a floor (so the caller's visible corpus must be counted)."""
        return self.sparse_floor is not None and leg.sparse is not None and len(leg.sparse.indices) > 1

    def leg_limit(self, legs: Sequence[Leg], limit: int) -> int:
        """How many candidates each leg is asked for: ``limit`` alone, the prefetch depth when fused."""
        return limit if len(legs) == 1 else self.prefetch_limit(limit)


@dataclass(frozen=True, slots=True)
class Leg:
    """One ranked list of a query: a named vector, the query vector for it, its weight in the fusion."""

    using: str
    dense: tuple[float, ...] = ()
    sparse: SparseVec | None = None
    weight: float = 1.0


def unique_word_idf(visible: int) -> float:
    """Qdrant's IDF, ln(1 + (N - n + 0.5) / (n + 0.5)), of a word that n = 1 of N = ``visible`` chunks
    hold: the most one word can add to a BM25 score (per unit of term frequency)."""
    return math.log(1 + (visible - 0.5) / 1.5) if visible > 0 else 0.0


def _require_scope(scope: Scope, what: str) -> None:
    require_scope(scope, what)


def should_query(scope: Scope, limit: int, mode: str, plan: SearchPlan) -> bool:
    """Validate a search; False when the scope is empty (answer [] without asking the index)."""
    _require_scope(scope, "a search")
    if mode not in MODES:
        raise InvalidRequestError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
    if not isinstance(limit, int) or not 1 <= limit <= plan.max_limit:
        raise InvalidRequestError(f"limit must be between 1 and {plan.max_limit}")
    return not scope.is_empty


def needs_exact_retry(legs: Sequence[Leg], hits: int, limit: int, exact: bool) -> bool:
    """A short answer from a graph search is re-run exactly (or, under a floor, first probed).

    Qdrant's filtered HNSW walks only points that pass the filter. Tokens with more points than the
    full-scan threshold get their own subgraph links, and small filters are scored exactly, but a filter
    made of many *small* tokens that together match more than the threshold walks the bare graph, which
    falls apart at a few percent selectivity and returns only a handful of hits (measured: 1–4 of 10).
    The exact re-run scores the filter's candidates from the payload index: slower, never wrong.

    Under a relevance floor a short answer is the normal case and says nothing about the graph; see
    :func:`graph_probe` for how the adapters tell the two apart.
    """
    return not exact and hits < limit and any(leg.sparse is None for leg in legs)


def graph_probe(plan: SearchPlan, legs: Sequence[Leg], limit: int) -> tuple[Leg, int] | None:
    """When a short graph answer needs a probe before the exact re-run: the dense leg and how many hits
    it was asked for; None when the short answer itself tells (no dense floor: re-run exactly).

    A dense floor cuts the list short by design, and a graph that fell apart under the filter cuts it
    short too. Correctness first, yet without an exact scan for every query that has few relevant
    hits: the dense leg is asked once more, filtered as before but without its floor, for as many hits
    as it was asked for in the query. Full, the graph reached enough of the caller's points and the
    floored answer stands (Qdrant applies the threshold to the same graph walk); short, the graph is
    suspect (or the caller sees fewer points than that) and the query is re-run exactly, floors kept.
    """
    if plan.dense_floor is None:
        return None
    dense = next((leg for leg in legs if leg.sparse is None), None)
    return None if dense is None else (dense, plan.leg_limit(legs, limit))


def should_scroll(scope: Scope, limit: int) -> bool:
    """Validate a document look-up; False when the scope is empty."""
    _require_scope(scope, "a document look-up")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_SCROLL:
        raise InvalidRequestError(f"limit must be between 1 and {MAX_SCROLL}")
    return not scope.is_empty


def plan_legs(
    mode: SearchMode,
    dense: Sequence[float],
    sparse: dict[str, SparseVec],
    dimension: int | None,
    weights: Mapping[str, float] | None = None,
) -> list[Leg]:
    """The legs of one query; a BM25 leg whose query vector is empty (stop words only) is skipped.
    ``weights`` gives a BM25 leg its weight in the fusion (see :func:`~ragwarden.retrieval.sparse.fusion_weights`)."""
    legs: list[Leg] = []
    if mode in ("hybrid", "dense"):
        vector = tuple(float(x) for x in dense)
        if dimension is not None and len(vector) != dimension:
            raise ConfigurationError(
                f"query vector has {len(vector)} dimensions, the index {dimension}: "
                "the embedder does not match the one the index was built with"
            )
        legs.append(Leg(DENSE, dense=vector))
    if mode in ("hybrid", "sparse"):
        weight = weights or {}
        legs.extend(Leg(name, sparse=vec, weight=weight.get(name, 1.0)) for name, vec in sparse.items() if vec)
    return legs
