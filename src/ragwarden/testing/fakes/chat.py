"""A scripted :class:`~ragwarden.generation.llm.ChatModel` for tests of the layers above the LLM.

It records every prompt it receives, so tests can assert what reached the model (only the caller's
chunks) and whether it was called at all. It never replaces a real model in a test that claims the
model works: those use :mod:`.embedded` or the Ollama adapter against a protocol server.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ragwarden.generation.llm import ChatMessage

Reply = str | Callable[[Sequence[ChatMessage]], str]


@dataclass
class ScriptedChatModel:
    """Replies with ``reply`` (a string, or a function of the messages), streamed word by word."""

    reply: Reply = "This is the answer [1]."
    window: int = 4096
    calls: list[list[ChatMessage]] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        return "scripted"

    @property
    def context_window(self) -> int:
        return self.window

    def count_tokens(self, text: str) -> int:
        # Words and punctuation: close enough to a subword tokenizer for packing tests.
        return len(re.findall(r"\w+|[^\w\s]", text))

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        self.calls.append(list(messages))
        text = self.reply(messages) if callable(self.reply) else self.reply
        yield from re.findall(r"\S+\s*|\s+", text)[:max_tokens]

    @property
    def last_prompt(self) -> str:
        """Everything the model saw in its last call, as one string."""
        return "\n".join(m.content for m in self.calls[-1]) if self.calls else ""


@dataclass
class GatedChatModel(ScriptedChatModel):
    """Like the in-process model, one generation at a time under a lock (held while the stream runs);
    each stream yields its first piece, then a space every ``tick`` seconds (a model still decoding)
    until ``gate`` is set, then the rest: a controllable slow model for tests of what waits on it.
    ``entered`` counts streams that got past the lock."""

    gate: threading.Event = field(default_factory=threading.Event)
    entered: int = 0
    tick: float = 0.05
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        with self._lock:
            self.entered += 1
            pieces = list(super().stream(messages, max_tokens=max_tokens, temperature=temperature))
            yield pieces[0]
            while not self.gate.wait(self.tick):
                yield " "
            yield from pieces[1:]
