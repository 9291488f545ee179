"""The SharePoint benchmark runs end to end, small: the emulator behind Graph's latency and resource-unit limit,
the connector through the registry, the real embedder, and a real ``ragwarden serve`` whose ``/v1/search``
must lose each revoked file within its target."""

from __future__ import annotations

import re

import pytest

from ragwarden.evaluation import bench_sharepoint
from ragwarden.evaluation.bench_sharepoint_tenant import KINDS


def test_the_sharepoint_benchmark_prints_every_figure_and_revocations_leave_search_within_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each sync run prints its time, requests, resource units, 429s and embedder calls; the permission-only
    change embeds nothing; every kind of revocation is gone from search within its target; every check
    (each file indexed, only edited files re-embedded, the folder's files re-stamped, probes visible before
    and unreadable by the oracle after) passes. A limit below the initial sync's cost makes it throttle."""
    code = bench_sharepoint.main(["--items", "200", "--descendants", "50", "--revocations", "2",
                                  "--acl-interval", "10", "--units-per-minute", "1000"])  # fmt: skip
    out = capsys.readouterr().out
    phases = re.findall(
        r"^\d\. (.+)\n   wall time ([\d.,]+) s: .+\n   requests: (.+)\n   resource units ([\d,]+) \(limit 1,000/min\); "
        r"([\d,]+) answered 429; the connector waited ([\d.,]+) s.*\n   embedder: ([\d,]+) calls, ([\d,]+) texts$",
        out,
        re.M,
    )
    assert [p[0] for p in phases] == [
        "initial sync of 200 files",
        "incremental run, 2 files (1 %) edited",
        "permission-only change on a folder with 50 files below it",
    ], out
    initial, incremental, acl_only = phases
    assert "permissions 200" in initial[2] and "delta" in initial[2] and int(initial[3].replace(",", "")) > 1000
    assert float(initial[5]) > 0  # the limit held the initial sync back
    assert incremental[7] == "2"  # only the edited files were embedded
    assert (acl_only[6], acl_only[7]) == ("0", "0") and "permissions 50" in acl_only[2]
    for kind in (*KINDS, "every kind"):
        row = re.search(rf"^{kind} +(\d+) +[\d.]+ s +[\d.]+ s +<= (\d+) s +(PASS|FAIL)$", out, re.M)
        assert row and row[1] == ("6" if kind == "every kind" else "2") and row[3] == "PASS", out
        assert row[2] == ("20" if kind in bench_sharepoint.DELTA_KINDS else "120")
    checks = re.search(r"checks: (\d+)/(\d+) passed", out)
    assert checks and checks[1] == checks[2], out
    assert code == 0
