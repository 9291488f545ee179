"""The corpus of ``ragwarden bench scale``: the clustered 384-d vectors of ``bench retrieval``
(:class:`~ragwarden.evaluation.bench_retrieval_data.Dataset`) with ACLs shaped like a company's, its
Qdrant Edge index built once per size and cached, and the exact filtered top-10 computed with numpy.

The company: ``groups`` groups in three tiers. A handful of site-wide groups (all staff, a country, a
site...) hold 70 %, 45 %, 30 %, 15 % and 8 % of the people; every caller is in one of 40 departments;
the rest are teams, from which each caller draws until they are in 5 to 50 groups in all. A document of
ten chunks is readable by one site-wide group (30 % of documents), one or two departments (30 %) or one to
three teams (40 %), so a document is visible to about 1 % to 70 % of callers. Callers differ as much: one
in few groups sees a few percent of the corpus, one in every site-wide group a third of it; the benchmark
reports each visibility class apart, since the filter takes another path in the engine for each.

Everything is a pure function of the seed and the point or caller number, so the first n points of a
larger index are the smaller one, and the ground truth can be recomputed batch by batch without holding
the vectors (a 3M-point corpus is 4.6 GB of float32).
"""

from __future__ import annotations

import functools
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.core.models import AccessControl, AccessScope, IndexedChunk, chunk_id
from ragwarden.evaluation.bench_retrieval_data import BATCH, CHUNKS_PER_DOC, CLUSTERS, Dataset
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.index_tuning import EdgeTuning

SITE_WIDE = (0.70, 0.45, 0.30, 0.15, 0.08)  # share of the people in each site-wide group
DEPARTMENTS = 40
MAX_ACL = 3  # groups on one document's ACL at most
SCALE_VERSION = 1
Say = Callable[[str], None]


