"""`ragwarden bench audit` keeps working, run small: searches alternate between an auditing app and one
with auditing off (only the first writes records), and verify reads a generated log back intact."""

from __future__ import annotations

from pathlib import Path

from ragwarden.evaluation import bench_audit, benchmarks
from tests.demo_fixtures import Demo


def _records(demo: Demo) -> int:
    return sum(p.read_text().count('"type":"access"') for p in demo.services.settings.audit_path.glob("audit-*"))


def test_bench_audit_measures_search_with_and_without_auditing_and_verify_throughput(
    demo: Demo, tmp_path: Path
) -> None:
    before = _records(demo)
    search = bench_audit.search_overhead(demo.services, 4)
    assert search["on"]["count"] == search["off"]["count"] == 4 and search["off"]["p95"] > 0
    assert _records(demo) == before + 4 + 4  # its warm-up searches too; none from the app with auditing off
    verified = bench_audit.verify_throughput(2500, tmp_path)
    assert verified["records"] == 2500 and verified["per_s"] > 0
    assert len(list(tmp_path.glob("audit-*.jsonl"))) == 10  # ten days: nine checkpoints were verified
    text, _ = bench_audit.report(search, verified)
    assert "p95 ratio on/off" in text and "records/s" in text
    assert benchmarks.BENCHMARKS["audit"] is bench_audit.main
