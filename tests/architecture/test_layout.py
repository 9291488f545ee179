"""Where things live: what the CLI offers matches what exists."""

from __future__ import annotations


def test_the_cli_offers_exactly_the_benchmarks_there_are() -> None:
    from ragwarden import cli
    from ragwarden.evaluation import benchmarks

    assert set(cli.BENCHMARKS) == set(benchmarks.BENCHMARKS)
