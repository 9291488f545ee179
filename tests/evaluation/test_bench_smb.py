"""The SMB benchmark runs end to end against a real Samba file server (small share, fake embedder)."""

from __future__ import annotations

import os

import pytest

from ragwarden.evaluation import bench_smb
from ragwarden.testing.samba.provision import samba_installed


@pytest.fixture(autouse=True)
def _samba() -> None:
    if samba_installed():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Samba is not installed; the SMB benchmark test must run in CI")
    pytest.skip("Samba AD DC is not installed (run scripts/install-system-deps.sh)")


def test_the_smb_benchmark_meets_its_target_and_restamps_without_embedding(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A small share: full, unchanged and ACL-only syncs are timed; the re-stamp of the 20 files whose
    folder ACL changed passes its target, the embedder is never called for it, every check passes."""
    assert bench_smb.main(["--files", "60", "--restamp", "20", "--embedder", "fake"]) == 0
    out = capsys.readouterr().out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert "full sync, 60 files" in lines
    assert "incremental sync, no changes" in lines
    restamp = lines["ACL-only change, 20 re-stamped"]
    assert restamp.endswith("PASS") and "<= 10 s" in restamp
    assert "embedder calls during the re-stamp syncs: 0" in out
    assert "checks: 22/22 passed" in out
    assert "FAILED" not in out
