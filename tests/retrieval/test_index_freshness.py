"""``ragwarden.evaluation.index_freshness`` on a small index: the figures it reports hold together.

The 100 000-chunk run is a benchmark (``python -m ragwarden.evaluation.index_freshness``), not a test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ragwarden.evaluation import index_freshness


def test_one_changed_document_is_found_at_once_without_a_fold(tmp_path: Path) -> None:
    result = index_freshness.measure_one_change(2_000, chunks=3, bulk=300, queries=10, data_dir=tmp_path)
    assert result["points"] == 2_000 and result["change_chunks_before"] == 10
    assert result["change_chunks_after"] == 3 and result["change_only_new_chunks"] == 1
    assert result["change_folded"] == 0 and result["bulk_folded"] == 0  # both below the budget
    assert result["change_searchable_s"] < 5 and result["restamp_visible_s"] < 5
    assert result["segments_after"] == result["segments_before"]
    assert result["writing_searches"] >= 1 and result["idle_p95_ms"] > 0
    assert not (tmp_path / "freshness-scratch").exists()  # the cached index is left as built


def test_main_prints_the_figures_and_reports_the_targets_met(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--points", "2000", "--chunks", "4", "--bulk", "200", "--queries", "5", "--data-dir", str(tmp_path)]
    assert index_freshness.main(argv) == 0
    out = capsys.readouterr().out
    assert "no fold, no HNSW build" in out and "targets (1) and (2) <= 5 s without a fold: met" in out
