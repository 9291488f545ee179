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
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ragwarden.acl.decision import is_allowed
from ragwarden.core.models import AccessScope
from ragwarden.core.settings import DENSE_FLOOR, SPARSE_FLOOR
from ragwarden.retrieval.documents import search_documents
from ragwarden.retrieval.hybrid import SearchPlan, unique_word_idf
from ragwarden.retrieval.retriever import Retriever

LANGS = ("de", "en")
KEYWORD_SETS = ("kw", "pair", "word")
LIMIT = 10
DENSE_GRID: tuple[float | None, ...] = (None, 0.35, 0.4, 0.45)
SPARSE_GRID: tuple[float | None, ...] = (None, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6)
LEG_DEPTH = 1000  # every chunk a demo user can see (the corpus has ~320)
Floors = tuple[float | None, float | None]
Table = dict[str, dict[str, float]]


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    lang: str  # de | en; "kw", "pair" or "word" for the keyword searches
    user: str
    kind: str  # answerable | forbidden | unanswerable
    text: str
    doc: str | None  # the expected document's corpus path (answerable questions)


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


def _package_file(name: str) -> str:
    return resources.files("ragwarden.evaluation").joinpath(name).read_text(encoding="utf-8")


def load_questions(services: Any) -> list[Question]:
    """Both question sets; a ``questions.yaml`` question is asked by the first demo user who may open
    its document (the directory's order, as in ``ragwarden bench quality``)."""
    questions = [
        Question(q["id"], q["lang"], q["user"], q["kind"], q["question"], q.get("doc"))
        for q in yaml.safe_load(_package_file("answer_questions.yaml"))
    ]
    users: list[str] = services.directory.users()
    for q in yaml.safe_load(_package_file("questions.yaml")):
        doc = next(iter(services.state.find(q["expect"])))
        user = next((u for u in users if is_allowed(doc.acl, services.directory.resolve(u))), None)
        if user is None:
            raise SystemExit(f"no demo user may see {q['expect']}")
        questions.append(Question(f"q:{q['expect']}", q["lang"], user, "answerable", q["question"], q["expect"]))
    return questions


def load_keywords(services: Any, manifest: Path) -> list[Question]:
    """Each indexed document's manifest keywords, asked by every demo user who may open it ("kw"); each
    two neighbouring words of them ("pair") and each word alone ("word"), asked by the first user who
    may."""
    out: list[Question] = []
    for entry in json.loads(manifest.read_text(encoding="utf-8")):
        if not entry["indexed"]:
            continue
        path, doc = entry["path"], next(iter(services.state.find(entry["path"])))
        users = [u for u in services.directory.users() if is_allowed(doc.acl, services.directory.resolve(u))]
        out += [Question(f"kw:{path}", "kw", user, "answerable", entry["query"], path) for user in users]
        words = entry["query"].split()
        out += [Question(f"word:{path}", "word", users[0], "answerable", w, path) for w in words]
        pairs = [" ".join(words[i : i + 2]) for i in range(len(words) - 1)]
        out += [Question(f"pair:{path}", "pair", users[0], "answerable", p, path) for p in pairs]
    return out


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


# -- the raw per-leg scores ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegScores:
    """Best score per visible document of one question: cosine, and the better language's BM25."""

    dense: dict[str, float]
    bm25: dict[str, float]

    def reachable(self, doc: str) -> bool:
        """BM25 matches ``doc``, or its cosine beats the median of the other documents."""
        others = [v for p, v in self.dense.items() if p != doc]
        return self.bm25.get(doc, 0.0) > 0 or self.dense.get(doc, -1.0) > statistics.median(others or [0.0])


def leg_scores(index: Any, embedder: CachedEmbedder, scope: AccessScope, text: str) -> LegScores:
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


# -- the measures of one floor pair --------------------------------------------------------------------


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


def _floor(value: float | None) -> str:
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
        print(f"{_floor(dense):>6} {_floor(sparse):>5}  {cells}  {words}{mark}")
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
    print(f"\nbefore: no floor; after: dense floor {_floor(floors[0])}, BM25 floor {_floor(floors[1])}")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragwarden.evaluation.relevance_floor", description=__doc__)
    parser.add_argument("--data-dir", help="a demo data dir to reuse (default: a fresh temporary one)")
    parser.add_argument("--dense", default=_floor(DENSE_FLOOR), help="the dense floor for 'after' (or none)")
    parser.add_argument("--sparse", default=_floor(SPARSE_FLOOR), help="the BM25 floor for 'after' (or none)")
    parser.add_argument("--no-grid", action="store_true", help="only the distributions, before and after")
    parser.add_argument("--max-hit-loss", type=float, default=0.02, help="hit@10 a pair may lose (default 0.02)")
    args = parser.parse_args(argv)
    floors = (_parse_floor(args.dense), _parse_floor(args.sparse))

    from ragwarden.acl.local_directory import LocalDirectory
    from ragwarden.evaluation.demo_corpus import demo_root, demo_settings, ingest_demo
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex
    from ragwarden.services import build_services

    with tempfile.TemporaryDirectory() as tmp:
        settings = demo_settings(args.data_dir or tmp, index_backend="edge")
        services = build_services(settings)
        try:
            ingest_demo(services)
            assert isinstance(services.directory, LocalDirectory)
            questions = load_questions(services) + load_keywords(services, demo_root() / "manifest.json")
            scopes = {u: services.directory.resolve(u) for u in {q.user for q in questions}}
            embedder = CachedEmbedder(services.embedder)
        finally:
            services.close()  # the index is reopened below with each floor pair

        def index_with(dense: float | None, sparse: float | None) -> QdrantEdgeIndex:
            plan = SearchPlan(dense_floor=dense, sparse_floor=sparse)
            return QdrantEdgeIndex(settings.index_path, settings.collection, plan=plan)

        def run(floors: Floors, reachable: dict[Question, bool]) -> Run:
            index = index_with(*floors)
            try:
                return measure(Retriever(index, embedder), scopes, questions, reachable)
            finally:
                index.close()

        index = index_with(None, None)
        try:
            answerable = [q for q in questions if q.kind == "answerable" and q.lang in LANGS]
            scores = {q: leg_scores(index, embedder, scopes[q.user], q.text) for q in answerable}
        finally:
            index.close()
        reachable = {q: s.reachable(q.doc or "") for q, s in scores.items()}
        print_distributions(distributions(scores))
        unreachable = [q for q, ok in reachable.items() if not ok]
        print(f"unreachable (neither leg tells the document from noise): {', '.join(q.id for q in unreachable) or '-'}")
        before = run((None, None), reachable)
        if not args.no_grid:
            grid = {(d, s): run((d, s), reachable) for d in DENSE_GRID for s in SPARSE_GRID}
            print_grid(grid, before, args.max_hit_loss)
            for label, fit in (
                ("qualifying", [pair for pair, r in grid.items() if qualifies(r, before, args.max_hit_loss)]),
                ("qualifying with margin", with_margin(grid, before, args.max_hit_loss)),
            ):
                best = max(fit, key=lambda pair: mean_precision(grid[pair]))
                print(
                    f"best {label} pair: dense {_floor(best[0])}, BM25 {_floor(best[1])} "
                    f"(mean precision@10 {mean_precision(grid[best]):.3f})"
                )
        print_before_after(before, run(floors, reachable), floors, scores)
    return 0


def _parse_floor(value: str) -> float | None:
    return None if value.strip().lower() in {"none", "off", ""} else float(value)


if __name__ == "__main__":
    raise SystemExit(main())
