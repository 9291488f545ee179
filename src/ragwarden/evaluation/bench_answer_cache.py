"""``ragwarden bench answer-cache``: how often a generated answer is reused on an FAQ stream, and what that
saves, with the answer cache on and off in the same run.

The stream is what a help desk sees: the questions of ``answer_questions.yaml`` (the demo corpus; answerable
ones, ones only another department may see, ones nothing answers) asked by people of every department
(``--users``: the demo's nine, and more in their groups, in turn), a few questions most of the time (Zipf-like
weights 1/rank), most asked as before, some respelled (case, spacing, no question mark: the same question to the
cache), some with a typo or paraphrased (another question to it). Each ask goes to two answerers built as the
composition root builds them (generative mode, the faithfulness guard), one with the cache and one without, in
alternating order; both run the choke point as the asking user. It prints, per model, the hit rate, answer
p50/p95 with and without the cache, and how many answers differ between the two, and of those how many were
served from the cache (a reused answer should read as a fresh one would; two fresh ones can differ when the
search does).

Models: ``scripted``, a stand-in with a fixed cost per token (``--prefill-ms``, ``--token-ms``: roughly a
7B model on a CPU) that answers with the first words of its first source, so the stream can be long; and
``embedded``, the shipped SmolLM2-135M, real but slow (several seconds per answer): keep its stream short.

    ragwarden bench answer-cache [--models scripted,embedded] [--asks 200] [--embedded-asks 24] [--users 50]
                                 [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragwarden.evaluation.bench_answers import load_questions
from ragwarden.evaluation.bench_throughput import grown_directory
from ragwarden.generation.answer_cache import answer_cache_for, normalised_question
from ragwarden.generation.llm import ChatMessage
from ragwarden.testing.fakes.chat import ScriptedChatModel

MODELS = ("scripted", "embedded")
# How an ask is worded: as before most of the time; respelled (the same question to the cache); a typo or a
# paraphrase (another question to it).
VARIANTS = (("verbatim", 0.70), ("respelled", 0.15), ("typo", 0.10), ("paraphrase", 0.05))
PREFIX = {"de": "Kurze Frage: ", "en": "Quick question: "}


@dataclass(frozen=True)
class Ask:
    user: str
    question: str
    variant: str


def worded(question: str, lang: str, variant: str, rng: random.Random) -> str:
    if variant == "respelled":
        return "  ".join(question.lower().rstrip("?").split())
    if variant == "typo":
        words = [(i, w) for i, w in enumerate(question.split()) if len(w) > 4 and w.isalpha()]
        if words:
            i, w = rng.choice(words)
            j = rng.randrange(1, len(w) - 2)
            parts = question.split()
            parts[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            return " ".join(parts)
    if variant == "paraphrase":
        return PREFIX[lang] + question[0].lower() + question[1:]
    return question


def faq_stream(count: int, users: Sequence[str], seed: int = 16) -> list[Ask]:
    """``count`` asks: a random one of ``users``, a question drawn with weight 1/rank, worded as
    :data:`VARIANTS` says."""
    rng = random.Random(seed)
    questions = load_questions()
    rng.shuffle(questions)
    weights = [1 / (rank + 1) for rank in range(len(questions))]
    names, shares = [v for v, _ in VARIANTS], [s for _, s in VARIANTS]
    asks = []
    for _ in range(count):
        q = rng.choices(questions, weights)[0]
        variant = rng.choices(names, shares)[0]
        asks.append(Ask(rng.choice(users), worded(q["question"], q["lang"], variant, rng), variant))
    return asks


class PacedModel(ScriptedChatModel):
    """A stand-in with a model's costs: ``prefill`` seconds before the first piece, ``per_token`` each; its
    answer is the first words of source [1], cited (so the faithfulness guard keeps it)."""

    def __init__(self, prefill: float, per_token: float) -> None:
        super().__init__(reply=self._first_sentence, window=8192)
        self.prefill, self.per_token = prefill, per_token

    @property
    def model_id(self) -> str:
        return "paced-scripted"

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float) -> Any:
        time.sleep(self.prefill)
        for piece in super().stream(messages, max_tokens=max_tokens, temperature=temperature):
            time.sleep(self.per_token)
            yield piece

    @staticmethod
    def _first_sentence(messages: Sequence[ChatMessage]) -> str:
        found = re.search(r"^\[1\] (.+)$", messages[-1].content, re.MULTILINE)
        words = re.findall(r"[\w.,%€-]+", found.group(1))[:24] if found else []
        return f"{' '.join(words).rstrip('.,')}. [1]" if words else ""


@dataclass
class Run:
    model: str
    asks: int = 0
    hits: int = 0
    differ: int = 0  # answers with and without the cache not the same text
    differ_on_hits: int = 0  # ... of which the one with the cache was served from it
    on_s: list[float] = field(default_factory=list)
    off_s: list[float] = field(default_factory=list)
    hit_s: list[float] = field(default_factory=list)  # the answers served from the cache
    hits_by_variant: dict[str, list[int]] = field(default_factory=dict)  # variant → [hits, asks]


def answerers(services: Any, model: Any) -> tuple[Any, Any]:
    """The composition root's answerer in generative mode, with the configured cache and without one."""
    from ragwarden.generation import Answerer
    from ragwarden.generation.extractive import Extractor

    settings = services.settings.model_copy(update={"answer_mode": "generative"})
    extractor = Extractor(services.embedder)

    def build(cache: Any) -> Any:
        return Answerer(services.retriever, model, settings, extractor=extractor, guard=True, cache=cache)

    return build(answer_cache_for(settings)), build(None)


