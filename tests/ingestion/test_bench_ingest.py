"""The ingestion benchmark: its synthetic corpus is deterministic and bilingual, and a tiny run works."""

from __future__ import annotations

import json

import pytest

from ragwarden.evaluation import bench_ingest
from tests.ingestion import documents


def test_synthetic_corpus_is_deterministic_bilingual_and_sized() -> None:
    docs = bench_ingest.synthetic_documents(6, words=1500)
    assert docs == bench_ingest.synthetic_documents(6, words=1500)
    assert len({name for name, _ in docs}) == 6
    for _, data in docs:
        assert 1400 <= len(data.split()) <= 2300
    text = b" ".join(data for _, data in docs).decode()
    assert "Mitarbeiterinnen" in text and "employees" in text


def test_demo_documents_skip_acl_sidecars(tmp_path) -> None:
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "a.md").write_text(documents.MARKDOWN)
    (tmp_path / "hr" / "a.md.acl.json").write_text('{"allow": ["group:hr"]}')
    (tmp_path / ".acl.json").write_text('{"allow": ["everyone"]}')
    assert [name for name, _ in bench_ingest.demo_documents(tmp_path)] == ["hr/a.md"]


@pytest.mark.slow
def test_a_tiny_benchmark_run_reports_both_sides(tmp_path, capsys) -> None:
    (tmp_path / "a.md").write_text(documents.MARKDOWN)
    (tmp_path / "b.docx").write_bytes(documents.docx_bytes())
    argv = ["--corpus", str(tmp_path), "--synthetic-docs", "2", "--synthetic-words", "300",
            "--repeat", "1", "--workers", "1", "--product-workers", "1,2", "--json"]
    (tmp_path / ".acl.json").write_text('{"allow": ["everyone"]}')  # the product path indexes only what has an ACL
    assert bench_ingest.main(argv) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["documents"] for r in results] == [2, 2]
    for r in results:
        assert r["chunks_ours"] > 0 and r["chunks_llama_index"] > 0
        assert r["ours_chunks_per_s"] > 0 and r["llama_index_chunks_per_s"] > 0
        # `ragwarden ingest` in-process and with two parse workers: the same chunks, written into the index
        assert [p["workers"] for p in r["product"]] == [1, 2]
        assert r["product"][0]["chunks"] == r["product"][1]["chunks"] > 0
        assert all(p["chunks_per_s"] > 0 and p["ratio"] > 0 for p in r["product"])


def test_worker_counts_are_checked_before_anything_runs() -> None:
    with pytest.raises(SystemExit):
        bench_ingest.main(["--product-workers", "two", "--synthetic-docs", "0"])
