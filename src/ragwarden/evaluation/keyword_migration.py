"""How long an upgrade's in-place keyword migration takes (:mod:`ragwarden.retrieval.keyword_migration`).

    python -m ragwarden.evaluation.keyword_migration [--points N] [--dir DIR]

An Edge index of ``N`` points is built with the keyword encoder of before compound splitting: the demo corpus's
chunks over and over (German and English, as a real corpus repeats its words), each with a random 384-d dense
vector and an ACL. It is closed and opened again by the current version, which re-makes every point's BM25
vectors from its text and folds the re-written points back into HNSW before it answers. Printed: the build, the
re-encoding (points/s) and the fold, in seconds.
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import time
from pathlib import Path

DIM = 384
BATCH = 1000


def _build(path: Path, points: int, texts: list[str]) -> float:
    from ragwarden.core.models import AccessControl, Chunk, IndexedChunk
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex
    from ragwarden.retrieval.sparse import Bm25Encoder

    rnd = random.Random(7)
    started = time.monotonic()
    index = QdrantEdgeIndex(path, encoder=Bm25Encoder(split_compounds=False))
    index.ensure_collection(DIM)
    for first in range(0, points, BATCH):
        batch = []
        for n in range(first, min(first + BATCH, points)):
            acl = AccessControl(allow=frozenset({f"group:g{n % 50}"}), deny=frozenset(), share=frozenset())
            chunk = Chunk(doc_id=f"doc-{n // 4}", index=n % 4, text=texts[n % len(texts)], acl=acl, title="t")
            dense = [rnd.gauss(0, 1) for _ in range(DIM)]
            batch.append(IndexedChunk(chunk.chunk_id, dense, chunk.text, chunk.payload()))
        index.upsert(batch)
    index.optimize()
    index.close()
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragwarden.evaluation.keyword_migration", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--points", type=int, default=100_000, help="points in the index (default 100 000)")
    parser.add_argument("--dir", type=Path, help="where the index goes (default: a temporary directory)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from ragwarden.evaluation.compound_costs import _chunks
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex

    texts = _chunks()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        built = _build(Path(tmp), args.points, texts)
        print(f"built {args.points} unsplit points ({len(texts)} distinct chunk texts) in {built:.1f} s", flush=True)
        timings: dict[str, float] = {}

        class Timed(QdrantEdgeIndex):
            def optimize(self) -> None:  # the fold after the re-encoding, timed apart
                timings.setdefault("encoded", time.monotonic())
                super().optimize()

        started = time.monotonic()
        index = Timed(Path(tmp))
        opened = time.monotonic()
        index.close()
    encode = timings["encoded"] - started
    print(
        f"migration of {args.points} points: {opened - started:.1f} s to open, of which re-encoding "
        f"{encode:.1f} s ({args.points / encode:.0f} points/s) and the HNSW fold {opened - timings['encoded']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
