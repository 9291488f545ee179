"""Every ``ragwarden bench`` command by name: ordinary imports, so import-linter sees each edge."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ragwarden.evaluation import (
    bench_answer,
    bench_answer_api,
    bench_answer_cache,
    bench_answers,
    bench_audit,
    bench_freshness,
    bench_identity,
    bench_ingest,
    bench_page,
    bench_quality,
    bench_retrieval,
    bench_scale,
    bench_sharepoint,
    bench_smb,
    bench_teams,
    bench_throughput,
)

Main = Callable[[list[str] | None], int]

BENCHMARKS: dict[str, Main] = {
    "retrieval": bench_retrieval.main,
    "ingest": bench_ingest.main,
    "quality": bench_quality.main,
    "answers": bench_answers.main,
    "answer": bench_answer.main,
    "answer-api": bench_answer_api.main,
    "answer-cache": bench_answer_cache.main,
    "page": bench_page.main,
    "identity": bench_identity.main,
    "smb": bench_smb.main,
    "freshness": bench_freshness.main,
    "teams": bench_teams.main,
    "sharepoint": bench_sharepoint.main,
    "audit": bench_audit.main,
    "throughput": bench_throughput.main,
    "scale": bench_scale.main,
}


def run(name: str, argv: Sequence[str]) -> int:
    return BENCHMARKS[name](list(argv))
