"""The set-ups ``ragwarden bench quality`` compares in one run, each on its own fresh index of the demo corpus.

An administrator who wants to know whether another embedder serves their users better needs the same
questions, the same corpus and the same ranking code, with only the model changed: so each set-up ingests the
demo corpus afresh into a temporary data directory and is asked every question, as the demo user who may open
the expected document. The shipped model runs with the calibrated relevance floors (what users get); a model
under test runs without a dense floor, since a cosine floor belongs to one embedder (calibrate one for it with
``python -m ragwarden.evaluation.relevance_floor`` before switching). The BM25 floor does not depend on the
embedder and stays.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.core.errors import ConfigurationError

Table = dict[tuple[str, str], dict[str, float]]
Evaluate = Callable[[Any, list[str]], Table]


@dataclass(frozen=True, slots=True)
class Setup:
    """One column of the comparison."""

    name: str
    model: Path | None = None  # None: the shipped model
    split: bool = True  # German compound splitting in the BM25 half
    dense_floor: bool = True  # the shipped model's calibrated cosine floor


def setups(model: Path | None, unsplit: bool) -> list[Setup]:
    """The shipped default, then what the options add: the same without compound splitting (``before``), and
    the model under test."""
    out = [Setup("shipped")]
    if unsplit:
        out.append(Setup("shipped, unsplit", split=False))
    if model is not None:
        out.append(Setup(f"{model.parent.name}/{model.name}", model=model, dense_floor=False))
    return out


def check_model(path: str) -> Path:
    """A local sentence-transformers model directory, or a clear error (models are never downloaded)."""
    from ragwarden.ingestion.embedding import resolve_model_path

    resolved = resolve_model_path(path)
    if not any((resolved / name).is_file() for name in ("modules.json", "config_sentence_transformers.json")):
        raise ConfigurationError(
            f"{resolved} is not a sentence-transformers model directory (no modules.json or "
            "config_sentence_transformers.json): save the model with SentenceTransformer.save(PATH)"
        )
    return resolved


def run(setup: Setup, evaluate: Evaluate, data_dir: str | None = None) -> Table:
    """Ingest the demo corpus as ``setup`` says and evaluate it."""
    from ragwarden.acl.local_directory.resolver import LocalDirectory
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex
    from ragwarden.retrieval.hybrid import SearchPlan
    from ragwarden.retrieval.sparse import Bm25Encoder
    from ragwarden.services import build_services

    overrides: dict[str, Any] = {}
    if setup.model is not None:
        overrides["embedding_model"] = str(setup.model)
    if not setup.dense_floor:
        overrides["search_dense_floor"] = None
    with tempfile.TemporaryDirectory() as tmp:
        settings = demo_settings(str(Path(data_dir or tmp) / _slug(setup.name)), **overrides)
        plan = SearchPlan(dense_floor=settings.search_dense_floor, sparse_floor=settings.search_sparse_floor)
        encoder = Bm25Encoder(split_compounds=setup.split)
        index = QdrantEdgeIndex(settings.index_path, settings.collection, plan=plan, encoder=encoder)
        try:
            services = build_services(settings, index=index)
        except Exception as exc:  # noqa: BLE001 - a model that does not load is bad input, said plainly
            index.close()
            raise ConfigurationError(f"{setup.name}: cannot load the embedding model: {exc}") from exc
        try:
            ingest_demo(services)
            assert isinstance(services.directory, LocalDirectory)
            return evaluate(services, services.directory.users())
        finally:
            services.close()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


def print_tables(tables: dict[str, Table], depth: int, recall_at: int) -> None:
    """Per mode and language, recall@k and MRR@depth of every set-up side by side."""
    names = list(tables)
    first = tables[names[0]]
    head = f"{'mode':7} {'lang':5} {'n':>3}  " + "  ".join(f"{n[:26]:>26}" for n in names)
    sub = f"{'':7} {'':5} {'':>3}  " + "  ".join(f"{f'R@{recall_at}':>12} {f'MRR@{depth}':>13}" for _ in names)
    print(f"\n{head}\n{sub}")
    for key, row in first.items():
        mode, lang = key
        cells = "  ".join(
            f"{tables[n][key][f'recall@{recall_at}']:12.3f} {tables[n][key][f'mrr@{depth}']:13.3f}"
            for n in names
            if key in tables[n]
        )
        print(f"{mode:7} {lang:5} {row['questions']:3.0f}  {cells}")


def langs(questions: Sequence[dict[str, str]]) -> list[str]:
    """The question set's languages in their order of first appearance (``de-en``: German asked, English page)."""
    return list(dict.fromkeys(q["lang"] for q in questions))
