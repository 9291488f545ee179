"""Citations: the answer's ``[n]`` markers resolved to the sources the prompt held.

A marker can only resolve to a source of this prompt, i.e. to a chunk the retrieval choke point
returned for this caller; a number outside 1..n is ignored. When the answer cites nothing (small
models often do not), every source the answer was generated from is listed with ``cited=False``, so
the reader can still check the answer against them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ragwarden.generation.packing import Source

SNIPPET_CHARS = 240
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")


@dataclass(frozen=True, slots=True)
class Citation:
    number: int
    doc_id: str
    title: str
    source_uri: str
    snippet: str
    section: str = ""
    page: int | None = None
    cited: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers (and the space before each)."""
    return re.sub(r"\s*" + _MARKER.pattern, "", text).strip()


def cited_numbers(answer: str, available: int) -> list[int]:
    """The distinct source numbers the answer cites, in order of first mention, within 1..available."""
    numbers: list[int] = []
    for match in _MARKER.finditer(answer):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            number = int(part)
            if 1 <= number <= available and number not in numbers:
                numbers.append(number)
    return numbers


def resolve_citations(answer: str, sources: Sequence[Source]) -> list[Citation]:
    by_number = {s.number: s for s in sources}
    numbers = cited_numbers(answer, len(sources))
    if numbers:
        return [_citation(by_number[n], cited=True) for n in numbers if n in by_number]
    return [_citation(s, cited=False) for s in sources]


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"


def _citation(source: Source, *, cited: bool) -> Citation:
    return Citation(
        number=source.number,
        doc_id=source.doc_id,
        title=source.title,
        source_uri=source.source_uri,
        snippet=snippet(source.text),
        section=source.section,
        page=source.page,
        cited=cited,
    )
