"""`ragwarden bench scale` keeps working, run small; its exact top-10 agrees with a plain oracle; the
int8/on-disk settings reach the engine and the server request, and leave today's defaults alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ragwarden.evaluation import bench_scale, benchmarks
from ragwarden.evaluation.bench_scale_data import Company, exact_top10, open_cached_scale, scale_path
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.edge_requests import shard_config
from ragwarden.retrieval.index_tuning import EdgeTuning

SMALL = Company(groups=300)


def test_company_acls_are_shaped_like_a_company() -> None:
    company = Company()
    sizes = [len(company.caller_groups(c)) for c in range(200)]
    assert min(sizes) >= 5 and max(sizes) <= 50
    shares = [company.visible_share(c, 5000) for c in range(200)]
    assert min(shares) < 0.05 and max(shares) > 0.15  # narrow and broad callers both exist


def test_exact_top10_matches_a_plain_oracle() -> None:
    import numpy as np

    n, callers = 600, [0, 1, 2, 3]
    chunks = [c for batch in SMALL.chunks(n) for c in batch]
    got = exact_top10(SMALL, n, callers)
    for caller, ids in zip(callers, got, strict=True):
        tokens, query = SMALL.scope(caller).tokens, SMALL.query_vector(caller)
        visible = [c for c in chunks if set(c.payload["acl_allow"]) & tokens]
        ranked = sorted(visible, key=lambda c: -float(np.dot(query, c.dense)))
        assert ids == [c.point_id for c in ranked[:10]]


def test_a_quantized_on_disk_graph_is_built_and_finds_the_exact_top10(tmp_path: Path) -> None:
    # A low full-scan threshold sends even these small filters through the (quantized) graph.
    tuning = EdgeTuning(quantization="int8", on_disk=True, indexing_threshold_kb=100, full_scan_threshold_kb=100)
    build = open_cached_scale(SMALL, 3000, tuning, tmp_path, print)
    assert build["points"] == 3000 and build["peak_rss_bytes"] > 0
    path = scale_path(SMALL, 3000, tuning, tmp_path)
    configs = [json.loads(p.read_text())["config"]["vector_data"]["dense"] for p in path.rglob("segment.json")]
    graphs = [c for c in configs if c["index"]["type"] == "hnsw"]
    assert graphs and all(c["quantization_config"]["scalar"]["type"] == "int8" for c in graphs)
    assert all(c["index"]["options"]["memory"] == "cold" for c in graphs)
    callers = bench_scale.pick_callers(SMALL, 4)
    everyone = [c for numbers in callers.values() for c in numbers]
    truth = dict(zip(everyone, exact_top10(SMALL, 3000, everyone), strict=True))
    searched = EdgeTuning(acorn_max_selectivity=1.0, oversampling=2.0)  # the shard keeps its int8 copy
    index = QdrantEdgeIndex(path, tuning=searched)
    try:
        results = bench_scale.measure(index, SMALL, callers, truth)
    finally:
        index.close()
    assert [r.name for r in results] == ["narrow", "medium", "broad"]
    assert min(r.recall for r in results) >= 0.9


def test_the_default_tuning_asks_for_what_it_did_before() -> None:
    config = shard_config(EdgeTuning(), 384)
    assert config.quantization_config is None
    assert config.vectors["dense"].memory is None and config.hnsw_config.memory is None


def test_bench_scale_runs_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmarks.BENCHMARKS["scale"] is bench_scale.main
    argv = ["--sizes", "2000,4000", "--queries", "3", "--groups", "300", "--client-points", "1000",
            "--client-queries", "1", "--data-dir", str(tmp_path)]
    assert bench_scale.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("building the") == 3  # two sizes and the Edge index beside qdrant-client
    for size in ("2,000 points", "4,000 points", "extrapolated to 10,000,000", "targets at 4,000 points"):
        assert size in out
    recalls = [float(r) for r in re.findall(r"p95 +[0-9.]+ ms +recall@10 ([0-9.]+)", out)]
    assert len(recalls) == 3 * 2 + 3 * 2 and min(recalls) >= 0.9
    assert "shard_number=2" in out and "quantization=scalar int8" in out and "on_disk=True" in out
    assert bench_scale.main(argv) == 0  # cached: a re-run only queries
    assert "building the" not in capsys.readouterr().out


def test_bad_sizes_are_refused_clearly() -> None:
    with pytest.raises(SystemExit, match="--sizes wants sizes of at least 1000 chunks"):
        bench_scale.main(["--sizes", "ten"])


def test_the_scale_settings_reach_both_adapters(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ragwarden.core.errors import ConfigurationError
    from ragwarden.core.settings import load_settings
    from ragwarden.services import build_index

    defaults = build_index(load_settings(data_dir=tmp_path / "a"))
    try:
        assert defaults._tuning == EdgeTuning()  # type: ignore[attr-defined]  # nothing changes unasked
    finally:
        defaults.close()
    for name, value in (("QUANTIZATION", "int8"), ("ON_DISK", "true"), ("SHARDS", "3"), ("SPLIT_FILTERS", "false")):
        monkeypatch.setenv(f"RAGWARDEN_INDEX_{name}", value)
    edge = build_index(load_settings(data_dir=tmp_path / "b"))
    try:
        want = EdgeTuning(quantization="int8", on_disk=True, oversampling=2.0, split_filters=False)
        assert edge._tuning == want  # type: ignore[attr-defined]
    finally:
        edge.close()
    monkeypatch.setenv("RAGWARDEN_INDEX_BACKEND", "qdrant")
    monkeypatch.setenv("RAGWARDEN_QDRANT_URL", "http://127.0.0.1:1")  # never called: only the request is built
    server = build_index(load_settings(data_dir=tmp_path / "c"))
    asked = server._tuning  # type: ignore[attr-defined]
    assert (asked.quantization, asked.shard_number, asked.on_disk) == ("int8", 3, True)
    monkeypatch.setenv("RAGWARDEN_INDEX_QUANTIZATION", "int4")
    with pytest.raises(ConfigurationError):
        load_settings(data_dir=tmp_path / "d")
