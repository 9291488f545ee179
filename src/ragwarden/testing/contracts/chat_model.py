"""The contract of the :class:`~ragwarden.generation.llm.ChatModel` port, run against every adapter and fake.

Subclass :class:`ChatModelContract` in a test module and provide the ``chat_model`` fixture; optionally
``reference_answer`` (the adapter's answer computed *without* streaming, to check that the streamed pieces
add up to it) and ``broken_chat_model`` (the same adapter with its backend gone: server down, model file
not a model)::

    class TestMyChatModel(ChatModelContract):
        @pytest.fixture
        def chat_model(self) -> ChatModel:
            return MyChatModel()

What the port defines, and so what is checked here:

- ``stream`` yields non-empty text pieces as they are generated; ``"".join`` of them is the answer, and
  ``max_tokens`` bounds it. At temperature 0 the answer repeats.
- Cancelling is closing the stream (``stream.close()``, which a ``for`` loop's owner does when the client
  goes away): it returns at once, stops the generation and frees the model for the next caller.
- Failures are ragwarden errors (:mod:`ragwarden.generation.errors`), never a backend's own exception and
  never a hang: a prompt beyond ``context_window`` is :class:`PromptTooLongError` before any text where
  the adapter can tell (``oversized_prompt = "refused"``; a server that cuts prompts itself, as Ollama
  keeps their end, and a fake that ignores the window answer: ``"answered"``), a lost backend is a
  ``ConfigurationError`` or ``TransientError`` within seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import pytest

from ragwarden.core.errors import ConfigurationError, TransientError
from ragwarden.generation.errors import PromptTooLongError
from ragwarden.generation.llm import ChatMessage, ChatModel, complete

#: the answer to ``messages`` with at most ``max_tokens`` tokens, at temperature 0, computed without streaming
ReferenceAnswer = Callable[[Sequence[ChatMessage], int], str]

# Every role, and non-ASCII text for a model to echo: a stream must not cut a character between two pieces.
PROMPT = (
    ChatMessage("system", "Du bist ein hilfsbereiter Assistent. Antworte auf Deutsch."),
    ChatMessage("user", "Wie heißt die Hauptstadt von Österreich?"),
    ChatMessage("assistant", "Die Hauptstadt von Österreich ist Wien."),
    ChatMessage("user", "Nenne drei Wörter mit Umlauten, zum Beispiel Grüße oder Bücher."),
)
LONG_ANSWER = (ChatMessage("user", "Write a long story about a cat who travels the world."),)
ANSWER_TOKENS = 24
CANCEL_TOKENS = 64  # more than a model generates in ``cancel_within`` seconds here


class ChatModelContract:
    """What every ``ChatModel`` guarantees; an adapter's test class subclasses this once."""

    oversized_prompt: Literal["refused", "answered"] = "refused"
    cancel_within: float = 1.0  # seconds for closing a stream in the middle of a long answer
    fail_within: float = 5.0  # seconds for a lost backend to be reported

    @pytest.fixture
    def chat_model(self) -> ChatModel:
        raise NotImplementedError("a subclass provides the chat model under test as the `chat_model` fixture")

    @pytest.fixture
    def reference_answer(self) -> ReferenceAnswer | None:
        return None

    @pytest.fixture
    def broken_chat_model(self) -> ChatModel | None:
        return None

    def test_it_satisfies_the_port_with_a_model_id_and_a_context_window(self, chat_model: ChatModel) -> None:
        assert isinstance(chat_model, ChatModel)
        assert isinstance(chat_model.model_id, str) and chat_model.model_id.strip()
        assert isinstance(chat_model.context_window, int) and chat_model.context_window > 0

    def test_count_tokens_is_zero_for_nothing_and_grows_with_the_text(self, chat_model: ChatModel) -> None:
        one = chat_model.count_tokens("Urlaubsanträge")
        assert chat_model.count_tokens("") == 0
        assert 0 < one < chat_model.count_tokens("Urlaubsanträge werden im Personalportal gestellt. " * 20)

    def test_the_streamed_pieces_are_text_and_add_up_to_the_answer(
        self, chat_model: ChatModel, reference_answer: ReferenceAnswer | None
    ) -> None:
        pieces = list(chat_model.stream(PROMPT, max_tokens=ANSWER_TOKENS, temperature=0.0))
        assert all(isinstance(piece, str) and piece for piece in pieces), pieces
        assert len(pieces) >= 2, f"an answer of several words arrives in one piece: {pieces}"
        if reference_answer is not None:
            assert "".join(pieces) == reference_answer(PROMPT, ANSWER_TOKENS)

    def test_max_tokens_bounds_the_answer(self, chat_model: ChatModel) -> None:
        # A piece holds at least one token. (Not ``count_tokens`` of the text: it may be an upper estimate.)
        pieces = list(chat_model.stream(LONG_ANSWER, max_tokens=4, temperature=0.0))
        assert 1 <= len(pieces) <= 4, pieces

    def test_at_temperature_zero_the_answer_repeats(self, chat_model: ChatModel) -> None:
        first = complete(chat_model, PROMPT, max_tokens=12, temperature=0.0)
        assert first and complete(chat_model, PROMPT, max_tokens=12, temperature=0.0) == first

    def test_closing_a_stream_midway_stops_it_at_once_and_frees_the_model(self, chat_model: ChatModel) -> None:
        stream = chat_model.stream(LONG_ANSWER, max_tokens=CANCEL_TOKENS, temperature=0.0)
        close = getattr(stream, "close", None)
        assert isinstance(stream, Iterator) and callable(close), "a stream is cancelled by closing it"
        assert next(stream)
        started = time.monotonic()
        close()
        took = time.monotonic() - started
        assert took <= self.cancel_within, f"closing the stream took {took:.1f} s: the generation ran on"
        with pytest.raises(StopIteration):
            next(stream)
        assert complete(chat_model, PROMPT, max_tokens=4, temperature=0.0), "the model was not free again"

    def test_an_empty_user_message_is_answered_not_crashed_on(self, chat_model: ChatModel) -> None:
        pieces = list(chat_model.stream([ChatMessage("user", "")], max_tokens=8, temperature=0.0))
        assert all(isinstance(piece, str) and piece for piece in pieces)

    def test_a_prompt_beyond_the_context_window_is_refused_or_answered_as_declared(
        self, chat_model: ChatModel
    ) -> None:
        words = "Urlaub " * (2 * chat_model.context_window)
        assert chat_model.count_tokens(words) > chat_model.context_window
        oversized = [ChatMessage("user", words + "How many days?")]
        if self.oversized_prompt == "answered":
            assert isinstance(complete(chat_model, oversized, max_tokens=4), str)
            return
        received: list[str] = []
        with pytest.raises(PromptTooLongError):
            for piece in chat_model.stream(oversized, max_tokens=4, temperature=0.0):
                received.append(piece)
        assert received == [], "text was streamed before the prompt was refused"
        assert complete(chat_model, PROMPT, max_tokens=4, temperature=0.0), "the model was not free again"

    def test_a_lost_backend_is_a_ragwarden_error_within_seconds(self, broken_chat_model: ChatModel | None) -> None:
        if broken_chat_model is None:
            pytest.skip("this chat model has no backend that can be lost")
        received: list[str] = []
        started = time.monotonic()
        with pytest.raises((ConfigurationError, TransientError)):
            for piece in broken_chat_model.stream(PROMPT, max_tokens=4, temperature=0.0):
                received.append(piece)
        assert time.monotonic() - started <= self.fail_within
        assert received == []
