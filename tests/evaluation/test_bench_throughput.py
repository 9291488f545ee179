"""`ragwarden bench throughput` keeps working, run small: a real `ragwarden serve` over the demo corpus, a
grown directory, closed-loop clients; and its query stream looks like a search box's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ragwarden.evaluation import bench_throughput, benchmarks
from ragwarden.evaluation.throughput_load import closed_loop, query_stream, typed


def test_typing_sends_each_word_end_and_the_middle_of_long_words() -> None:
    assert typed("Netzwerkdrucker einrichten") == [
        "Netzwer",
        "Netzwerkdrucker",
        "Netzwerkdrucker einri",
        "Netzwerkdrucker einrichten",
    ]


def test_the_stream_repeats_prefixes_and_faq_questions_across_users() -> None:
    stream = query_stream(["Urlaub nehmen jetzt"], ["Q1?", "Q2?", "Q3?"], ["a", "b"], 200, seed=1)
    assert len(stream) == 200 and {u for u, _ in stream} == {"a", "b"}
    queries = [q for _, q in stream]
    assert len(set(queries)) < 10 and queries.count("Q1?") > queries.count("Q3?")


def test_the_directory_grows_to_the_asked_size_in_the_demo_groups(tmp_path: Path) -> None:
    users = bench_throughput.grown_directory(tmp_path / "d.yaml", 50)
    directory = yaml.safe_load((tmp_path / "d.yaml").read_text())
    assert len(users) == 50 == len(directory["users"])
    assert directory["users"]["u01"]["groups"] == directory["users"]["alice"]["groups"]


def test_bench_throughput_runs_small(capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmarks.BENCHMARKS["throughput"] is bench_throughput.main
    code = bench_throughput.main(["--requests", "12", "--clients", "1,3", "--users", "12", "--configs", "levers on"])
    out = capsys.readouterr().out
    assert code == 0
    assert "levers on" in out and " 12 users" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("levers on ")]
    assert [r[2] for r in rows] == ["1", "3"] and all(r[-1] == "0" for r in rows)  # no errors


@pytest.mark.parametrize("client", ["stdlib", "httpx"])
def test_a_request_that_fails_counts_as_an_error_and_the_clients_go_on(client: str) -> None:
    stream = [("a", "Urlaub"), ("b", "VPN"), ("a", "Reisekosten")]
    level = closed_loop("http://127.0.0.1:9", {"a": {}, "b": {}}, stream, 2, client)  # nothing listens on 9
    assert level.errors == 3 and level.latencies_ms == []
    assert level.client_cpu_ms > 0
