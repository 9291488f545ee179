"""The floored search both index adapters run, so that they rank (and retry) alike.

:mod:`ragwarden.retrieval.hybrid` plans a search (its legs, their relevance floors, when a short graph
answer is suspect); this module runs that plan, the same way on every engine. Each leg becomes a
candidate :class:`Step` (how many candidates it is asked for, the least score it keeps); one step is
searched directly, several are prefetched and fused by RRF. A floored BM25 leg first needs the size of
the caller's visible corpus; a short graph answer is probed (the dense leg without its floor) and
re-run exactly only when the graph is suspect.

An adapter hands in a :class:`SearchEngine`, bound to the caller's access filter, which renders a
:class:`FlooredQuery` in its engine's own types (:mod:`~ragwarden.retrieval.edge_requests`,
:mod:`~ragwarden.retrieval.qdrant_requests`) and runs it: nothing here imports an engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ragwarden.core.models import SearchHit
from ragwarden.core.ports import SearchMode
from ragwarden.retrieval.hybrid import Leg, SearchPlan, graph_probe, needs_exact_retry, plan_legs
from ragwarden.retrieval.sparse import Bm25Encoder, fusion_weights


@dataclass(frozen=True, slots=True)
class Step:
    """One leg's candidates: at most ``limit``, each scoring at least ``floor`` (None: no floor)."""

    leg: Leg
    limit: int
    floor: float | None


@dataclass(frozen=True, slots=True)
class FlooredQuery:
    """One request to the engine, every step under the caller's access filter: a single step is
    searched directly (its floor on the request); several are prefetched and fused by RRF (``rrf_k``)."""

    steps: tuple[Step, ...]
    limit: int
    exact: bool
    hnsw_ef: int
    scoped_idf: bool  # BM25's IDF over the caller's visible corpus (see hybrid)
    rrf_k: int
    with_payload: bool = True

    @property
    def fused(self) -> bool:
        return len(self.steps) > 1

    @property
    def weights(self) -> list[float] | None:
        """Each step's weight in the fusion, in order; None when all count alike (plain RRF)."""
        weights = [step.leg.weight for step in self.steps]
        return weights if any(w != 1.0 for w in weights) else None


class SearchEngine(Protocol):
    """An adapter's engine, bound to one caller's access filter (and ``where``)."""

    # Whether the engine already scores every visible point for the dense leg (see
    # :mod:`~ragwarden.retrieval.token_census`): then a short answer is the whole truth, never re-run.
    dense_exact: bool

    def visible_points(self) -> int:
        """How many points the filter matches: the corpus of the caller's BM25 IDF."""
        ...

    def run(self, query: FlooredQuery) -> list[SearchHit]: ...


def query_legs(
    encoder: Bm25Encoder, mode: SearchMode, dense: Sequence[float], text: str, dimension: int | None
) -> list[Leg]:
    """The legs of one query: the dense vector and, unless ``mode`` is dense, the BM25 vectors of ``text``,
    weighted by the language ``text`` reads in."""
    sparse = encoder.query(text) if mode != "dense" else {}
    return plan_legs(mode, dense, sparse, dimension, fusion_weights(text))


def floored_query(
    plan: SearchPlan, legs: Sequence[Leg], limit: int, exact: bool, visible: int | None = None
) -> FlooredQuery:
    """``legs`` as candidate steps: each keeps only candidates at or above its relevance floor (see
    :meth:`~ragwarden.retrieval.hybrid.SearchPlan.floor`, which needs ``visible``, the points the
    filter matches, for a floored BM25 leg)."""
    depth = plan.leg_limit(legs, limit)
    steps = tuple(Step(leg, depth, plan.floor(leg, visible)) for leg in legs)
    return FlooredQuery(steps, limit, exact, plan.hnsw_ef, plan.scoped_idf, plan.rrf_k)


def floored_search(
    engine: SearchEngine, plan: SearchPlan, legs: Sequence[Leg], limit: int, exact: bool
) -> list[SearchHit]:
    """Search ``legs`` under their floors; a short graph answer is re-run exactly when the graph is suspect."""
    if not legs:
        return []
    visible = engine.visible_points() if any(map(plan.floors_bm25, legs)) else None
    hits = engine.run(floored_query(plan, legs, limit, exact, visible))
    scanned = exact or engine.dense_exact
    if needs_exact_retry(legs, len(hits), limit, scanned) and _graph_suspect(engine, plan, legs, limit):
        hits = engine.run(floored_query(plan, legs, limit, True, visible))
    return hits


def _graph_suspect(engine: SearchEngine, plan: SearchPlan, legs: Sequence[Leg], limit: int) -> bool:
    """After a short answer: whether the graph may have missed points (see ``graph_probe``): the
    dense leg once more, with the access filter but without its floor, ids only."""
    probe = graph_probe(plan, legs, limit)
    if probe is None:
        return True
    leg, wanted = probe
    query = FlooredQuery(
        (Step(leg, wanted, None),), wanted, False, plan.hnsw_ef, plan.scoped_idf, plan.rrf_k, with_payload=False
    )
    return len(engine.run(query)) < wanted
