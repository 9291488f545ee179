"""The raw per-leg scores of :mod:`ragwarden.evaluation.relevance_floor`: per question, the best cosine and
BM25 score of every document the asker can see, whether some leg tells the expected document from noise
(*reachable*), and the distributions the floors have to part.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ragwarden.core.models import AccessScope
from ragwarden.core.ports import Embedder
from ragwarden.evaluation.relevance_floor_questions import Question
from ragwarden.retrieval.hybrid import unique_word_idf

LEG_DEPTH = 1000  # every chunk a demo user can see (the corpus has ~320)


@dataclass(frozen=True, slots=True)
class LegScores:
    """Best score per visible document of one question: cosine, and the better language's BM25."""

    dense: dict[str, float]
    bm25: dict[str, float]

    def reachable(self, doc: str) -> bool:
        """BM25 matches ``doc``, or its cosine beats the median of the other documents."""
        others = [v for p, v in self.dense.items() if p != doc]
        return self.bm25.get(doc, 0.0) > 0 or self.dense.get(doc, -1.0) > statistics.median(others or [0.0])


def leg_scores(index: Any, embedder: Embedder, scope: AccessScope, text: str) -> LegScores:
    """BM25 in the floor's unit: the IDF of a word only one of the caller's chunks holds."""
    legs = index.leg_scores(scope, embedder.embed_batch([text])[0], text, LEG_DEPTH)
    unit = unique_word_idf(index.visible_points(scope))
    dense: dict[str, float] = {}
    bm25: dict[str, float] = {}
    for name, hits in legs.items():
        best, scale = (dense, 1.0) if name == "dense" else (bm25, unit)
        for hit in hits:
            path, score = str(hit.payload.get("path", "")), hit.score / scale
            best[path] = max(best.get(path, score), score)
    return LegScores(dense, bm25)


def distributions(scores: dict[Question, LegScores]) -> dict[tuple[str, str, str], list[float]]:
    """(language, leg, expected|other) → the best scores per document over the answerable questions."""
    out: dict[tuple[str, str, str], list[float]] = {}
    for q, s in scores.items():
        for leg, best in (("dense", s.dense), ("bm25", s.bm25)):
            out.setdefault((q.lang, leg, "expected"), []).append(best.get(q.doc or "", 0.0))
            out.setdefault((q.lang, leg, "other"), []).extend(v for p, v in best.items() if p != q.doc)
    return out


def _quantiles(values: Sequence[float], points: Sequence[float]) -> list[float]:
    ordered = sorted(values)
    return [ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] for p in points] if ordered else []


def print_distributions(dist: dict[tuple[str, str, str], list[float]]) -> None:
    points = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0)
    print("raw leg scores: best per document, the expected one vs. the other documents the user can see")
    print(f"{'lang':4} {'leg':5} {'docs':8} {'n':>4}  " + " ".join(f"q{p:<5.2f}".replace("q0.", "q.") for p in points))
    for (lang, leg, which), values in sorted(dist.items()):
        cells = " ".join(f"{v:6.2f}" if leg == "bm25" else f"{v:6.3f}" for v in _quantiles(values, points))
        print(f"{lang:4} {leg:5} {which:8} {len(values):4}  {cells}")
    print(
        "(bm25: the score over the IDF of a word only one chunk the user can see holds, the unit of the floor; "
        "0.00: no query word in the document)"
    )
