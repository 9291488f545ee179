"""``python -m ragwarden.evaluation.relevance_floor``: calibrates the relevance floors of a search.

Hybrid search fuses ranks (RRF), so without a floor every query fills its page, however unrelated the
last documents. The floors (``RAGWARDEN_SEARCH_DENSE_FLOOR``, a cosine similarity of the embedder, and
``RAGWARDEN_SEARCH_SPARSE_FLOOR``, a BM25 score in units of the IDF of a word only one of the caller's
chunks holds; see :meth:`ragwarden.retrieval.hybrid.SearchPlan.floor`) let a candidate into the fusion
only if it is close in meaning or matches the query's words well enough.

The demo corpus is ingested into a temporary data directory and every question is asked as its user:
the questions of ``answer_questions.yaml`` (answerable ones as the user they name; forbidden and
unanswerable ones have no document to find: fewer results is better) and those of ``questions.yaml``
(asked as the first demo user who may open the expected document, as ``ragwarden bench quality`` does).
Besides, the *keywords*: each indexed document's distinctive words from the corpus manifest, asked as
every demo user who may open it (what ``tests/api/test_access_matrix.py`` requires to be found), and,
as searches of two words and of one, each two neighbouring words of them and each word alone.

It prints, per language:

1. the raw per-leg scores: the best cosine / BM25 score of the expected document against those of the
   other documents the user can see (the floors have to part the two);
2. a grid of candidate floor pairs: precision@10 (share of the listed documents, up to 10, that are the
   expected one), hit@10 (the expected document among them), mean results listed, mean results listed
   for forbidden/unanswerable questions, and hit@10 of the keywords;
3. "before" (no floor) and "after" (the configured floors, or ``--dense``/``--sparse``) side by side,
   and the questions whose document "after" no longer lists.

A question is *reachable* when some leg tells its document from noise: BM25 matches it, or its cosine
is above the median of the other documents the user can see. An unreachable one (a German question
about an English document, say: no shared word, and the English-only embedder ranks the document in
the lower half) is listed without a floor only because every page is filled; no floor that cuts
anything keeps it. A pair qualifies when hit@10 over the reachable questions stays within
``--max-hit-loss`` of no floor in each language and no keyword search loses its document; it has a
margin when the next step up of either floor qualifies too. The best qualifying pair by mean
precision@10 is suggested, and the best with a margin. Documents are counted as the search page
lists them (``search_documents``: the best chunk of each document).

This module runs the calibration; beside it live the questions (``relevance_floor_questions``), the
per-leg scores (``relevance_floor_legs``) and the measures of a floor pair (``relevance_floor_grid``).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ragwarden.core.models import AccessScope
from ragwarden.core.settings import DENSE_FLOOR, SPARSE_FLOOR
from ragwarden.evaluation.relevance_floor_grid import (
    DENSE_GRID,
    LANGS,
    SPARSE_GRID,
    Floors,
    Run,
    floor_label,
    mean_precision,
    measure,
    print_before_after,
    print_grid,
    qualifies,
    with_margin,
)
from ragwarden.evaluation.relevance_floor_legs import LegScores, distributions, leg_scores, print_distributions
from ragwarden.evaluation.relevance_floor_questions import Question, load_keywords, load_questions
from ragwarden.retrieval.hybrid import SearchPlan
from ragwarden.retrieval.retriever import Retriever

if TYPE_CHECKING:
    from ragwarden.core.settings import Settings
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex


class CachedEmbedder:
    """The services' embedder, each query embedded once for all floor pairs."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._cache: dict[str, list[float]] = {}

    @property
    def model_id(self) -> str:
        return str(self._inner.model_id)

    @property
    def dimension(self) -> int:
        return int(self._inner.dimension)

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._inner.embed_batch(missing), strict=True))
        return [self._cache[t] for t in texts]



