"""The measures of :mod:`ragwarden.evaluation.relevance_floor` for one pair of floors (precision@10, hit@10,
results listed), the grid of candidate pairs and which of them qualify, and the before/after table.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ragwarden.core.models import AccessScope
from ragwarden.evaluation.relevance_floor_legs import LegScores
from ragwarden.evaluation.relevance_floor_questions import Question
from ragwarden.retrieval.documents import search_documents
from ragwarden.retrieval.retriever import Retriever

LANGS = ("de", "en")
KEYWORD_SETS = ("kw", "pair", "word")
LIMIT = 10
DENSE_GRID: tuple[float | None, ...] = (None, 0.35, 0.4, 0.45)
SPARSE_GRID: tuple[float | None, ...] = (None, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6)
Floors = tuple[float | None, float | None]
Table = dict[str, dict[str, float]]


@dataclass
class Row:
    """The measures of one floor pair in one language."""

    precision: list[float] = field(default_factory=list)
    hits: list[bool] = field(default_factory=list)
    reachable_hits: list[bool] = field(default_factory=list)
    listed: list[int] = field(default_factory=list)
    listed_none: list[int] = field(default_factory=list)  # forbidden/unanswerable questions

    def summary(self) -> dict[str, float]:
        return {
            "n": len(self.hits),
            "p@10": _mean(self.precision),
            "hit@10": _mean([float(h) for h in self.hits]),
            "reachable": len(self.reachable_hits),
            "hit@10 reachable": _mean([float(h) for h in self.reachable_hits]),
            "listed": _mean([float(n) for n in self.listed]),
            "n none": len(self.listed_none),
            "listed none": _mean([float(n) for n in self.listed_none]),
        }


@dataclass
class Run:
    """What one floor pair listed: the measures, and per question whether its document was listed."""

    table: Table
    found: dict[Question, bool]


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def measure(
    retriever: Retriever,
    scopes: dict[str, AccessScope],
    questions: Iterable[Question],
    reachable: dict[Question, bool],
) -> Run:
    rows: dict[str, Row] = {}
    found: dict[Question, bool] = {}
    for q in questions:
        listed = [r.path for r in search_documents(retriever, scopes[q.user], q.text, LIMIT)]
        row = rows.setdefault(q.lang, Row())
        if q.kind != "answerable":
            row.listed_none.append(len(listed))
            continue
        hit = found[q] = q.doc in listed
        row.precision.append(sum(path == q.doc for path in listed) / len(listed) if listed else 0.0)
        row.hits.append(hit)
        row.listed.append(len(listed))
        if reachable.get(q, True):
            row.reachable_hits.append(hit)
    return Run({lang: row.summary() for lang, row in rows.items()}, found)


def qualifies(run: Run, before: Run, max_loss: float) -> bool:
    """hit@10 of the reachable questions within ``max_loss`` of no floor in each language, and no
    keyword search losing its document (``tests/api/test_access_matrix.py`` requires every one)."""
    return all(
        run.table[key]["hit@10 reachable"] >= before.table[key]["hit@10 reachable"] - (key in LANGS) * max_loss - 1e-9
        for key in before.table
    )


def with_margin(grid: dict[Floors, Run], before: Run, max_loss: float) -> list[Floors]:
    """The qualifying pairs whose next step up of either floor (in the grid) qualifies too: not at the
    edge where hits start to go."""

    def ok(pair: Floors) -> bool:
        return pair in grid and qualifies(grid[pair], before, max_loss)

    def up(values: tuple[float | None, ...], value: float | None) -> float | None:
        i = values.index(value)
        return values[i + 1] if i + 1 < len(values) else float("inf")

    return [(d, s) for d, s in grid if ok((d, s)) and ok((up(DENSE_GRID, d), s)) and ok((d, up(SPARSE_GRID, s)))]


def mean_precision(run: Run) -> float:
    return _mean([run.table[lang]["p@10"] for lang in LANGS])


def floor_label(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def print_grid(grid: dict[Floors, Run], before: Run, max_loss: float) -> None:
    head = "  ".join(f"{lang + ' p@10':>8} {'hit':>5} {'reach':>5} {'listed':>6} {'none':>5}" for lang in LANGS)
    words = "  ".join(f"{k + ' hit':>6} {'listed':>6}" for k in KEYWORD_SETS)
    print(f"\n{'dense':>6} {'bm25':>5}  {head}  {words}")
    for (dense, sparse), run in grid.items():
        t = run.table
        cells = "  ".join(
            f"{t[lang]['p@10']:8.3f} {t[lang]['hit@10']:5.3f} {t[lang]['hit@10 reachable']:5.3f} "
            f"{t[lang]['listed']:6.2f} {t[lang]['listed none']:5.2f}"
            for lang in LANGS
        )
        words = "  ".join(f"{t[k]['hit@10']:6.3f} {t[k]['listed']:6.2f}" for k in KEYWORD_SETS)
        mark = "" if qualifies(run, before, max_loss) else "   loses hits"
        print(f"{floor_label(dense):>6} {floor_label(sparse):>5}  {cells}  {words}{mark}")
    print(
        "(hit: hit@10 of all answerable questions; reach: of the reachable ones; none: results listed for "
        "forbidden/unanswerable questions; kw: the manifest keywords as every user who may open the document; "
        "pair: two neighbouring words of them; word: each word alone)"
    )


LABELS = {
    "n": "answerable questions",
    "p@10": "precision@10",
    "hit@10": "hit@10",
    "reachable": "  reachable questions",
    "hit@10 reachable": "  hit@10 of those",
    "listed": "mean results listed",
    "n none": "forbidden+unanswerable",
    "listed none": "  mean results listed",
}


def print_before_after(before: Run, after: Run, floors: Floors, scores: dict[Question, LegScores]) -> None:
    print(f"\nbefore: no floor; after: dense floor {floor_label(floors[0])}, BM25 floor {floor_label(floors[1])}")
    print(f"{'lang':4} {'measure':26} {'before':>7} {'after':>7}")
    for lang in (*LANGS, *KEYWORD_SETS):
        for key, label in LABELS.items():
            if lang in KEYWORD_SETS and key not in ("n", "hit@10", "listed"):
                continue
            b, a = before.table[lang][key], after.table[lang][key]
            fmt = "7.0f" if key in ("n", "reachable", "n none") else "7.3f"
            print(f"{lang:4} {label:26} {b:{fmt}} {a:{fmt}}")
    lost = [q for q, hit in before.found.items() if hit and not after.found.get(q)]
    for q in lost:
        s = scores.get(q)
        why = f"cosine {s.dense.get(q.doc or '', 0):.3f}, BM25 {s.bm25.get(q.doc or '', 0):.2f}" if s else ""
        print(f"no longer listed: {q.id} as {q.user} ({why}): {q.text}")
