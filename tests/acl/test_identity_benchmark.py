"""The identity benchmark runs end to end against the session's Samba DC and meets its targets."""

from __future__ import annotations

import pytest

from ragwarden.evaluation import bench_identity
from tests.fixtures.samba import SambaDirectory


def test_the_identity_benchmark_prints_its_figures_and_meets_the_targets(
    samba_directory: SambaDirectory, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "--attach",
        str(samba_directory.dc.root),
        "--users",
        "2",
        "--rounds",
        "10",
        "--removals",
        "2",
        "--ttl",
        "1",
    ]
    assert bench_identity.main(argv) == 0
    out = capsys.readouterr().out
    assert "cached p95 <= 1 ms: PASS" in out
    assert "revocation p95 <= TTL + 5 s (6 s): PASS" in out


def test_p95_picks_the_95th_percentile() -> None:
    assert bench_identity.p95([float(n) for n in range(1, 101)]) == 95.0
    assert bench_identity.p95([3.0]) == 3.0
