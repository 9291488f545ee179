"""The model's pieces as answer events: streamed, collected, cut off when the text repeats itself, and the
model released at once when the answer is abandoned (out of ``answering.py`` to keep it short)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from ragwarden.generation.answer_events import AnswerEvent, AnswerToken
from ragwarden.generation.faithfulness import LoopStop
from ragwarden.generation.llm import ChatMessage


def stream_pieces(
    model: Any,
    messages: list[ChatMessage],
    settings: Any,
    clock: Callable[[], float],
    pieces: list[str],
    loop: LoopStop | None = None,
) -> Generator[AnswerEvent, None, float | None]:
    """Streams the model's pieces as events (collecting them); returns the first piece's time. A ``loop``
    that sees the text repeat itself ends generation there."""
    first: float | None = None
    stream = model.stream(messages, max_tokens=settings.answer_max_tokens, temperature=settings.answer_temperature)
    try:
        for piece in stream:
            if first is None:
                first = clock()
            pieces.append(piece)
            yield AnswerToken(piece)
            if loop is not None and loop.feed(piece):
                break
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()  # an abandoned answer releases the model (and its lock) at once
    return first
