"""The product path in ``ragwarden bench ingest``: what ``ragwarden ingest FOLDER`` does, timed.

Each run starts from a fresh data directory and goes through the real composition root (``build_services``),
the real ``SourcePasses`` → ``SyncEngine`` (ACL admission against the directory, the sync state, the crash-safe
writes) into the real Qdrant Edge index, with ``RAGWARDEN_PARSE_WORKERS`` set to each count asked for. Unlike
the bench's own pipeline, it writes the index too. The model is loaded once, before the clock, as the baseline's
is; the parse workers are started and warmed before the clock too (a process starts them once and keeps them
for every later pass), and how long that start took is reported beside the runs.

The summary and report of all three sides (the bench's pipeline, llama-index, the product path) are here too.

Synthetic documents are written as ``.txt`` files into a temporary folder readable by everyone (a root
``.acl.json``); the demo corpus is ingested where it lies, with its own permission sidecars and directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragwarden.core.ports import Embedder

if TYPE_CHECKING:
    from ragwarden.evaluation.bench_ingest import Run

Doc = tuple[str, bytes]
DEMO_DIRECTORY = Path(__file__).resolve().parent.parent / "demo" / "directory.yaml"


@contextlib.contextmanager
def corpus_folder(docs: Sequence[Doc], folder: Path | None) -> Iterator[Path]:
    """``folder`` itself when the corpus came from one (its ACL sidecars apply), else the documents written to
    a temporary folder that everyone may read."""
    if folder is not None:
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="ragwarden-bench-corpus-") as tmp:
        root = Path(tmp)
        (root / ".acl.json").write_text('{"allow": ["everyone"]}\n')
        for name, data in docs:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        yield root


class ProductPath:
    """``ragwarden ingest`` of one folder, each run into a fresh data directory."""

    def __init__(self, embedder: Embedder, directory: Path = DEMO_DIRECTORY) -> None:
        self.embedder, self.directory = embedder, directory
        self.pool_start: dict[int, float] = {}  # workers → seconds their first start took

    def run(self, folder: Path, workers: int) -> tuple[int, float]:
        """Chunks written and seconds taken by one content pass of ``folder``."""
        from ragwarden.core.settings import Settings
        from ragwarden.services import build_services
        from ragwarden.services.sources import SourcePasses, spec_for_location

        with tempfile.TemporaryDirectory(prefix="ragwarden-bench-ingest-") as data_dir:
            settings = Settings(data_dir=Path(data_dir), directory_file=self.directory, parse_workers=workers)
            services = build_services(settings, embedder=self.embedder)
            try:
                self._warm(services, workers)
                start = time.perf_counter()
                spec = spec_for_location(services, str(folder), "bench")
                services.state.sources.declare(spec, origin="ingest")
                report = SourcePasses(services).run(spec, "content", lambda items: items)
                seconds = time.perf_counter() - start
            finally:
                services.close()
        return report.chunks_written, seconds

    def _warm(self, services: Any, workers: int) -> None:
        pool = services.parse_pool()
        if pool is None or workers in self.pool_start:
            return
        start = time.perf_counter()
        if not pool.start(wait_ready=600):
            raise SystemExit(f"the parse workers did not start: {pool.failed}")
        self.pool_start[workers] = time.perf_counter() - start


def summary(runs: dict[int, list[tuple[int, float]]], base_rate: float, base_s: float, pieces: int) -> list[Any]:
    """One row per worker count: chunks/s, and the speed-ups over the baseline (chunks/s, and time on the
    same text, since the sides cut different chunks)."""
    rows = []
    for workers, measured in runs.items():
        seconds = statistics.median(s for _, s in measured)
        rate = statistics.median(c / s for c, s in measured if s > 0)
        rows.append({
            "workers": workers,
            "chunks": measured[0][0],
            "chunks_per_s": round(rate, 1),
            "ratio": round(rate / base_rate, 2) if base_rate else float("inf"),
            "word_pieces_per_s": round(pieces / seconds),
            "text_ratio": round(base_s / seconds, 2) if seconds else float("inf"),
            "seconds": [round(s, 2) for _, s in measured],
        })  # fmt: skip
    return rows


def report_lines(result: dict[str, Any]) -> list[str]:
    """The product rows of one corpus, under the bench's own row (same columns)."""
    lines = []
    for row in result.get("product", []):
        label = f"  ragwarden ingest, {row['workers']} parse worker{'s' if row['workers'] != 1 else ''}"
        chunks = f"{row['chunks']}/{result['chunks_llama_index']}"
        lines.append(
            f"{label:<30} {chunks:>18} {row['chunks_per_s']:>8} {result['llama_index_chunks_per_s']:>8} "
            f"{row['ratio']:>5}x   {row['word_pieces_per_s']:>7} {result['llama_index_word_pieces_per_s']:>7} "
            f"{row['text_ratio']:>5}x"
        )
    return lines


