"""The keyword migration benchmark runs small: an unsplit index is built, re-opened, migrated and timed."""

from __future__ import annotations

import pytest

from ragwarden.evaluation import keyword_migration


def test_the_migration_benchmark_builds_migrates_and_prints_its_timings(capsys: pytest.CaptureFixture[str]) -> None:
    assert keyword_migration.main(["--points", "300"]) == 0
    out = capsys.readouterr().out
    assert "built 300 unsplit points" in out
    assert "migration of 300 points:" in out and "points/s" in out
