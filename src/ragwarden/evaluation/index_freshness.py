"""How soon one changed document is searchable in a large Qdrant Edge index, and what a fold costs.

On the ``ragwarden bench retrieval`` corpus of ``--points`` chunks (384-d, ACLs over 200 groups;
built once and cached under ``--data-dir``), in a scratch copy:

1. one document (10 chunks) is rewritten as the sync engine does it: its ``--chunks`` new chunks
   upserted (each carrying a word of its own), the surplus dropped with ``delete_chunks_from``, then
   ``settle``; seconds until an ACL- and ``where``-filtered search finds the new text, and whether a
   fold (an HNSW build) ran. Target: <= 5 s, no fold;
2. the document is re-stamped to a new group: seconds until that group finds it and the old one
   no longer does. Target: <= 5 s;
3. ACL-filtered top-10 search latency idle, while another thread writes ``--bulk`` chunks (with text,
   in the sync's batches of 256), and how long a search waits while that thread then settles: past the
   budget that is one fold, during which Edge holds the GIL. Then idle again, with the folded segment
   beside the big one (the big one is not rebuilt: one segment more).
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ragwarden.core.models import AccessControl, AccessScope, IndexedChunk, SearchFilter, SearchHit, chunk_id
from ragwarden.evaluation.bench_retrieval import _percentiles, vector_retriever
from ragwarden.evaluation.bench_retrieval_data import CHUNKS_PER_DOC, Dataset, cache_path, open_cached_edge
from ragwarden.retrieval.edge_index import QdrantEdgeIndex

DATA_DIR = Path.home() / ".cache" / "ragwarden-bench"
TARGET_S = 5.0
BATCH = 256  # the sync engine's write batch
SOURCE = "freshness-bench"
WORDS = "Urlaub Reisekosten Budget Vertrag Rechnung Projekt Freigabe vacation invoice project approval server".split()


def measure_one_change(
    points: int = 100_000,
    *,
    chunks: int = 5,
    bulk: int = 10_000,
    queries: int = 200,
    data_dir: Path = DATA_DIR,
    say: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """The figures above, as seconds (``*_s``), milliseconds (``*_ms``), counts and 0/1 flags."""
    say = say or (lambda _text: None)
    data = Dataset(dim=384, groups=200)
    data_dir.mkdir(parents=True, exist_ok=True)
    open_cached_edge(data, points, data_dir, say).close()
    scratch = data_dir / "freshness-scratch"  # the cached index stays as built
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(cache_path(data, points, data_dir), scratch)
    index = QdrantEdgeIndex(scratch)
    try:
        index.settle()  # opened from disk: the engine says whether anything waits (nothing, in the cache)
        result: dict[str, float] = {"points": float(index.count())}
        say(f"{int(result['points']):,} chunks; rewriting one document")
        result |= _one_change(index, data, chunks)
        result |= _restamp(index, data)
        say(f"search latency idle, then while {bulk:,} chunks are written and settled in another thread")
        result |= _latency(index, data, bulk, queries)
        return result
    finally:
        index.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _scope(group: str) -> AccessScope:
    return AccessScope(f"bench-{group}", frozenset({f"user:bench-{group}", group}))


def _vectors(count: int, seed: int) -> list[list[float]]:
    fresh = Dataset(dim=384, groups=200, seed=seed)  # other points than the corpus, same clusters' shape
    return [vector.tolist() for _start, batch in fresh.batches(count) for vector in batch]


def _until(check: Callable[[], bool], started: float, timeout: float = 60.0) -> float:
    """Seconds from ``started`` until ``check()`` holds (inf when it never does)."""
    while not check():
        if time.perf_counter() - started > timeout:
            return float("inf")
        time.sleep(0.001)
    return time.perf_counter() - started


def _finds(index: QdrantEdgeIndex, scope: AccessScope, dense: list[float], word: str, doc_id: str) -> bool:
    where = SearchFilter(sources=frozenset({SOURCE}))
    hits: list[SearchHit] = vector_retriever(index, "hybrid").search_vector(scope, dense, 10, query=word, where=where)
    return any(hit.doc_id == doc_id and word in hit.text for hit in hits)


def _one_change(index: QdrantEdgeIndex, data: Dataset, chunks: int) -> dict[str, float]:
    doc = 17
    doc_id, groups = f"doc-{doc}", data.doc_groups(doc)
    word = "Zaunkoenigbericht"
    acl = AccessControl(allow=frozenset(groups)).to_payload()
    new = []
    for i, vector in enumerate(_vectors(chunks, seed=31)):
        text = f"{word} Abschnitt {i}: {' '.join(WORDS[i : i + 6])}"
        payload = {"doc_id": doc_id, "chunk_index": i, "text": text, "source": SOURCE, **acl}
        new.append(IndexedChunk(chunk_id(doc_id, i), vector, text, payload))
    started = time.perf_counter()
    index.upsert(new)
    index.delete_chunks_from({doc_id: chunks})
    index.settle()
    written = time.perf_counter() - started
    searchable = _until(lambda: _finds(index, _scope(groups[0]), new[0].dense, word, doc_id), started)
    held = vector_retriever(index).document(_scope(groups[0]), doc_id)
    return {
        "change_write_s": written,
        "change_searchable_s": searchable,
        "change_folded": 0.0 if index.unfolded_points else 1.0,
        "change_chunks_before": float(CHUNKS_PER_DOC),
        "change_chunks_after": float(len(held)),
        "change_only_new_chunks": 1.0 if all(word in hit.text for hit in held) else 0.0,
    }


def _restamp(index: QdrantEdgeIndex, data: Dataset) -> dict[str, float]:
    doc_id, old_group = "doc-17", data.doc_groups(17)[0]
    word, dense = "Zaunkoenigbericht", _vectors(1, seed=31)[0]
    new_group = "group:freshness-moved"
    started = time.perf_counter()
    index.restamp_acl([doc_id], AccessControl(allow=frozenset({new_group})))
    visible = _until(
        lambda: (
            _finds(index, _scope(new_group), dense, word, doc_id)
            and not _finds(index, _scope(old_group), dense, word, doc_id)
        ),
        started,
    )
    return {"restamp_visible_s": visible}


def _timed_queries(
    index: QdrantEdgeIndex,
    queries: list[tuple[AccessScope, list[float]]],
    *,
    rounds: int = 0,
    until: Callable[[], bool] | None = None,
) -> list[float]:
    """Milliseconds per ACL-filtered dense top-10 search, cycling the queries ``rounds`` times or
    until ``until()`` holds (at least once: a small write may be over before the first search)."""
    out: list[float] = []
    retriever = vector_retriever(index)
    while not out or not (until() if until is not None else len(out) >= rounds):
        scope, vector = queries[len(out) % len(queries)]
        started = time.perf_counter()
        retriever.search_vector(scope, vector, 10)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _bulk(data: Dataset, first_doc: int, count: int) -> list[IndexedChunk]:
    out = []
    for n, vector in enumerate(_vectors(count, seed=41)):
        doc, i = divmod(n, CHUNKS_PER_DOC)
        doc_id = f"bulk-{first_doc + doc}"
        text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(8))
        acl = AccessControl(allow=frozenset(data.doc_groups(first_doc + doc))).to_payload()
        payload = {"doc_id": doc_id, "chunk_index": i, "text": text, "source": SOURCE, **acl}
        out.append(IndexedChunk(chunk_id(doc_id, i), vector, text, payload))
    return out


def _latency(index: QdrantEdgeIndex, data: Dataset, bulk: int, count: int) -> dict[str, float]:
    queries = data.queries(count, caller_groups=3)
    _timed_queries(index, queries, rounds=count)  # warm-up: the first touches page the graph in
    idle = _timed_queries(index, queries, rounds=2 * count)
    segments_before = index.segment_count
    chunks = _bulk(data, 1_000_000, bulk)
    timings: dict[str, float] = {}
    written, done = threading.Event(), threading.Event()

    def write() -> None:
        started = time.perf_counter()
        for i in range(0, len(chunks), BATCH):
            index.upsert(chunks[i : i + BATCH])
        timings["bulk_write_s"] = time.perf_counter() - started
        written.set()
        started = time.perf_counter()
        index.settle()
        timings["bulk_settle_s"] = time.perf_counter() - started
        done.set()

    writer = threading.Thread(target=write, name="bench-writer")
    writer.start()
    writing = _timed_queries(index, queries, until=written.is_set)
    settling = _timed_queries(index, queries, until=done.is_set)
    writer.join()
    after = _timed_queries(index, queries, rounds=2 * count)
    idle_p50, idle_p95 = _percentiles(idle)
    write_p50, write_p95 = _percentiles(writing)
    after_p50, after_p95 = _percentiles(after)
    return {
        "idle_p50_ms": idle_p50,
        "idle_p95_ms": idle_p95,
        "writing_p50_ms": write_p50,
        "writing_p95_ms": write_p95,
        "writing_p95_ratio": write_p95 / idle_p95,
        "writing_searches": float(len(writing)),
        # the fold holds the GIL: the search running when it starts (late writes or settle) waits it out
        "longest_search_ms": max(writing + settling),
        "bulk_points": float(bulk),
        **timings,
        "bulk_folded": 1.0 if index.unfolded_points == 0 else 0.0,
        "segments_before": float(segments_before),
        "segments_after": float(index.segment_count),
        "after_fold_p50_ms": after_p50,
        "after_fold_p95_ms": after_p95,
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ragwarden bench index-freshness", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--points", type=int, default=100_000, help="chunks in the index")
    p.add_argument("--chunks", type=int, default=5, help="chunks of the rewritten document (was 10)")
    p.add_argument("--bulk", type=int, default=10_000, help="chunks written beside the searches in (3)")
    p.add_argument("--queries", type=int, default=200, help="distinct queries per latency measurement")
    p.add_argument("--data-dir", type=Path, default=DATA_DIR)
    return p


def main(argv: list[str] | None = None) -> int:
    """Print the figures with their targets; exit status 1 when a target of (1) or (2) is missed."""
    args = _parser().parse_args(argv)
    say = lambda text: print(text, flush=True)  # noqa: E731
    r = measure_one_change(
        args.points, chunks=args.chunks, bulk=args.bulk, queries=args.queries, data_dir=args.data_dir, say=say
    )
    rewritten = r["change_chunks_after"] == args.chunks and r["change_only_new_chunks"]
    met = (
        rewritten
        and r["change_searchable_s"] <= TARGET_S
        and not r["change_folded"]
        and r["restamp_visible_s"] <= TARGET_S
    )
    say(
        f"(1) one document rewritten ({int(r['change_chunks_before'])} -> {args.chunks} chunks) in "
        f"{int(r['points']):,}: written + settled in {r['change_write_s']:.3f} s, found by a filtered search "
        f"after {r['change_searchable_s']:.3f} s, {'a fold ran' if r['change_folded'] else 'no fold, no HNSW build'}"
    )
    if not rewritten:
        say(
            f"    WRONG: the document holds {int(r['change_chunks_after'])} chunks, not just the {args.chunks} new ones"
        )
    say(f"(2) re-stamped: visible to the new group and gone for the old after {r['restamp_visible_s']:.3f} s")
    say(
        f"(3) top-10 search idle: p50 {r['idle_p50_ms']:.2f} ms, p95 {r['idle_p95_ms']:.2f} ms; while "
        f"{int(r['bulk_points']):,} chunks were written ({r['bulk_write_s']:.1f} s, batches of {BATCH}): "
        f"p50 {r['writing_p50_ms']:.2f} ms, p95 {r['writing_p95_ms']:.2f} ms ({r['writing_p95_ratio']:.1f}x idle) over "
        f"{int(r['writing_searches']):,} searches; then settle ({r['bulk_settle_s']:.1f} s, "
        f"{'one fold' if r['bulk_folded'] else 'no fold'}); the longest search took {r['longest_search_ms']:.0f} ms"
    )
    say(
        f"    segments {int(r['segments_before'])} -> {int(r['segments_after'])}; after the fold: "
        f"p50 {r['after_fold_p50_ms']:.2f} ms, p95 {r['after_fold_p95_ms']:.2f} ms"
    )
    say(f"targets (1) and (2) <= {TARGET_S:g} s without a fold: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
