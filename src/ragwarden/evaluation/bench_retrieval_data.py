"""The synthetic corpus of ``ragwarden bench retrieval`` (and of :mod:`ragwarden.evaluation.index_freshness`):
clustered vectors in documents of :data:`CHUNKS_PER_DOC` chunks, each readable by a few groups, callers
in a few groups, and its Qdrant Edge index built once per size and cached under the data dir.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.core.models import AccessControl, AccessScope, IndexedChunk, chunk_id
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.index_tuning import EdgeTuning

CHUNKS_PER_DOC = 10
CLUSTERS = 1000
BATCH = 2000
DATASET_VERSION = 2  # 2: an index records its keyword encoder, and one cached before is refused (rebuilt)


@dataclass(frozen=True)
class Dataset:
    """Deterministic synthetic corpus: the first n points of a bigger dataset equal a smaller one."""

    dim: int
    groups: int
    seed: int = 7

    def _centers(self) -> Any:
        import numpy as np

        return np.random.default_rng(self.seed).standard_normal((CLUSTERS, self.dim)).astype(np.float32)

    def doc_groups(self, doc: int) -> list[str]:
        import numpy as np

        rng = np.random.default_rng([self.seed, 1, doc])
        picked = rng.choice(self.groups, size=int(rng.integers(1, 4)), replace=False)
        return [f"group:g{g}" for g in sorted(picked)]

    def batches(self, n: int) -> Iterator[tuple[int, Any]]:
        """(first point number, vectors) in batches of BATCH points."""
        import numpy as np

        centers = self._centers()
        for start in range(0, n, BATCH):
            rng = np.random.default_rng([self.seed, 2, start])
            size = min(BATCH, n - start)
            vectors = centers[rng.integers(0, CLUSTERS, size)] + rng.standard_normal((size, self.dim))
            yield start, (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def chunks(self, n: int) -> Iterator[list[IndexedChunk]]:
        for start, vectors in self.batches(n):
            out, acls = [], {}
            for offset, vector in enumerate(vectors):
                number = start + offset
                doc, index = divmod(number, CHUNKS_PER_DOC)
                if doc not in acls:
                    acls[doc] = AccessControl(allow=frozenset(self.doc_groups(doc))).to_payload()
                payload = {"doc_id": f"doc-{doc}", "chunk_index": index, "text": "", **acls[doc]}
                out.append(IndexedChunk(chunk_id(f"doc-{doc}", index), vector, "", payload))
            yield out

    def queries(self, count: int, caller_groups: int, seed: int = 99) -> list[tuple[AccessScope, list[float]]]:
        import numpy as np

        rng = np.random.default_rng([self.seed, 3, seed])
        centers = self._centers()
        out = []
        for i in range(count):
            groups = rng.choice(self.groups, size=caller_groups, replace=False)
            tokens = frozenset({f"user:bench{i}", *(f"group:g{g}" for g in groups)})
            vector = centers[rng.integers(0, CLUSTERS)] + rng.standard_normal(self.dim).astype(np.float32)
            out.append((AccessScope(f"bench{i}", tokens), vector.tolist()))
        return out


def cache_path(data: Dataset, n: int, data_dir: Path) -> Path:
    return data_dir / f"edge-v{DATASET_VERSION}-{n}-{data.dim}d-{data.groups}g"


def open_cached_edge(data: Dataset, n: int, data_dir: Path, say: Callable[[str], None]) -> QdrantEdgeIndex:
    """The Edge index of the first n points, built once: bulk load without indexing, then one HNSW build."""
    path = cache_path(data, n, data_dir)
    done = path / "COMPLETE"
    if not done.exists():
        shutil.rmtree(path, ignore_errors=True)
        say(f"building the {n:,}-point index in {path} (once; later runs reuse it)")
        started = time.perf_counter()
        loading = QdrantEdgeIndex(path, tuning=EdgeTuning(indexing_threshold_kb=2**31 - 1, optimize_every=2**62))
        loading.ensure_collection(data.dim)
        for i, chunks in enumerate(data.chunks(n)):
            loading.upsert(chunks)
            if i % 50 == 0:
                say(f"  loaded {i * BATCH + len(chunks):,} points  {time.perf_counter() - started:.0f} s")
        loading.close()
        index = QdrantEdgeIndex(path)
        index.optimize()
        say(f"  index built in {time.perf_counter() - started:.0f} s")
        done.write_text("ok\n")
        return index
    return QdrantEdgeIndex(path)