def corpus_summary(
    name: str, docs: int, pieces: int, ours: list[Run], base: list[Run], runs: dict[int, list[tuple[int, float]]]
) -> dict[str, Any]:
    """Chunks/s of each side, and the speed-up on the same text (the sides cut different chunks); without
    ``ours`` (``--skip-ours``) its columns are empty."""
    base_rate = statistics.median(r.rate for r in base)
    base_s = statistics.median(r.seconds for r in base)
    row = {
        "corpus": name,
        "documents": docs,
        "text_word_pieces": pieces,
        "chunks_llama_index": base[0].chunks,
        "llama_index_chunks_per_s": round(base_rate, 1),
        "llama_index_word_pieces_per_s": round(pieces / base_s),
        "llama_index_seconds": [round(r.seconds, 2) for r in base],
        "product": summary(runs, base_rate, base_s, pieces),
    }
    if not ours:
        return row | {k: "-" for k in ("chunks_ours", "ours_chunks_per_s", "ratio", "ours_word_pieces_per_s",
                                       "text_ratio")}  # fmt: skip
    ours_rate = statistics.median(r.rate for r in ours)
    ours_s = statistics.median(r.seconds for r in ours)
    return row | {
        "chunks_ours": ours[0].chunks,
        "ours_chunks_per_s": round(ours_rate, 1),
        "ratio": round(ours_rate / base_rate, 2) if base_rate else float("inf"),
        "ours_word_pieces_per_s": round(pieces / ours_s),
        "text_ratio": round(base_s / ours_s, 2) if ours_s else float("inf"),
        "ours_seconds": [round(r.seconds, 2) for r in ours],
    }


def report(
    results: list[dict[str, Any]], args: argparse.Namespace, precision: str, pool_start: dict[int, float]
) -> None:
    starts = {w: round(s, 1) for w, s in pool_start.items()}
    if args.json:
        print(json.dumps({"precision": precision, "workers": args.workers, "results": results,
                          "product_pool_start_seconds": starts}, indent=2))
        return
    print(f"ingestion throughput, parse → chunk → embed (median of {args.repeat}; cores: {os.cpu_count()})")
    print(f"  ours: {args.workers} parse workers, groups of {args.embed_group}, batch {args.batch_size}, "
          f"{precision};  llama-index: IngestionPipeline, SentenceSplitter, HuggingFaceEmbedding")
    print(f"{'':31}{'chunks':>18} {'chunks/s':>17} {'ratio':>6}   {'word pieces/s':>15} {'ratio':>6}")
    print(f"{'corpus':24} {'docs':>5} {'ours/llama':>18} {'ours':>8} {'llama':>8} {'':>6}   {'ours':>7} {'llama':>7}")
    for r in results:
        chunks = f"{r['chunks_ours']}/{r['chunks_llama_index']}"
        print(f"{r['corpus']:24} {r['documents']:>5} {chunks:>18} {r['ours_chunks_per_s']:>8} "
              f"{r['llama_index_chunks_per_s']:>8} {r['ratio']:>5}x   {r['ours_word_pieces_per_s']:>7} "
              f"{r['llama_index_word_pieces_per_s']:>7} {r['text_ratio']:>5}x")
        print("\n".join(report_lines(r)))
    if starts:
        print(f"ragwarden ingest parse workers: started and warmed once per process, before the clock: {starts} s")
