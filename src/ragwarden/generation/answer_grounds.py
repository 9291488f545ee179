"""What an answer is built from, announced inside the answer stream before any text (see
:meth:`~ragwarden.generation.answering.Answerer.answer_stream`, which writes the audit record from it), and
the stream with those announcements taken out again: callers never see them."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

from ragwarden.core.models import SearchHit
from ragwarden.generation.answer_events import AnswerEvent


@dataclass(frozen=True, slots=True)
class Grounds:
    """Never leaves :meth:`Answerer.answer_stream`: what the answer is about to be built from,
    yielded before any text so that the audit record is written before the caller reads a word. Every
    chunk that could reach the answer is named (the passages given to the model or the quote extractor)."""

    hits: tuple[SearchHit, ...]
    model: str
    prompt_sha256: str | None
    refused: bool
    cached: bool = False  # the text is a generated answer replayed from the answer cache


def prepended(
    first: AnswerEvent | Grounds, rest: Generator[AnswerEvent | Grounds, None, None]
) -> Iterator[AnswerEvent]:
    """``first``, then the rest, without grounds (a fallback's: the first record named them already)."""
    try:
        if not isinstance(first, Grounds):
            yield first
        for event in rest:
            if not isinstance(event, Grounds):
                yield event
    finally:
        rest.close()
