"""`ragwarden bench page` keeps working: a few typed queries, each timed from its last keystroke to
its results on screen, with the server's time for the same request."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from ragwarden.api.app import create_app
from ragwarden.evaluation import bench_page, benchmarks
from ragwarden.evaluation.bench_page import bench_queries, report, run, serve
from tests.demo_fixtures import Demo

DEBOUNCE_MS = 60  # search.js: nothing can be on screen sooner after the last key


@pytest.fixture(scope="module")
def timed_page_url(demo: Demo) -> Iterator[str]:
    """The page as `bench page` serves it: local mode, with Server-Timing (RAGWARDEN_EXPOSE_TIMINGS)."""
    update = {"auth_mode": "local", "expose_timings": True}
    timed = dataclasses.replace(demo.services, settings=demo.services.settings.model_copy(update=update))
    with serve(create_app(timed)) as url:
        yield url


def test_bench_page_times_each_typed_query_from_its_last_keystroke_to_its_rendered_results(
    browser: Any, timed_page_url: str, demo: Demo
) -> None:
    plan = bench_queries(10, demo.users)
    assert len({q for _, q in plan}) == 10 and len({u for u, _ in plan}) == min(10, len(demo.users))
    samples = run(timed_page_url, browser, plan, delay_ms=60)
    assert [(s.user, s.query) for s in samples] == plan
    assert all(s.browser_ms >= DEBOUNCE_MS for s in samples), samples
    assert all(s.server_ms is not None and 0 < s.server_ms < s.browser_ms for s in samples), samples
    text, _ = report(samples, 60)
    assert "keystroke → rendered" in text and "server /v1/search" in text and "p95 ≤ 150 ms" in text
    assert benchmarks.BENCHMARKS["page"] is bench_page.main


def test_bench_queries_reach_two_hundred_distinct_typed_queries(demo: Demo) -> None:
    plan = bench_queries(200, demo.users)
    assert len(plan) == 200 and len({q for _, q in plan}) == 200
    assert all(3 <= len(q) <= 48 for _, q in plan)