def measure(services: Any, name: str, model: Any, stream: Sequence[Ask], say: Callable[[str], None] = print) -> Run:
    on, off = answerers(services, model)
    run = Run(name)
    for n, ask in enumerate(stream):
        scope = services.directory.resolve(ask.user)
        before = on.cache.hits
        timed = [(on, run.on_s), (off, run.off_s)]
        results = {}
        for answerer, seconds in timed if n % 2 == 0 else timed[::-1]:
            started = time.perf_counter()
            results[id(answerer)] = answerer.answer(scope, ask.question)
            seconds.append(time.perf_counter() - started)
        hit = on.cache.hits > before
        if hit:
            run.hit_s.append(run.on_s[-1])
        run.asks, run.hits = run.asks + 1, run.hits + hit
        differ = results[id(on)].answer != results[id(off)].answer
        run.differ, run.differ_on_hits = run.differ + differ, run.differ_on_hits + (differ and hit)
        tally = run.hits_by_variant.setdefault(ask.variant, [0, 0])
        tally[0], tally[1] = tally[0] + hit, tally[1] + 1
        if (n + 1) % 25 == 0:
            say(f"  {name}: {n + 1}/{len(stream)} asks, {run.hits} hits")
    return run


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * int(share * 100) // 100) - 1)] if ordered else float("nan")


def report(runs: Sequence[Run], stream_sizes: dict[str, int]) -> str:
    head = f"{'model':10} {'asks':>5} {'distinct':>8} {'hit rate':>8} {'p50 on':>9} {'p50 off':>9} {'p95 on':>9} "
    lines = [head + f"{'p95 off':>9} {'p50 off/on':>10} {'p50 of hits':>11} {'differ (on hits)':>16}"]
    for r in runs:
        p50_on, p50_off = statistics.median(r.on_s), statistics.median(r.off_s)
        differ = f"{r.differ} ({r.differ_on_hits})"
        hits_p50 = f"{statistics.median(r.hit_s) * 1000:.0f}ms" if r.hit_s else "-"
        lines.append(
            f"{r.model:10} {r.asks:>5} {stream_sizes[r.model]:>8} {r.hits / r.asks:>8.2f} {p50_on * 1000:>7.0f}ms "
            f"{p50_off * 1000:>7.0f}ms {percentile(r.on_s, 0.95) * 1000:>7.0f}ms "
            f"{percentile(r.off_s, 0.95) * 1000:>7.0f}ms {p50_off / p50_on:>10.1f} {hits_p50:>11} {differ:>16}"
        )
        by_variant = ", ".join(f"{v} {h}/{n}" for v, (h, n) in sorted(r.hits_by_variant.items()))
        lines.append(f"{'':10} hits by wording: {by_variant}")
    return "\n".join(lines)


def chat_model(name: str, services: Any, args: argparse.Namespace) -> Any:
    if name == "scripted":
        return PacedModel(args.prefill_ms / 1000, args.token_ms / 1000)
    from ragwarden.generation import build_chat_model

    return build_chat_model(services.settings)


def run(services: Any, args: argparse.Namespace, users: Sequence[str]) -> list[Run]:
    runs = []
    sizes: dict[str, int] = {}
    for name in args.models:
        stream = faq_stream(args.asks if name == "scripted" else args.embedded_asks, users, args.seed)
        sizes[name] = len({normalised_question(a.question) for a in stream})
        print(f"{name}: {len(stream)} asks, {sizes[name]} distinct questions ...", flush=True)
        runs.append(measure(services, name, chat_model(name, services, args), stream))
    print("\n" + report(runs, sizes))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench answer-cache", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", default="scripted,embedded", help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--asks", type=int, default=200, help="asks in the scripted model's stream")
    parser.add_argument("--embedded-asks", type=int, default=24, help="asks in the embedded model's stream")
    parser.add_argument("--prefill-ms", type=float, default=300.0, help="scripted: before the first token")
    parser.add_argument("--token-ms", type=float, default=30.0, help="scripted: per token")
    parser.add_argument("--users", type=int, default=50, help="askers, in the demo users' groups (at least 9)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--data-dir", help="a demo data dir to reuse (default: a fresh temporary one)")
    args = parser.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not args.models or any(m not in MODELS for m in args.models) or min(args.asks, args.embedded_asks) < 1:
        parser.error(f"--models takes {', '.join(MODELS)}; --asks and --embedded-asks at least 1")
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.services import build_services

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "directory.yaml"
        users = grown_directory(directory, args.users)
        settings = demo_settings(args.data_dir or tmp).model_copy(update={"directory_file": directory})
        services = build_services(settings)
        try:
            if not services.state.documents("demo"):
                ingest_demo(services)
            run(services, args, users)
        finally:
            services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