@dataclass(frozen=True)
class Company:
    """Deterministic vectors (``bench retrieval``'s generator) and company-shaped ACLs and callers."""

    groups: int = 3000
    dim: int = 384
    seed: int = 7

    @property
    def vectors(self) -> Dataset:
        return Dataset(dim=self.dim, groups=self.groups, seed=self.seed)

    @property
    def first_team(self) -> int:
        return len(SITE_WIDE) + DEPARTMENTS

    def doc_acls(self, first_doc: int, count: int) -> Any:
        """(count, MAX_ACL) int32 group numbers of documents first_doc.., padded with -1 (read-only: the
        sample every caller's share is measured on is made once)."""
        return _doc_acls(self, first_doc, count)

    def _make_doc_acls(self, first_doc: int, count: int) -> Any:
        import numpy as np

        rng = np.random.default_rng([self.seed, 11, first_doc])
        tier, sizes = rng.random(count), rng.integers(1, MAX_ACL + 1, count)
        out = np.full((count, MAX_ACL), -1, dtype=np.int32)
        teams = self.groups - self.first_team
        for row in range(count):
            if tier[row] < 0.3:
                out[row, 0] = rng.integers(len(SITE_WIDE))
            elif tier[row] < 0.6:
                picked = rng.choice(DEPARTMENTS, size=min(2, int(sizes[row])), replace=False)
                out[row, : len(picked)] = len(SITE_WIDE) + picked
            else:
                picked = rng.choice(teams, size=int(sizes[row]), replace=False)
                out[row, : len(picked)] = self.first_team + picked
        out.flags.writeable = False
        return out

    def caller_groups(self, number: int) -> list[int]:
        """The groups of caller ``number``: 5 to 50 in all."""
        import numpy as np

        rng = np.random.default_rng([self.seed, 12, number])
        total = int(rng.integers(5, 51))
        groups = [g for g, share in enumerate(SITE_WIDE) if rng.random() < share]
        groups.append(len(SITE_WIDE) + int(rng.integers(DEPARTMENTS)))
        teams = rng.choice(self.groups - self.first_team, size=max(0, total - len(groups)), replace=False)
        return groups + [self.first_team + int(t) for t in teams]

    def query_vector(self, number: int) -> Any:
        import numpy as np

        rng = np.random.default_rng([self.seed, 13, number])
        centers = np.random.default_rng(self.seed).standard_normal((CLUSTERS, self.dim)).astype(np.float32)
        vector = centers[rng.integers(CLUSTERS)] + rng.standard_normal(self.dim).astype(np.float32)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def batches(self, n: int) -> Iterator[tuple[int, Any, Any]]:
        """(first point, vectors, ACL rows per point) in batches of BATCH points (whole documents)."""
        import numpy as np

        for start, vectors in self.vectors.batches(n):
            first_doc = start // CHUNKS_PER_DOC
            docs = self.doc_acls(first_doc, -(-len(vectors) // CHUNKS_PER_DOC))
            yield start, vectors, np.repeat(docs, CHUNKS_PER_DOC, axis=0)[: len(vectors)]

    def chunks(self, n: int) -> Iterator[list[IndexedChunk]]:
        for start, vectors, acls in self.batches(n):
            out, payloads = [], {}
            for offset, vector in enumerate(vectors):
                doc, index = divmod(start + offset, CHUNKS_PER_DOC)
                if doc not in payloads:
                    allow = frozenset(f"group:g{g}" for g in acls[offset] if g >= 0)
                    payloads[doc] = AccessControl(allow=allow).to_payload()
                payload = {"doc_id": f"doc-{doc}", "chunk_index": index, "text": "", **payloads[doc]}
                out.append(IndexedChunk(chunk_id(f"doc-{doc}", index), vector, "", payload))
            yield out

    def scope(self, number: int) -> AccessScope:
        tokens = {f"user:scale{number}", *(f"group:g{g}" for g in self.caller_groups(number))}
        return AccessScope(f"scale{number}", frozenset(tokens))

    def visible_share(self, number: int, sample_docs: int = 20_000) -> float:
        """Share of documents caller ``number`` may read (from the first ``sample_docs``)."""
        import numpy as np

        member = np.zeros(self.groups + 1, dtype=bool)  # the last column: the -1 padding, never a member
        member[self.caller_groups(number)] = True
        return float(member[self.doc_acls(0, sample_docs)].any(axis=1).mean())


@functools.lru_cache(maxsize=4)
def _doc_acls(company: Company, first_doc: int, count: int) -> Any:
    return company._make_doc_acls(first_doc, count)


def reset_peak_rss() -> None:
    """Start the process's peak-RSS count afresh (Linux: ``clear_refs`` 5), so a figure is one size's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _status(field: str) -> int | None:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith(field + ":")), None)


def peak_rss() -> int:
    """Peak resident memory of this process in bytes since the last reset (VmHWM). It counts the pages of
    memory-mapped index files the process touched, which the kernel can drop again: see :func:`anon_rss`."""
    peak = _status("VmHWM")
    if peak is not None:
        return peak
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def anon_rss() -> int:
    """Resident memory now that no file backs (the heap: payload indexes, int8 copy, id tracker...)."""
    return _status("RssAnon") or 0


def disk_bytes(path: Path) -> int:
    """Bytes the files under ``path`` occupy on disk (sparse files count what is allocated)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def exact_top10(company: Company, n: int, callers: list[int], k: int = 10) -> list[list[str]]:
    """Each caller's exact filtered top-k point ids over the first n points: cosine (the vectors are
    unit length) over the documents the caller's groups may read, by numpy, batch by batch."""
    import numpy as np

    queries = np.stack([company.query_vector(c) for c in callers])
    member = np.zeros((len(callers), company.groups + 1), dtype=bool)
    for row, caller in enumerate(callers):
        member[row, company.caller_groups(caller)] = True
    best_scores = np.full((len(callers), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(callers), k), -1, dtype=np.int64)
    for start, vectors, acls in company.batches(n):
        scores = queries @ vectors.T
        visible = member[:, acls].any(axis=2)
        scores[~visible] = -np.inf
        ids = np.broadcast_to(np.arange(start, start + len(vectors)), scores.shape)
        both_scores = np.concatenate([best_scores, scores], axis=1)
        both_ids = np.concatenate([best_ids, ids], axis=1)
        keep = np.argpartition(-both_scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(both_scores, keep, axis=1)
        best_ids = np.take_along_axis(both_ids, keep, axis=1)
    out = []
    for scores, ids in zip(best_scores, best_ids, strict=True):
        found = [int(i) for s, i in zip(scores, ids, strict=True) if np.isfinite(s)]
        out.append([chunk_id(f"doc-{i // CHUNKS_PER_DOC}", i % CHUNKS_PER_DOC) for i in found])
    return out


def scale_path(company: Company, n: int, tuning: EdgeTuning, data_dir: Path) -> Path:
    placement = "disk" if tuning.on_disk else "ram"
    return data_dir / f"scale-v{SCALE_VERSION}-{n}-{company.dim}d-{company.groups}g-{tuning.quantization}-{placement}"


def open_cached_scale(company: Company, n: int, tuning: EdgeTuning, data_dir: Path, say: Say) -> dict[str, Any]:
    """Build the n-point index once (bulk load with indexing off, then one optimize: HNSW, int8 copy,
    ACL subgraphs) and record what the build cost in ``BUILD.json``; later runs read the record."""
    path = scale_path(company, n, tuning, data_dir)
    record = path / "BUILD.json"
    if record.exists():
        return dict(json.loads(record.read_text()))
    shutil.rmtree(path, ignore_errors=True)
    say(f"  building the {n:,}-point index in {path} (once; later runs reuse it)")
    reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    loading_tuning = EdgeTuning(
        indexing_threshold_kb=2**31 - 1, optimize_every=2**62, quantization=tuning.quantization, on_disk=tuning.on_disk
    )
    loading = QdrantEdgeIndex(path, tuning=loading_tuning)
    loading.ensure_collection(company.dim)
    for i, chunks in enumerate(company.chunks(n)):
        loading.upsert(chunks)
        if i % 100 == 0 and i:
            say(f"    loaded {i * BATCH + len(chunks):,} points  {time.perf_counter() - started:.0f} s")
    loading.close()
    loaded = time.perf_counter() - started
    index = QdrantEdgeIndex(path, tuning=tuning)
    index.optimize()
    built = {
        "points": n,
        "load_s": loaded,
        "build_s": time.perf_counter() - started,
        "build_cpu_s": time.process_time() - cpu,  # all threads: the cost, however busy the machine was
        "peak_rss_bytes": peak_rss(),
        "anon_rss_bytes": anon_rss(),  # after the build, the index still open
    }
    index.close()
    record.write_text(json.dumps(built) + "\n")
    return built
