"""The percentiles the benchmarks print, one definition for all that share it."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by nearest rank over the ordered values (index ``round(0.95 * (n - 1))``); NaN when
    there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else math.nan


def median_p95(values: Sequence[float]) -> tuple[float, float]:
    """The median and :func:`p95` of ``values``."""
    return statistics.median(values), p95(values)
