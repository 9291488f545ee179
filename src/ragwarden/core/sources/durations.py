"""Durations as people write them in the sources file: 45, "30s", "15m", "1.5h", "1d", "2h30m".

A module of its own: one small grammar, with its help text, that any interval setting can reuse.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from ragwarden.core.errors import ConfigurationError

if TYPE_CHECKING:
    from ragwarden.core.sources.spec import SourceSpec

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(rf"(?:({_NUMBER})d)?\s*(?:({_NUMBER})h)?\s*(?:({_NUMBER})m)?\s*(?:({_NUMBER})s)?")
_UNIT_SECONDS = (86400.0, 3600.0, 60.0, 1.0)
_DURATION_HELP = "write seconds (45) or 30s, 15m, 1h, 1d, 2h30m"


def parse_duration(value: object) -> float:
    """Seconds from 45, 45.5, "45", "30s", "15m", "1.5h", "1d", "2h30m" (units d, h, m, s, largest first)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a duration: {_DURATION_HELP}")
    if isinstance(value, str):
        text = value.strip().lower()
        match = _DURATION.fullmatch(text)
        if re.fullmatch(_NUMBER, text):
            seconds = float(text)
        elif text and match is not None:
            seconds = sum(float(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)
        else:
            raise ValueError(f"{value!r} is not a duration: {_DURATION_HELP}")
    else:
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a duration must be a finite time longer than zero, got {value!r}")
    return seconds


def duration_option(spec: SourceSpec, key: str, default: float) -> float:
    """A source option that is a duration (``default`` when the entry leaves it out), or a clear error."""
    if key not in spec.options:
        return default
    try:
        return parse_duration(spec.options[key])
    except ValueError as exc:
        raise ConfigurationError(f"source {spec.name}: {key}: {exc}") from None
