"""``ragwarden bench quality``: search quality on the demo corpus, per language and per ranking.

Each question of a question file (default: ``questions.yaml``; ``questions_de.yaml`` holds 73 German
questions written to be hard: compounds, synonyms, paraphrases, and 15 cross-lingual ones, ``lang: de-en``)
is asked as a demo user who may see the expected document; we report recall@5 (the document among the first
five) and MRR@10 per language for the hybrid, dense-only and BM25-only rankings.

    ragwarden bench quality [--questions FILE] [--model PATH] [--unsplit] [--data-dir DIR]

``--model`` judges any local sentence-transformers model directory against the shipped default, on the same
corpus and questions, side by side in the same run; ``--unsplit`` adds the shipped model without German
compound splitting (how indexes were built before it). A question file is a YAML list of
``{lang, question, expect}``, ``expect`` being a path in the demo corpus.
"""

from __future__ import annotations

import argparse
import statistics
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ragwarden.acl.decision import is_allowed
from ragwarden.core.errors import InvalidRequestError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import SearchMode
from ragwarden.evaluation.bench_quality_runs import Table, check_model, langs, print_tables, run, setups
from ragwarden.retrieval.documents import search_documents

MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "sparse")
FIELDS = ("lang", "question", "expect")
RECALL_AT, DEPTH = 5, 10


def load_questions(path: Path | None = None) -> list[dict[str, str]]:
    """The questions of ``path`` (default: the shipped set), each checked: bad input is a clear error."""
    if path is None:
        text = resources.files("ragwarden.evaluation").joinpath("questions.yaml").read_text(encoding="utf-8")
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidRequestError(f"cannot read the question file {path}: {exc}") from exc
    where = path or "questions.yaml"
    try:
        questions = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRequestError(f"{where} is not valid YAML: {exc}") from exc
    if not isinstance(questions, list) or not questions:
        raise InvalidRequestError(f"{where}: expected a non-empty YAML list of {{lang, question, expect}}")
    for number, q in enumerate(questions, 1):
        if not isinstance(q, dict) or not all(isinstance(q.get(k), str) and q[k].strip() for k in FIELDS):
            raise InvalidRequestError(f"{where}: question {number} needs the text fields {', '.join(FIELDS)}: {q!r}")
    return questions


def _check_documents(questions: list[dict[str, str]]) -> None:
    """Every ``expect`` names a file of the demo corpus: said before anything is indexed."""
    from ragwarden.demo.loader import demo_root

    corpus = demo_root() / "corpus"
    missing = sorted({q["expect"] for q in questions if not (corpus / q["expect"]).is_file()})
    if missing:
        raise InvalidRequestError(f"no such document in the demo corpus: {', '.join(missing)}")


def _asker(services: Any, users: list[str], path: str) -> tuple[str, AccessScope]:
    doc = next(iter(services.state.find(path)), None)
    if doc is None:
        raise InvalidRequestError(f"no document {path!r} in the demo corpus (a question's `expect`)")
    for user in users:
        scope = services.directory.resolve(user)
        if is_allowed(doc.acl, scope):
            return doc.doc_id, scope
    raise InvalidRequestError(f"no demo user may see {path}")


def evaluate(
    services: Any, users: list[str], questions: list[dict[str, str]] | None = None, recall_at: int = RECALL_AT
) -> Table:
    """Per (mode, language): the number of questions, hit@1, recall@``recall_at`` and MRR@10."""
    questions = questions if questions is not None else load_questions()
    askers = {q["expect"]: _asker(services, users, q["expect"]) for q in questions}
    table: Table = {}
    for mode in MODES:
        retriever = services.retriever_in(mode)
        ranks: dict[str, list[int | None]] = {lang: [] for lang in langs(questions)}
        for q in questions:
            doc_id, scope = askers[q["expect"]]
            found = [r.doc_id for r in search_documents(retriever, scope, q["question"], DEPTH)]
            ranks[q["lang"]].append(found.index(doc_id) + 1 if doc_id in found else None)
        for lang, rs in ranks.items():
            table[(mode, lang)] = {
                "questions": len(rs),
                "hit@1": sum(r == 1 for r in rs) / len(rs),
                f"recall@{recall_at}": sum(r is not None and r <= recall_at for r in rs) / len(rs),
                f"mrr@{DEPTH}": statistics.fmean(1 / r if r else 0.0 for r in rs),
            }
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--questions", type=Path, help="a question file (default: the shipped questions.yaml)")
    parser.add_argument("--model", help="a local sentence-transformers model directory to judge beside the default")
    parser.add_argument("--unsplit", action="store_true", help="add the default without German compound splitting")
    parser.add_argument("--data-dir", help="where the indexes go (default: a fresh temporary directory)")
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    _check_documents(questions)
    model = check_model(args.model) if args.model else None
    tables: dict[str, Table] = {}
    for setup in setups(model, args.unsplit):
        print(f"{setup.name}: ingesting the demo corpus, asking {len(questions)} questions ...", flush=True)
        tables[setup.name] = run(setup, lambda services, users: evaluate(services, users, questions), args.data_dir)
    print_tables(tables, DEPTH, RECALL_AT)
    return 0
