"""Context packing: retrieval hits → the numbered sources that fit the model's window.

In rank order: drop hits whose text repeats one already taken (exact, or contained in it), join a hit
to an adjacent chunk of the same document already taken (removing the chunker's overlap, so the
overlapping words are not paid for twice), cap the chunks per document (so one long document cannot
crowd out the others), cap the number of sources, and stop adding what does not fit the token budget.
Every source is built only from the hits it was given: the retrieval choke point's output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ragwarden.core.models import SearchHit

MIN_OVERLAP_CHARS = 12


@dataclass(frozen=True, slots=True)
class Source:
    """One numbered source of a prompt: the text of one or more adjacent chunks of one document."""

    number: int
    doc_id: str
    title: str
    source_uri: str
    text: str
    score: float
    chunk_indexes: tuple[int, ...]
    point_ids: tuple[str, ...]
    section: str = ""
    page: int | None = None


@dataclass(frozen=True, slots=True)
class PackingLimits:
    budget_tokens: int
    max_sources: int = 5
    max_chunks_per_document: int = 3


def pack_sources(
    hits: Sequence[SearchHit],
    limits: PackingLimits,
    cost: Callable[[Source], int],
) -> list[Source]:
    """The sources for the prompt, numbered from 1 in rank order; ``cost`` is a source's tokens."""
    merged = _merge(hits, limits.max_chunks_per_document)
    chosen: list[Source] = []
    spent = 0
    for source in merged:
        if len(chosen) >= limits.max_sources:
            break
        tokens = cost(source)
        if spent + tokens > limits.budget_tokens:
            if chosen:
                continue  # a later, shorter source may still fit
            source = _truncated(source, limits.budget_tokens, cost)
            tokens = cost(source)
            if tokens > limits.budget_tokens or not source.text:
                break
        chosen.append(source)
        spent += tokens
    return [replace(s, number=i) for i, s in enumerate(chosen, start=1)]


def _merge(hits: Sequence[SearchHit], per_document: int) -> list[Source]:
    sources: list[Source] = []
    seen_texts: list[str] = []
    chunks_of: dict[str, int] = {}
    for hit in hits:
        text = hit.text.strip()
        key = _normalized(text)
        if not key or any(key in seen for seen in seen_texts):
            continue
        if chunks_of.get(hit.doc_id, 0) >= per_document:
            continue
        chunks_of[hit.doc_id] = chunks_of.get(hit.doc_id, 0) + 1
        seen_texts.append(key)
        index = _chunk_index(hit)
        neighbour = _adjacent(sources, hit.doc_id, index)
        if neighbour is None:
            sources.append(_source(hit, text, index))
        else:
            at = sources.index(neighbour)
            sources[at] = _joined(neighbour, hit, text, index)
    return sources


def _source(hit: SearchHit, text: str, index: int | None) -> Source:
    payload = hit.payload
    page = payload.get("page")
    return Source(
        number=0,
        doc_id=hit.doc_id,
        title=str(payload.get("title") or ""),
        source_uri=str(payload.get("source_uri") or ""),
        text=text,
        score=hit.score,
        chunk_indexes=(index,) if index is not None else (),
        point_ids=(hit.point_id,),
        section=str(payload.get("section") or ""),
        page=page if isinstance(page, int) else None,
    )


def _adjacent(sources: list[Source], doc_id: str, index: int | None) -> Source | None:
    if index is None:
        return None
    for source in sources:
        if source.doc_id == doc_id and source.chunk_indexes and (
            index == min(source.chunk_indexes) - 1 or index == max(source.chunk_indexes) + 1
        ):
            return source
    return None


def _joined(source: Source, hit: SearchHit, text: str, index: int | None) -> Source:
    assert index is not None
    before = index < min(source.chunk_indexes)
    first, second = (text, source.text) if before else (source.text, text)
    overlap = _overlap(first, second)
    joined = first + second[overlap:] if overlap else f"{first}\n{second}"
    return replace(
        source,
        text=joined,
        score=max(source.score, hit.score),
        chunk_indexes=tuple(sorted((*source.chunk_indexes, index))),
        point_ids=(*source.point_ids, hit.point_id),
    )


def _overlap(first: str, second: str) -> int:
    """Length of the longest suffix of ``first`` that is a prefix of ``second`` (the chunker's overlap)."""
    for size in range(min(len(first), len(second)), MIN_OVERLAP_CHARS - 1, -1):
        if first.endswith(second[:size]):
            return size
    return 0


def _truncated(source: Source, budget: int, cost: Callable[[Source], int]) -> Source:
    """The first source alone is too long: cut it (at a word) until it fits."""
    text = source.text
    for _ in range(6):
        over = cost(replace(source, text=text))
        if over <= budget or not text:
            break
        keep = max(0, int(len(text) * budget / over * 0.9))
        text = text[:keep].rsplit(" ", 1)[0] if " " in text[:keep] else text[:keep]
    return replace(source, text=text)


def _chunk_index(hit: SearchHit) -> int | None:
    value = hit.payload.get("chunk_index")
    return value if isinstance(value, int) else None


def _normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()
