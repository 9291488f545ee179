"""The freshness benchmark runs end to end against real ``ragwarden serve`` processes (a small corpus,
the real embedder) and prints every figure with its target."""

from __future__ import annotations

import re

import pytest

from ragwarden.evaluation import bench_freshness


def test_the_freshness_benchmark_prints_every_figure_and_changes_reach_search_within_budget(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Watched changes of every kind and permission-pass changes are seen within their targets, the
    search latency ratio during a content sync is printed, and every check (preconditions, nothing
    reappears once gone, no failed search under load, rewritten documents searchable) passes."""
    code = bench_freshness.main(["--quick", "--changes", "1", "--acl-interval", "1"])
    out = capsys.readouterr().out
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    for kind in bench_freshness.WATCH_KINDS:
        row = rows[f"watch / {kind}"]
        assert row.endswith("PASS") and "<= 5 s" in row, row
    for kind in bench_freshness.PASS_KINDS:
        row = rows[f"no watch, acl 1 s / {kind}"]
        assert row.endswith("PASS") and "<= 6 s" in row, row
    assert re.search(r"^idle +\d+ +[\d.]+ ms +[\d.]+ ms", out, re.M)
    assert re.search(r"^during the content sync +\d+ +[\d.]+ ms", out, re.M)
    # the ratio itself is the product's figure to meet; here it must only be measured and judged
    assert re.search(r"^p95 ratio sync / idle +[\d.]+ +<= 1.5 +(PASS|FAIL)$", out, re.M)
    assert "3. one changed document" in out and "not measured" in out
    checks = re.search(r"checks: (\d+)/(\d+) passed", out)
    assert checks and checks[1] == checks[2], out
    assert "FAILED" not in out
    assert code == (0 if "FAIL" not in out else 1)
