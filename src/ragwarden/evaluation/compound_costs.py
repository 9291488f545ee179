"""What German compound splitting costs: ms per chunk at index time, ms per query, the dictionary's load.

    python -m ragwarden.evaluation.compound_costs [--repeat N]

The demo corpus is parsed and chunked as the sync does it; each chunk is encoded into its BM25 vectors with
and without splitting (:class:`~ragwarden.retrieval.sparse.Bm25Encoder`), and so is each question of the
quality benchmark's sets. The first pass meets every word for the first time (the split cache is cold, as for
a new corpus); the later passes are what a re-sync or a repeated query costs. Medians and p95, in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ragwarden.evaluation.bench_quality import load_questions


def _chunks() -> list[str]:
    from ragwarden.core.runtime import prepare_process
    from ragwarden.demo.loader import demo_root
    from ragwarden.ingestion.chunking import Chunker
    from ragwarden.ingestion.parsing import parse

    prepare_process()
    chunker, root = Chunker(), demo_root() / "corpus"
    texts: list[str] = []
    for doc in json.loads((demo_root() / "manifest.json").read_text(encoding="utf-8")):
        try:
            sections = parse((root / doc["path"]).read_bytes(), doc["path"], max_bytes=50 * 2**20)
        except Exception:  # noqa: BLE001, S112 - the corpus holds a broken file on purpose
            continue
        texts.extend(c.text for c in chunker.split(sections, doc.get("title", "")))
    return texts


def _times(encode: Callable[[str], object], texts: Sequence[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.perf_counter()
        encode(text)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _row(label: str, split: list[float], plain: list[float]) -> None:
    extra = [a - b for a, b in zip(split, plain, strict=True)]
    print(f"{label:26} {statistics.median(plain):8.3f} {statistics.median(split):8.3f} "
          f"{statistics.median(extra):8.3f} {_p(extra, 0.95):8.3f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragwarden.evaluation.compound_costs", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the texts (the first is cold)")
    args = parser.parse_args(argv)
    from ragwarden.retrieval import compounds
    from ragwarden.retrieval.sparse import Bm25Encoder

    chunks = _chunks()
    shipped = resources_questions()
    split, plain = Bm25Encoder(), Bm25Encoder(split_compounds=False)
    plain.document("warm up the tokenizers")
    split.document("warm up")
    start = time.perf_counter()
    compounds.lexicon()
    print(f"dictionary: loaded in {time.perf_counter() - start:.2f} s; {len(chunks)} chunks, {len(shipped)} queries")
    print(f"{'ms':26} {'plain':>8} {'split':>8} {'+median':>8} {'+p95':>8}")
    for n in range(args.repeat):
        label = "cold" if n == 0 else "warm"
        _row(f"chunk, index time ({label})", _times(split.document, chunks), _times(plain.document, chunks))
        _row(f"query ({label})", _times(split.query, shipped), _times(plain.query, shipped))
    return 0


def resources_questions() -> list[str]:
    here = Path(__file__).with_name("questions_de.yaml")
    return [q["question"] for q in load_questions() + load_questions(here)]


if __name__ == "__main__":
    raise SystemExit(main())
