"""Terminal output for long runs: a progress bar and the sync report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from ragwarden.ingestion.sync import SyncReport

T = TypeVar("T")


def progress_bar(label: str) -> Callable[[Iterable[T]], Iterable[T]]:
    """A tqdm bar on a terminal; silent when output is not a terminal (CI, pipes)."""

    def wrap(items: Iterable[T]) -> Iterator[T]:
        from tqdm import tqdm

        yield from tqdm(items, desc=label, unit="doc", disable=not sys.stderr.isatty())

    return wrap


def print_sync_report(report: SyncReport, *, file=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    print(f"{report.source}: {report.summary}", file=file)
    for item in report.failed:
        print(f"  not indexed: {item.source_uri}: {item.reason}", file=file)
