"""The answer benchmark runs the real embedded model end to end and prints its figures."""

from __future__ import annotations

import json

import pytest

from ragwarden.evaluation.bench_answer import main, typical_prompt


def test_the_typical_prompt_has_five_different_sources_per_repeat() -> None:
    question, sources = typical_prompt(0)
    _, next_sources = typical_prompt(1)
    assert len(sources) == 5 and [s.number for s in sources] == [1, 2, 3, 4, 5]
    assert question.startswith("What are the rules for")
    assert {s.text for s in sources} != {s.text for s in next_sources}


def test_the_benchmark_prints_time_to_first_token_and_tokens_per_second(
    capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert main(["--repeats", "1", "--max-tokens", "8", "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)["answer_benchmark"]
    assert report["loader"] == "llama-cpp" and report["prompt_tokens_median"] > 500
    assert report["ttft_s_median"] > 0 and report["decode_tokens_per_s_median"] > 0
