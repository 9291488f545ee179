"""``ragwarden bench answers``: are the answers right, supported by their sources, and refused where
they must be? A bilingual question set over the demo corpus (``answer_questions.yaml``: per question
the demo user who asks, the reference fact(s) and the document holding them; questions only another
department may see, and questions nothing answers), asked through the real answering use case (the
retrieval choke point as that user) in each mode:

- ``extractive``: quotes of the sources (the embedded default, ``RAGWARDEN_ANSWER_MODE=auto``);
- ``generative``: today's generated answer, as it was before the guard (no repeat penalty, no guard);
- ``guarded``: generated with the repeat penalty and the faithfulness guard (fallback to quotes).

Per mode and language it prints fact recall (answerable questions whose facts all appear in the
answer), faithfulness (answer sentences a cited passage supports, checked as the guard checks),
correct refusals of forbidden and unanswerable questions, forbidden facts shown (0 tolerated),
citation precision (cited documents that are the expected one) and answer latency p50/p95.

    ragwarden bench answers [--modes extractive,generative,guarded] [--limit N] [--data-dir DIR]

Targets on the embedded default (extractive): fact recall >= 0.85 per language, faithfulness >= 0.95,
no forbidden fact shown, p95 <= 1 s. Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from ragwarden.generation.citations import strip_markers
from ragwarden.generation.faithfulness import supports

MODES = ("extractive", "generative", "guarded")
RECALL_TARGET, FAITHFUL_TARGET, P95_TARGET_S = 0.85, 0.95, 1.0
_QUOTES = "\u201e\u201c\u201d\"'"


def load_questions() -> list[dict[str, Any]]:
    text = resources.files("ragwarden.evaluation").joinpath("answer_questions.yaml").read_text(encoding="utf-8")
    questions: list[dict[str, Any]] = yaml.safe_load(text)
    return questions


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").replace("\u00a0", " ").lower().split())


def has_fact(answer: str, fact: str | list[str]) -> bool:
    alternatives = fact if isinstance(fact, list) else [fact]
    return any(_norm(a) in _norm(answer) for a in alternatives)


@dataclass
class Tally:
    answerable: int = 0
    recalled: int = 0
    sentences: int = 0
    supported: int = 0
    refusable: int = 0
    refused: int = 0
    leaked: list[str] = field(default_factory=list)
    cited: int = 0
    cited_right: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def row(self) -> dict[str, float]:
        def share(a: int, b: int) -> float:
            return a / b if b else float("nan")

        ordered = sorted(self.seconds)
        p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)] if ordered else float("nan")
        return {
            "fact recall": share(self.recalled, self.answerable),
            "faithfulness": share(self.supported, self.sentences),
            "correct refusals": share(self.refused, self.refusable),
            "citation precision": share(self.cited_right, self.cited),
            "p50 s": statistics.median(ordered) if ordered else float("nan"),
            "p95 s": p95,
        }


def answerer_for(services: Any, mode: str, model: Any) -> Any:
    """The answering use case as ``mode`` runs it (the composition root's, with the mode's settings)."""
    from ragwarden.generation import Answerer
    from ragwarden.generation.extractive import Extractor

    answer_mode = "extractive" if mode == "extractive" else "generative"
    settings = services.settings.model_copy(update={"answer_mode": answer_mode})
    if model is not None:
        model.repeat_penalty = settings.llm_repeat_penalty if mode == "guarded" else 1.0
    extractor = Extractor(services.embedder)
    return Answerer(services.retriever, model, settings, extractor=extractor, guard=mode == "guarded")


def score(services: Any, answerer: Any, question: dict[str, Any], tally: Tally) -> None:
    scope = services.directory.resolve(question["user"])
    started = time.perf_counter()
    result = answerer.answer(scope, question["question"])
    tally.seconds.append(time.perf_counter() - started)
    kind, facts = question["kind"], question.get("facts") or []
    if kind == "forbidden" and any(has_fact(result.answer, f) for f in facts):
        tally.leaked.append(question["id"])
    if kind != "answerable":
        tally.refusable += 1
        tally.refused += not result.found
        if result.found:
            tally.misses.append(f"{question['id']}: answered {result.answer[:100]!r}")
        return
    tally.answerable += 1
    if all(has_fact(result.answer, f) for f in facts):
        tally.recalled += 1
    else:
        tally.misses.append(f"{question['id']}: {result.answer[:120]!r}")
    if not result.found:
        return
    cited = [c for c in result.citations if c.cited] or list(result.citations)
    tally.cited += len(cited)
    tally.cited_right += sum(c.source_uri.endswith(question["doc"]) for c in cited)
    # the passages the answer was made from: what the choke point returned to this caller
    limit = answerer.settings.answer_retrieve_limit
    passages: dict[str, list[str]] = {}
    for hit in services.retriever.search(scope, question["question"], limit):
        passages.setdefault(hit.doc_id, []).append(hit.text)
    texts = [" ".join(passages.get(c.doc_id, [])) for c in cited]
    for sentence, _citation in result.sentences or [(s, None) for s in result.answer.splitlines() if s.strip()]:
        bare = strip_markers(sentence).strip(_QUOTES).strip()
        if not bare:
            continue
        tally.sentences += 1
        tally.supported += any(supports(bare, t) for t in texts)


def run(services: Any, modes: list[str], limit: int | None) -> dict[tuple[str, str], Tally]:
    questions = load_questions()
    model = None
    if any(m != "extractive" for m in modes):
        from ragwarden.generation import build_chat_model

        model = build_chat_model(services.settings)
    tallies: dict[tuple[str, str], Tally] = {}
    for mode in modes:
        answerer = answerer_for(services, mode, model)
        for lang in ("de", "en"):
            asked = [q for q in questions if q["lang"] == lang][: limit or None]
            tally = tallies.setdefault((mode, lang), Tally())
            print(f"{mode} / {lang}: {len(asked)} questions ...", flush=True)
            for question in asked:
                score(services, answerer, question, tally)
    return tallies


def report(tallies: dict[tuple[str, str], Tally]) -> bool:
    columns = ("fact recall", "faithfulness", "correct refusals", "citation precision", "p50 s", "p95 s")
    print(f"\n{'mode':11} {'lang':4} " + " ".join(f"{c:>18}" for c in columns) + f" {'forbidden shown':>16}")
    ok = True
    for (mode, lang), tally in tallies.items():
        row = tally.row()
        print(f"{mode:11} {lang:4} " + " ".join(f"{row[c]:>18.2f}" for c in columns) + f" {len(tally.leaked):>16}")
        ok = ok and not tally.leaked
        if mode == "extractive":
            ok = ok and row["fact recall"] >= RECALL_TARGET and row["faithfulness"] >= FAITHFUL_TARGET
            ok = ok and row["p95 s"] <= P95_TARGET_S
    measured = any(mode == "extractive" for mode, _lang in tallies)
    verdict = ("PASS" if ok else "FAIL") if measured else f"not measured (no extractive run){'' if ok else '; FAIL'}"
    print(
        f"\ntargets (extractive, the embedded default): fact recall >= {RECALL_TARGET} per language, "
        f"faithfulness >= {FAITHFUL_TARGET}, forbidden facts shown 0, p95 <= {P95_TARGET_S:g} s: {verdict}"
    )
    for (mode, lang), tally in tallies.items():
        if tally.misses:
            print(f"\n{mode} / {lang}: missed")
            for miss in tally.misses:
                print(f"  {miss}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench answers", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--limit", type=int, help="questions per language (default: all)")
    parser.add_argument("--data-dir", help="a demo data dir to reuse (default: a fresh temporary one)")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        parser.error(f"--modes takes {', '.join(MODES)}")
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.services import build_services

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(demo_settings(args.data_dir or tmp))
        try:
            if not services.state.documents("demo"):
                ingest_demo(services)
            tallies = run(services, modes, args.limit)
        finally:
            services.close()
    return 0 if report(tallies) else 1


if __name__ == "__main__":
    raise SystemExit(main())
