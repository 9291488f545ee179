"""``ragwarden bench scale``: the embedded index toward ten million chunks on one machine.

For each of ``--sizes``, a Qdrant Edge index through the product's adapter
(:class:`~ragwarden.retrieval.edge_index.QdrantEdgeIndex`) with scalar int8 quantization (the int8 copy in
RAM, rescored on the originals) and the original vectors and HNSW graph on disk, built from the
company-shaped corpus of :mod:`ragwarden.evaluation.bench_scale_data`. Per size: build time, peak RSS of
the build and of the serving process, disk size, ACL-filtered top-10 p50/p95 through the Retriever (the
choke point, re-check included) for narrow, medium and broad callers, and recall@10 against the exact
filtered top-10 that numpy computes over each caller's visible set, beside the same search under the caller's
whole filter as the engine plans it (the filter not cut by token, see
:mod:`~ragwarden.retrieval.token_census`). Then how build time and cost per query
grow with size, extrapolated to 10M from the two largest sizes. Last, the same corpus and callers at a
small size through the qdrant-client adapter in local mode, beside the collection settings (quantization,
shards, on-disk) that adapter sends to a real server: local mode ignores them and scans in Python, so its
latency says nothing about a server, only that the adapter's requests and filter answer the same.

Indexes (and each size's ground truth) are cached under ``--data-dir``: later runs only query.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ragwarden.evaluation.bench_retrieval import vector_retriever
from ragwarden.evaluation.bench_scale_data import (
    Company,
    Say,
    anon_rss,
    disk_bytes,
    exact_top10,
    open_cached_scale,
    peak_rss,
    reset_peak_rss,
    scale_path,
)
from ragwarden.evaluation.percentiles import median_p95 as _percentiles
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.index_tuning import EdgeTuning, ServerTuning

CLASSES = (("narrow", 0.0, 0.05), ("medium", 0.05, 0.15), ("broad", 0.15, 1.01))  # share of the corpus seen
GIB = 2**30
TARGET_P95_MS, TARGET_RECALL, TARGET_RAM = 20.0, 0.95, 8 * GIB


@dataclass(frozen=True)
class ClassResult:
    name: str
    share: float  # mean share of the corpus the class's callers may read
    p50_ms: float
    p95_ms: float
    recall: float
    cpu_ms: float  # CPU time of the process per query (all threads): the cost, whatever else runs


def pick_callers(company: Company, per_class: int) -> dict[str, list[int]]:
    """The first ``per_class`` callers of each visibility class (callers are numbered deterministically)."""
    picked: dict[str, list[int]] = {name: [] for name, _, _ in CLASSES}
    for number in range(50_000):
        share = company.visible_share(number, 5000)
        name = next(n for n, low, high in CLASSES if low <= share < high)
        if len(picked[name]) < per_class:
            picked[name].append(number)
        if all(len(v) == per_class for v in picked.values()):
            break
    return picked


def ground_truth(company: Company, n: int, callers: list[int], cache: Path | None) -> list[list[str]]:
    """Exact filtered top-10 per caller, kept beside the index once computed (it reads every vector)."""
    record = cache / f"TRUTH-{len(callers)}.json" if cache is not None else None
    if record is not None and record.exists():
        stored = json.loads(record.read_text())
        if stored["callers"] == callers:
            return [list(ids) for ids in stored["top10"]]
    truth = exact_top10(company, n, callers)
    if record is not None:
        record.write_text(json.dumps({"callers": callers, "top10": truth}) + "\n")
    return truth


def measure(index: Any, company: Company, callers: dict[str, list[int]], truth: dict[int, list[str]]) -> list[Any]:
    """Per class: p50/p95 of the filtered top-10 through the Retriever (after one warm-up pass, which
    pages the graph and vectors in) and recall@10 against ``truth``."""
    retriever = vector_retriever(index)
    out = []
    for name, numbers in callers.items():
        asks = [(company.scope(c), company.query_vector(c).tolist()) for c in numbers]
        for scope, vector in asks:
            retriever.search_vector(scope, vector, 10)
        times, found, cpu = [], [], time.process_time()
        for scope, vector in asks:
            started = time.perf_counter()
            found.append({h.point_id for h in retriever.search_vector(scope, vector, 10)})
            times.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu) * 1000 / len(asks)
        recall = sum(len(set(truth[c]) & got) / max(1, len(truth[c])) for c, got in zip(numbers, found, strict=True))
        share = statistics.mean(company.visible_share(c, 5000) for c in numbers)
        out.append(ClassResult(name, share, *_percentiles(times), recall / len(numbers), cpu_ms))
    return out


@dataclass(frozen=True)
class SizeResult:
    points: int
    build: dict[str, Any]
    disk: int
    serve_rss: int
    serve_anon: int
    classes: list[ClassResult]
    unsplit: list[ClassResult]  # one search under the caller's whole filter, as the engine plans it

    @property
    def worst_p95(self) -> float:
        return max(c.p95_ms for c in self.classes)

    @property
    def mean_cpu(self) -> float:
        return statistics.mean(c.cpu_ms for c in self.classes)

    @property
    def min_recall(self) -> float:
        return min(c.recall for c in self.classes)


def run_size(args: argparse.Namespace, company: Company, n: int, callers: dict[str, list[int]], say: Say) -> Any:
    tuning = serving_tuning(args)
    build = open_cached_scale(company, n, tuning, args.data_dir, say)
    path = scale_path(company, n, tuning, args.data_dir)
    everyone = [c for numbers in callers.values() for c in numbers]
    truth = dict(zip(everyone, ground_truth(company, n, everyone, path), strict=True))
    reset_peak_rss()
    measured, heap = [], 0
    unsplit = replace(tuning, split_filters=False)
    for searched in (tuning, unsplit):  # the product's search, then one filter as the engine plans it beside it
        index = QdrantEdgeIndex(path, tuning=searched)
        try:
            measured.append(measure(index, company, callers, truth))
            heap = max(heap, anon_rss())
        finally:
            index.close()
    return SizeResult(n, build, disk_bytes(path), peak_rss(), heap, *measured)


def serving_tuning(args: argparse.Namespace) -> EdgeTuning:
    """What ``RAGWARDEN_INDEX_QUANTIZATION=int8`` and ``RAGWARDEN_INDEX_ON_DISK`` build (int8 with rescoring of
    twice the candidates, on disk unless ``--in-ram``) and search (the filter cut by token), with ACORN for the
    filtered graph searches as selective as ``--acorn-max-selectivity`` if given."""
    acorn = args.acorn_max_selectivity
    return EdgeTuning(quantization="int8", on_disk=not args.in_ram, acorn_max_selectivity=acorn, oversampling=2.0)


def _gib(value: float) -> str:
    return f"{value / GIB:.2f} GiB"


def _cpu(build: dict[str, Any]) -> str:
    return f", {build['build_cpu_s']:.0f} s CPU" if "build_cpu_s" in build else ""  # older records lack it


def report_size(result: SizeResult, say: Say) -> None:
    b = result.build
    say(
        f"  {result.points:>11,} points: built in {b['build_s']:.0f} s (load {b['load_s']:.0f} s{_cpu(b)}), disk "
        f"{_gib(result.disk)}; peak RSS building {_gib(b['peak_rss_bytes'])}, serving {_gib(result.serve_rss)} "
        f"(of which not file-backed: {_gib(result.serve_anon)})"
    )
    for c, plain in zip(result.classes, result.unsplit, strict=True):
        say(
            f"    {c.name:<7} callers (see {c.share:5.1%})  p50 {c.p50_ms:7.2f} ms   p95 {c.p95_ms:7.2f} ms   "
            f"recall@10 {c.recall:.3f}   CPU {c.cpu_ms:6.2f} ms/query   [one filter: p95 {plain.p95_ms:6.2f} ms, "
            f"recall {plain.recall:.3f}, CPU {plain.cpu_ms:6.2f} ms]"
        )


def _exponent(small: float, large: float, n_small: int, n_large: int) -> float:
    return math.log(max(large, 1e-9) / max(small, 1e-9)) / math.log(n_large / n_small)


def report_growth(results: list[SizeResult], target: int, say: Say) -> None:
    """The curve (each size against the first) and a power law through the two largest, to ``target``."""
    say("how cost grows (ratio to the smallest size; exponent k in cost ∝ size^k):")
    first = results[0]
    for r in results:
        say(
            f"  {r.points:>11,}  build {r.build['build_s'] / first.build['build_s']:6.1f}x   "
            f"CPU/query {r.mean_cpu / first.mean_cpu:5.2f}x   worst p95 {r.worst_p95 / first.worst_p95:5.2f}x   "
            f"disk {r.disk / first.disk:6.1f}x"
        )
    if len(results) < 2:
        return
    a, b = results[-2], results[-1]
    scale = target / b.points
    say(f"extrapolated to {target:,} points from {a.points:,} and {b.points:,} (CPU time: latency and wall-clock")
    say("  build time follow the machine's load, not the size):")
    figures = {"CPU/query": (a.mean_cpu, b.mean_cpu, "ms")}
    if "build_cpu_s" in a.build and "build_cpu_s" in b.build:
        figures["build CPU"] = (a.build["build_cpu_s"], b.build["build_cpu_s"], "s")
    else:
        say("  (no build CPU time recorded for these indexes, built before it was)")
    figures["serving RSS"] = (a.serve_rss / GIB, b.serve_rss / GIB, "GiB")
    figures["disk"] = (a.disk / GIB, b.disk / GIB, "GiB")
    for name, (small, large, unit) in figures.items():
        k = _exponent(small, large, a.points, b.points)
        say(f"  {name:<12} k = {k:4.2f}  →  {large * scale**k:,.1f} {unit}")


def report_targets(largest: SizeResult, say: Say) -> None:
    ram = max(largest.serve_rss, int(largest.build["peak_rss_bytes"]))
    checks = [
        (f"filtered p95 {largest.worst_p95:.1f} ms ≤ {TARGET_P95_MS:.0f} ms", largest.worst_p95 <= TARGET_P95_MS),
        (f"recall@10 {largest.min_recall:.3f} ≥ {TARGET_RECALL}", largest.min_recall >= TARGET_RECALL),
        (f"RAM {_gib(ram)} ≤ {_gib(TARGET_RAM)}", ram <= TARGET_RAM),
    ]
    say(f"targets at {largest.points:,} points: " + "; ".join(f"{t}: {'met' if ok else 'MISSED'}" for t, ok in checks))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ragwarden bench scale", description=(__doc__ or "").split("\n")[0])
    p.add_argument("--sizes", default="100000,1000000", help="comma-separated index sizes in chunks")
    p.add_argument("--queries", type=int, default=100, help="callers (one query each) per visibility class")
    p.add_argument("--groups", type=int, default=3000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--in-ram", action="store_true", help="keep the original vectors and graph in RAM")
    p.add_argument(
        "--acorn-max-selectivity", type=float, default=None, help="ACORN for filters leaving at most this share"
    )
    p.add_argument("--client-points", type=int, default=20_000, help="size for the qdrant-client adapter; 0 skips")
    p.add_argument("--client-queries", type=int, default=10, help="callers per class for qdrant-client local mode")
    p.add_argument("--shards", type=int, default=2, help="shard_number the qdrant-client adapter asks a server for")
    p.add_argument("--extrapolate", type=int, default=10_000_000)
    p.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "ragwarden-bench")
    return p


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 1000:
        raise SystemExit(f"ragwarden bench scale: --sizes wants sizes of at least 1000 chunks, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    from ragwarden.evaluation import bench_scale_client

    args = _parser().parse_args(argv)
    sizes = _sizes(args.sizes)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    say: Say = lambda text: print(text, flush=True)  # noqa: E731
    company = Company(groups=args.groups, dim=args.dim)
    acorn = f"up to selectivity {args.acorn_max_selectivity}" if args.acorn_max_selectivity is not None else "off"
    say(
        f"ragwarden bench scale: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"{args.groups} groups, callers in 5-50, int8 quantization + rescoring (oversampling 2), "
        f"filters cut by token, ACORN {acorn}, "
        f"vectors and graph {'in RAM' if args.in_ram else 'on disk'}, ACL payload indexes in RAM"
    )
    callers = pick_callers(company, args.queries)
    results = []
    for n in sizes:
        results.append(run_size(args, company, n, callers, say))
        report_size(results[-1], say)
    report_growth(results, args.extrapolate, say)
    report_targets(results[-1], say)
    if args.client_points > 0:
        few = {name: numbers[: args.client_queries] for name, numbers in callers.items()}
        tuning = ServerTuning(quantization="int8", shard_number=args.shards, on_disk=not args.in_ram)
        bench_scale_client.compare(args, company, few, tuning, say)
    return 0