@dataclass
class Demo:
    """The ingested demo corpus, the questions asked of it and their askers' scopes; its index is
    opened afresh with each floor pair."""

    settings: Settings
    questions: list[Question]
    scopes: dict[str, AccessScope]
    embedder: CachedEmbedder

    def index_with(self, dense: float | None, sparse: float | None) -> QdrantEdgeIndex:
        from ragwarden.retrieval.edge_index import QdrantEdgeIndex

        plan = SearchPlan(dense_floor=dense, sparse_floor=sparse)
        return QdrantEdgeIndex(self.settings.index_path, self.settings.collection, plan=plan)

    def run(self, floors: Floors, reachable: dict[Question, bool]) -> Run:
        index = self.index_with(*floors)
        try:
            return measure(Retriever(index, self.embedder), self.scopes, self.questions, reachable)
        finally:
            index.close()

    def leg_scores(self) -> dict[Question, LegScores]:
        """The raw scores of the answerable questions in :data:`LANGS`, with no floor."""
        index = self.index_with(None, None)
        try:
            answerable = [q for q in self.questions if q.kind == "answerable" and q.lang in LANGS]
            return {q: leg_scores(index, self.embedder, self.scopes[q.user], q.text) for q in answerable}
        finally:
            index.close()


def ingest(data_dir: str) -> Demo:
    """The demo corpus ingested into ``data_dir`` (Qdrant Edge), and the questions to ask of it."""
    from ragwarden.acl.local_directory.resolver import LocalDirectory
    from ragwarden.demo.loader import demo_root, demo_settings, ingest_demo
    from ragwarden.services import build_services

    settings = demo_settings(data_dir, index_backend="edge")
    services = build_services(settings)
    try:
        ingest_demo(services)
        assert isinstance(services.directory, LocalDirectory)
        questions = load_questions(services) + load_keywords(services, demo_root() / "manifest.json")
        scopes = {u: services.directory.resolve(u) for u in {q.user for q in questions}}
        return Demo(settings, questions, scopes, CachedEmbedder(services.embedder))
    finally:
        services.close()  # the index is reopened with each floor pair


def suggest(demo: Demo, before: Run, reachable: dict[Question, bool], max_loss: float) -> None:
    """Print the grid of floor pairs and the best qualifying pair, without and with a margin."""
    grid = {(d, s): demo.run((d, s), reachable) for d in DENSE_GRID for s in SPARSE_GRID}
    print_grid(grid, before, max_loss)
    for label, fit in (
        ("qualifying", [pair for pair, r in grid.items() if qualifies(r, before, max_loss)]),
        ("qualifying with margin", with_margin(grid, before, max_loss)),
    ):
        best = max(fit, key=lambda pair: mean_precision(grid[pair]))
        print(
            f"best {label} pair: dense {floor_label(best[0])}, BM25 {floor_label(best[1])} "
            f"(mean precision@10 {mean_precision(grid[best]):.3f})"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ragwarden.evaluation.relevance_floor", description=__doc__)
    parser.add_argument("--data-dir", help="a demo data dir to reuse (default: a fresh temporary one)")
    parser.add_argument("--dense", default=floor_label(DENSE_FLOOR), help="the dense floor for 'after' (or none)")
    parser.add_argument("--sparse", default=floor_label(SPARSE_FLOOR), help="the BM25 floor for 'after' (or none)")
    parser.add_argument("--no-grid", action="store_true", help="only the distributions, before and after")
    parser.add_argument("--max-hit-loss", type=float, default=0.02, help="hit@10 a pair may lose (default 0.02)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    floors = (_parse_floor(args.dense), _parse_floor(args.sparse))
    with tempfile.TemporaryDirectory() as tmp:
        demo = ingest(args.data_dir or tmp)
        scores = demo.leg_scores()
        reachable = {q: s.reachable(q.doc or "") for q, s in scores.items()}
        print_distributions(distributions(scores))
        unreachable = [q for q, ok in reachable.items() if not ok]
        print(f"unreachable (neither leg tells the document from noise): {', '.join(q.id for q in unreachable) or '-'}")
        before = demo.run((None, None), reachable)
        if not args.no_grid:
            suggest(demo, before, reachable, args.max_hit_loss)
        print_before_after(before, demo.run(floors, reachable), floors, scores)
    return 0


def _parse_floor(value: str) -> float | None:
    return None if value.strip().lower() in {"none", "off", ""} else float(value)


if __name__ == "__main__":
    raise SystemExit(main())
