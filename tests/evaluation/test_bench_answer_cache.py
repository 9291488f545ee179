"""The answer-cache benchmark's smoke run: a short FAQ stream over the demo index (the session's), the cache on
and off side by side; a repeated question by the same person is served from the cache, and every answer served
with the cache reads as the one without it."""

from __future__ import annotations

import argparse

import pytest

from ragwarden.evaluation import bench_answer_cache
from tests.demo_fixtures import Demo


def test_a_short_stream_reuses_answers_and_serves_the_same_text_with_and_without_the_cache(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(models=["scripted"], asks=12, embedded_asks=1, prefill_ms=0.0, token_ms=0.0, seed=5)
    [run] = bench_answer_cache.run(demo.services, args, ["bernd", "clara"])
    assert run.asks == len(run.on_s) == len(run.off_s) == 12
    assert run.hits >= 1 and run.differ_on_hits == 0
    out = capsys.readouterr().out
    assert "hit rate" in out and "hits by wording" in out


def test_the_stream_is_zipf_like_and_worded_as_people_ask() -> None:
    stream = bench_answer_cache.faq_stream(400, ["u1", "u2"], seed=1)
    counts: dict[str, int] = {}
    for ask in stream:
        counts[ask.question] = counts.get(ask.question, 0) + 1
    top = sorted(counts.values(), reverse=True)
    assert top[0] >= 5 * top[len(top) // 2]  # a few questions most of the time
    assert {a.variant for a in stream} == {"verbatim", "respelled", "typo", "paraphrase"}


def test_unknown_models_are_refused() -> None:
    with pytest.raises(SystemExit) as stopped:
        bench_answer_cache.main(["--models", "gpt-9"])
    assert stopped.value.code == 2
