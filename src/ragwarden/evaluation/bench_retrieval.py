"""``ragwarden bench retrieval``: ACL-filtered search latency and recall, adapter comparison, re-stamp time.

(a) top-10 dense search over ``--points`` chunks (384-d clustered vectors; each document of 10 chunks
    is readable by 1–3 of ``--groups`` groups; the caller is in 3 groups), p50/p95 and recall@10 against
    exact filtered search, through :class:`QdrantEdgeIndex` (the filter inside the search);
(b) at ``--compare-points``, the same data and queries through Qdrant Edge and through qdrant-client's
    local mode (what PrivateGPT-style stacks embed), side by side;
(c) an ACL-only re-stamp of ``--restamp`` chunks (documents of 10 chunks), one document per call.

Indexes are cached under ``--data-dir``: the first run builds them (1M points: load, then one HNSW
build), later runs only query. The synthetic corpus and its cached index live in
:mod:`ragwarden.evaluation.bench_retrieval_data`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.core.models import AccessControl, AccessScope
from ragwarden.evaluation.bench_retrieval_data import CHUNKS_PER_DOC, Dataset, cache_path, open_cached_edge
from ragwarden.evaluation.percentiles import median_p95 as _percentiles
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.retriever import Retriever

Queries = list[tuple[AccessScope, list[float]]]
Say = Callable[[str], None]


@dataclass(frozen=True)
class SearchResult:
    p50_ms: float
    p95_ms: float
    recall: float | None


def visible_share(data: Dataset, queries: list[tuple[AccessScope, list[float]]], sample: int = 2000) -> float:
    """Share of documents a caller may read, averaged over the queries (from a sample of documents)."""
    docs = [set(data.doc_groups(d)) for d in range(sample)]
    seen = sum(sum(1 for groups in docs if groups & scope.tokens) for scope, _ in queries)
    return seen / (sample * len(queries))


class Prembedded:
    """The benchmarks' queries arrive as vectors: an embedder that is never asked to embed."""

    model_id = "bench/precomputed-vectors"

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def embed_batch(self, texts: Any) -> list[list[float]]:
        raise AssertionError("benchmark queries are vectors already")


def vector_retriever(index: Any, mode: Any = "dense") -> Retriever:
    """The choke point over ``index`` for queries given as vectors (:meth:`Retriever.search_vector`)."""
    return Retriever(index, Prembedded(), mode=mode)


def measure_search(index: Any, queries: list[tuple[AccessScope, list[float]]], recall: bool) -> SearchResult:
    """Latency of the ACL-filtered top-10 search through the retriever (scope check and re-check
    included); recall@10 against exact filtered search (run apart, so the brute-force passes do not
    disturb the timed ones)."""
    retriever = vector_retriever(index)
    for scope, vector in queries:  # a warm-up pass: the first touches page the graph and vectors in
        retriever.search_vector(scope, vector, 10)
    times, found = [], []
    for scope, vector in queries:
        started = time.perf_counter()
        hits = retriever.search_vector(scope, vector, 10)
        times.append((time.perf_counter() - started) * 1000)
        found.append({h.point_id for h in hits})
    score = None
    if recall:
        total = 0.0
        for (scope, vector), got in zip(queries, found, strict=True):
            truth = {h.point_id for h in retriever.search_vector(scope, vector, 10, exact=True)}
            total += len(truth & got) / max(1, len(truth))
        score = total / len(queries)
    p50, p95 = _percentiles(times)
    return SearchResult(p50, p95, score)


