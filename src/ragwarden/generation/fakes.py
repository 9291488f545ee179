"""A scripted :class:`~ragwarden.generation.llm.ChatModel` for tests of the layers above the LLM.

It records every prompt it receives, so tests can assert what reached the model (only the caller's
chunks) and whether it was called at all. It never replaces a real model in a test that claims the
model works: those use :mod:`.embedded` or the Ollama adapter against a protocol server.
"""

from __future__ import annotations

import re
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
