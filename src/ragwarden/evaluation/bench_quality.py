"""``ragwarden bench quality``: search quality on the demo corpus, German and English measured apart.

Each question of ``questions.yaml`` is asked as a demo user who may see the expected document; we
report hit@1, hit@5 and MRR per language for the hybrid, dense-only and BM25-only rankings.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from importlib import resources
from typing import Any

import yaml

from ragwarden.acl.decision import is_allowed
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import SearchMode
from ragwarden.retrieval.documents import search_documents

MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "sparse")


def load_questions() -> list[dict[str, str]]:
    text = resources.files("ragwarden.evaluation").joinpath("questions.yaml").read_text(encoding="utf-8")
    questions: list[dict[str, str]] = yaml.safe_load(text)
    return questions


def _asker(services: Any, users: list[str], path: str) -> tuple[str, AccessScope]:
    doc = next(iter(services.state.find(path)))
    for user in users:
        scope = services.directory.resolve(user)
        if is_allowed(doc.acl, scope):
            return doc.doc_id, scope
    raise SystemExit(f"no demo user may see {path}")


def evaluate(services: Any, users: list[str], limit: int = 5) -> dict[tuple[str, str], dict[str, float]]:
    questions = load_questions()
    askers = {q["expect"]: _asker(services, users, q["expect"]) for q in questions}
    table: dict[tuple[str, str], dict[str, float]] = {}
    for mode in MODES:
        retriever = services.retriever_in(mode)
        ranks: dict[str, list[int | None]] = {"de": [], "en": []}
        for q in questions:
            doc_id, scope = askers[q["expect"]]
            found = [r.doc_id for r in search_documents(retriever, scope, q["question"], limit)]
            ranks[q["lang"]].append(found.index(doc_id) + 1 if doc_id in found else None)
        for lang, rs in ranks.items():
            table[(mode, lang)] = {
                "questions": len(rs),
                "hit@1": sum(r == 1 for r in rs) / len(rs),
                f"hit@{limit}": sum(r is not None for r in rs) / len(rs),
                "mrr": statistics.fmean(1 / r if r else 0.0 for r in rs),
            }
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench quality", description=__doc__)
    parser.add_argument("--data-dir", help="a demo data dir to reuse (default: a fresh temporary one)")
    args = parser.parse_args(argv)
    from ragwarden.acl.local_directory.resolver import LocalDirectory
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.services import build_services

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(demo_settings(args.data_dir or tmp))
        try:
            ingest_demo(services)
            assert isinstance(services.directory, LocalDirectory)
            table = evaluate(services, services.directory.users())
        finally:
            services.close()
    print(f"\n{'mode':8} {'lang':4} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
    for (mode, lang), row in table.items():
        print(f"{mode:8} {lang:4} {row['questions']:3.0f} {row['hit@1']:6.2f} {row['hit@5']:6.2f} {row['mrr']:6.2f}")
    return 0
