"""The REAL in-process model (SmolLM2-135M in llama.cpp) never parks a caller without limit: a stream
waits at most ``lock_timeout`` for the one llama.cpp context, then fails as busy (503, Retry-After)."""

from __future__ import annotations

import time

import pytest

from ragwarden.api.errors import retry_after, status_for
from ragwarden.generation.embedded import LlamaCppChatModel
from ragwarden.generation.errors import LLMBusyError
from ragwarden.generation.llm import ChatMessage
from ragwarden.generation.settings import GenerationSettings, build_chat_model

MESSAGES = [ChatMessage("user", "Count from one to fifty, separated by commas.")]


@pytest.fixture(scope="module")
def model() -> LlamaCppChatModel:
    built = LlamaCppChatModel(threads=2, lock_timeout=0.5)
    built.load()
    return built


def test_a_second_stream_waits_at_most_the_lock_timeout_then_is_refused_as_busy(model: LlamaCppChatModel) -> None:
    holder = model.stream(MESSAGES, max_tokens=64, temperature=0.0)
    assert next(holder)  # the first stream holds the context
    try:
        started = time.monotonic()
        with pytest.raises(LLMBusyError) as refused:
            next(model.stream(MESSAGES, max_tokens=8, temperature=0.0))
        assert 0.4 < time.monotonic() - started < 5.0
        assert status_for(refused.value)[0] == 503 and retry_after(refused.value) == "1"
    finally:
        holder.close()  # an abandoned stream gives the context back at once
    assert "".join(model.stream(MESSAGES, max_tokens=4, temperature=0.0))


def test_the_configured_wait_timeout_reaches_the_model() -> None:
    built = build_chat_model(GenerationSettings(answer_wait_timeout=7.5))
    assert isinstance(built, LlamaCppChatModel) and built.lock_timeout == 7.5
