"""Benchmark of the embedded LLM: load time, time to first token and tokens/s for a typical 5-chunk
answer prompt (the real prompt builder, 5 sources of ~150 tokens), medians and p95 over repeats.

    python -m ragwarden.evaluation.bench_answer [--loader llama-cpp|transformers|both] [--repeats 5]

Each repeat gets different sources and a different question, so only the fixed system prompt and
example can come from llama.cpp's prefix cache, as in production. Target: median time to first
token ≤ 3 s with SmolLM2-135M on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ragwarden.generation.llm import ChatModel, count_message_tokens
from ragwarden.generation.packing import Source
from ragwarden.generation.prompting import build_messages
from ragwarden.generation.settings import GenerationSettings, build_chat_model

Loader = Literal["llama-cpp", "transformers"]
TTFT_TARGET_S = 3.0
TOPICS = [
    ("Vacation policy", "vacation days", "Up to 5 vacation days can be carried over until 31 March."),
    ("Travel expenses", "train travel", "Train travel is reimbursed in second class."),
    ("IT security", "passwords", "Passwords must be changed every 90 days."),
    ("Canteen", "the canteen", "The canteen is open from 11:30 to 14:00 on working days."),
    ("Home office", "home office", "Employees may work from home up to three days per week."),
    ("Parking", "parking permits", "A parking permit costs 30 euros per month."),
    ("Onboarding", "onboarding", "New employees receive their laptop on the first working day."),
    ("Expenses", "expense claims", "Expense claims must be filed within 30 days with receipts."),
]
FILLER = (
    "This section of the {title} applies to all employees of the company, including part-time staff "
    "and apprentices, unless a works agreement says otherwise. Questions about {topic} go to the "
    "responsible department; exceptions need written approval by the line manager and are recorded "
    "in the personnel file. The rules were last reviewed by the works council in {year} and remain "
    "valid until they are replaced. {fact} Further details on {topic} are given in the annex, "
    "together with the forms and the contact persons of each site."
)


@dataclass
class LoaderReport:
    loader: str
    model_id: str
    load_s: float
    prompt_tokens: list[int] = field(default_factory=list)
    ttft_s: list[float] = field(default_factory=list)
    ttft_cpu_s: list[float] = field(default_factory=list)  # CPU seconds (all threads) to the first token
    decode_tps: list[float] = field(default_factory=list)
    total_tps: list[float] = field(default_factory=list)
    generated_tokens: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "loader": self.loader,
            "model": self.model_id,
            "load_s": round(self.load_s, 3),
            "prompt_tokens_median": _median(self.prompt_tokens),
            "ttft_s_median": _median(self.ttft_s),
            "ttft_s_p95": _p95(self.ttft_s),
            "ttft_cpu_s_median": _median(self.ttft_cpu_s),
            "decode_tokens_per_s_median": _median(self.decode_tps),
            "end_to_end_tokens_per_s_median": _median(self.total_tps),
            "generated_tokens_median": _median(self.generated_tokens),
            "ttft_target_met": bool(self.ttft_s) and statistics.median(self.ttft_s) <= TTFT_TARGET_S,
        }


def _median(values: Sequence[float]) -> float:
    return round(float(statistics.median(values)), 3) if values else 0.0


def _p95(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(float(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]), 3)


def typical_prompt(repeat: int) -> tuple[str, list[Source]]:
    """Five sources (rotating over the topics, so every repeat's sources differ) and a question."""
    picked = [TOPICS[(repeat + i) % len(TOPICS)] for i in range(5)]
    sources = [
        Source(
            number=i, doc_id=f"doc-{repeat}-{i}", title=title, source_uri=f"file:///corpus/{title}.md",
            text=FILLER.format(title=title, topic=topic, fact=fact, year=2015 + repeat % 10),
            score=1.0 / (60 + i), chunk_indexes=(0,), point_ids=(f"p{repeat}-{i}",),
        )
        for i, (title, topic, fact) in enumerate(picked, start=1)
    ]
    return f"What are the rules for {picked[0][1]}?", sources


def measure(model: ChatModel, loader: str, load_s: float, repeats: int, max_tokens: int) -> LoaderReport:
    report = LoaderReport(loader=loader, model_id=model.model_id, load_s=load_s)
    for repeat in range(repeats + 1):  # the first run warms up (allocations, caches) and is not counted
        question, sources = typical_prompt(repeat)
        messages = build_messages(question, sources, "en")
        started, cpu_started = time.perf_counter(), time.process_time()
        first: float | None = None
        cpu_first = 0.0
        pieces: list[str] = []
        for piece in model.stream(messages, max_tokens=max_tokens, temperature=0.0):
            if first is None:
                first, cpu_first = time.perf_counter(), time.process_time()
            pieces.append(piece)
        ended = time.perf_counter()
        if repeat == 0 or first is None:
            continue
        generated = model.count_tokens("".join(pieces))
        report.prompt_tokens.append(count_message_tokens(model, messages))
        report.ttft_s.append(first - started)
        report.ttft_cpu_s.append(cpu_first - cpu_started)
        report.generated_tokens.append(generated)
        report.total_tps.append(generated / (ended - started))
        if generated > 1 and ended > first:
            report.decode_tps.append((generated - 1) / (ended - first))
    return report


def run_loader(loader: Loader, args: argparse.Namespace) -> LoaderReport:
    settings = GenerationSettings(llm_loader=loader, llm_model_path=args.model, llm_threads=args.threads)
    started = time.perf_counter()
    model = build_chat_model(settings)
    load = getattr(model, "load", None)
    if callable(load):
        load()  # measured apart from the first answer
    return measure(model, loader, time.perf_counter() - started, args.repeats, args.max_tokens)


def _print_table(summaries: list[dict[str, Any]]) -> None:
    print(f"embedded LLM, 5-source prompt, {summaries[0]['prompt_tokens_median']:.0f} prompt tokens "
          f"(target: median time to first token ≤ {TTFT_TARGET_S:g} s)")
    header = (f"{'loader':<13}{'load s':>8}{'TTFT med':>10}{'TTFT p95':>10}{'TTFT cpu s':>12}"
              f"{'decode tok/s':>14}{'e2e tok/s':>11}")
    print(header)
    for s in summaries:
        print(f"{s['loader']:<13}{s['load_s']:>8.2f}{s['ttft_s_median']:>10.3f}{s['ttft_s_p95']:>10.3f}"
              f"{s['ttft_cpu_s_median']:>12.3f}"
              f"{s['decode_tokens_per_s_median']:>14.1f}{s['end_to_end_tokens_per_s_median']:>11.1f}"
              f"  {'PASS' if s['ttft_target_met'] else 'FAIL'}")
    if len(summaries) == 2 and summaries[1]["decode_tokens_per_s_median"]:
        ratio = summaries[0]["decode_tokens_per_s_median"] / summaries[1]["decode_tokens_per_s_median"]
        print(f"{summaries[0]['loader']} decodes {ratio:.1f}× as fast as {summaries[1]['loader']}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work slows every figure)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ragwarden bench answer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--loader", choices=["llama-cpp", "transformers", "both"], default="llama-cpp")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (the target machine has 2)")
    parser.add_argument("--model", default=None, help="a GGUF file (default: the shipped SmolLM2-135M)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when the TTFT target is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loaders: list[Loader] = ["llama-cpp", "transformers"] if args.loader == "both" else [args.loader]
    summaries = [run_loader(loader, args).summary() for loader in loaders]
    if args.json:
        print(json.dumps({"answer_benchmark": summaries, "repeats": args.repeats,
                          "max_tokens": args.max_tokens, "threads": args.threads}, indent=2))
    else:
        _print_table(summaries)
    missed = not summaries[0]["ttft_target_met"]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