def measure_restamp(index: QdrantEdgeIndex, data: Dataset, chunks: int) -> tuple[float, float]:
    """Seconds to re-stamp ``chunks`` chunks (documents of 10): all to one new ACL in one call (a
    folder's permissions changed), then each document back to its own ACL, one call per document.

    Qdrant copies an updated point out of its indexed segment on the first write (vectors are moved,
    not recomputed), so the first pass is the dearer one.
    """
    docs = [f"doc-{d}" for d in range(chunks // CHUNKS_PER_DOC)]
    originals = [AccessControl(allow=frozenset(data.doc_groups(d))) for d in range(len(docs))]
    started = time.perf_counter()
    index.restamp_acl(docs, AccessControl(allow=frozenset({"group:moved"})))
    grouped = time.perf_counter() - started
    started = time.perf_counter()
    for doc, acl in zip(docs, originals, strict=True):
        index.restamp_acl([doc], acl)
    return grouped, time.perf_counter() - started


def _client_local(data: Dataset, n: int) -> Any:
    from qdrant_client import QdrantClient

    from ragwarden.retrieval.qdrant_index import QdrantServerIndex

    index = QdrantServerIndex(QdrantClient(":memory:"))
    index.ensure_collection(data.dim)
    for chunks in data.chunks(n):
        index.upsert(chunks)
    return index


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ragwarden bench retrieval", description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, default=1_000_000, help="chunks in the large index (a)")
    p.add_argument("--compare-points", type=int, default=100_000, help="chunks for the comparison (b)")
    p.add_argument("--queries", type=int, default=200, help="queries per measurement")
    p.add_argument(
        "--compare-queries",
        type=int,
        default=20,
        help="queries for qdrant-client local mode in (b) (it needs seconds per query)",
    )
    p.add_argument("--groups", type=int, default=200, help="number of groups ACLs draw from")
    p.add_argument("--caller-groups", type=int, default=3)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--restamp", type=int, default=100_000, help="chunks to re-stamp (c); 0 skips")
    p.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "ragwarden-bench")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: a,b,c")
    return p


def _line(name: str, r: SearchResult) -> str:
    recall = f"   recall@10 {r.recall:.3f}" if r.recall is not None else ""
    return f"    {name:<26} p50 {r.p50_ms:8.2f} ms   p95 {r.p95_ms:8.2f} ms{recall}"



def _figure_a(args: argparse.Namespace, data: Dataset, queries: Queries, share: float, say: Say) -> None:
    """(a): ACL-filtered top-10 over the large index, and a broad caller (the HNSW path)."""
    index = open_cached_edge(data, args.points, args.data_dir, say)
    say(
        f"(a) ACL-filtered top-10 over {index.count():,} chunks, {args.dim}-d, {args.groups} groups, "
        f"caller in {args.caller_groups} groups (sees {share:.1%}), {len(queries)} queries"
    )
    result = measure_search(index, queries, recall=True)
    verdict = "met" if result.p95_ms <= 10 and (result.recall or 0) >= 0.98 else "MISSED"
    say(_line("qdrant-edge", result) + f"   [target p95 ≤ 10 ms, recall ≥ 0.98: {verdict}]")
    broad = data.queries(max(20, args.queries // 4), args.groups // 2, seed=5)
    say(f"    broad caller (in {args.groups // 2} groups, sees {visible_share(data, broad):.0%}): the HNSW path")
    say(_line("qdrant-edge", measure_search(index, broad, recall=True)))
    index.close()


def _figure_b(args: argparse.Namespace, data: Dataset, queries: Queries, share: float, say: Say) -> None:
    """(b): the same data and queries through Qdrant Edge and through qdrant-client's local mode."""
    n, few = args.compare_points, queries[: args.compare_queries]
    say(f"(b) {n:,} chunks, same data and {len(few)} queries (caller sees {share:.1%})")
    edge = open_cached_edge(data, n, args.data_dir, say)
    edge_result = measure_search(edge, few, recall=False)
    edge.close()
    say(_line("qdrant-edge (embedded)", edge_result))
    started = time.perf_counter()
    local = _client_local(data, n)
    say(f"    (qdrant-client local mode loaded in {time.perf_counter() - started:.0f} s)")
    local_result = measure_search(local, few, recall=False)
    local.close()
    say(_line("qdrant-client local mode", local_result))
    say(
        f"    ratio local/edge: p50 {local_result.p50_ms / edge_result.p50_ms:,.0f}x, "
        f"p95 {local_result.p95_ms / edge_result.p95_ms:,.0f}x"
    )


def _figure_c(args: argparse.Namespace, data: Dataset, say: Say) -> None:
    """(c): an ACL-only re-stamp, timed on a scratch copy of the cached index."""
    open_cached_edge(data, args.restamp, args.data_dir, say).close()
    scratch = args.data_dir / "restamp-scratch"  # the cached index stays as built
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(cache_path(data, args.restamp, args.data_dir), scratch)
    edge = QdrantEdgeIndex(scratch)
    docs = args.restamp // CHUNKS_PER_DOC
    grouped, per_document = measure_restamp(edge, data, args.restamp)
    edge.close()
    shutil.rmtree(scratch)
    verdict = "met" if max(grouped, per_document) <= 5 else "MISSED"
    say(
        f"(c) ACL-only re-stamp of {docs * CHUNKS_PER_DOC:,} chunks ({docs:,} documents × {CHUNKS_PER_DOC}), "
        "payload only, no re-embedding"
    )
    say(
        f"    one new ACL for all, one call: {grouped:.2f} s;   a new ACL per document, "
        f"{docs:,} calls: {per_document:.2f} s   [target ≤ 5 s: {verdict}]"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    data = Dataset(dim=args.dim, groups=args.groups)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    say = lambda text: print(text, flush=True)  # noqa: E731
    say(f"ragwarden bench retrieval: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    queries = data.queries(args.queries, args.caller_groups)
    share = visible_share(data, queries)
    if "a" not in skip:
        _figure_a(args, data, queries, share, say)
    if "b" not in skip:
        _figure_b(args, data, queries, share, say)
    if "c" not in skip and args.restamp > 0:
        _figure_c(args, data, say)
    return 0
