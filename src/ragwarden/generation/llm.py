"""The one seam for every LLM backend: a small :class:`ChatModel` protocol.

A chat model has one essential method, :meth:`ChatModel.stream`; a whole reply (:func:`complete`) derives
from it. ``count_tokens`` and ``context_window`` let the answering layer pack the prompt to the window.
Adapters: :mod:`.embedded` (llama.cpp, in-process, the default), :mod:`.hf_gguf` (transformers' GGUF
loader), :mod:`.ollama_chat` (an Ollama server); :mod:`.fakes` for tests.

Why not llama-index's ``LLM``: it would add two integration packages (llama.cpp, Ollama) and their
import time for four members we need, and a fake of it is far larger than a fake of this protocol.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@runtime_checkable
class ChatModel(Protocol):
    """A chat LLM. ``stream`` yields text pieces as they are generated; the model's chat template applies."""

    @property
    def model_id(self) -> str: ...

    @property
    def context_window(self) -> int:
        """Tokens the model can attend to: prompt and generated tokens together."""

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer (an upper estimate where no tokenizer is at hand)."""

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Iterator[str]: ...


def complete(
    model: ChatModel, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0
) -> str:
    """The whole reply, derived from :meth:`ChatModel.stream`."""
    return "".join(model.stream(messages, max_tokens=max_tokens, temperature=temperature))


# Chat templates wrap every message in a few special tokens (role markers, separators); an upper bound
# per message keeps packing safe without rendering the template for every candidate.
TEMPLATE_TOKENS_PER_MESSAGE = 8


def count_message_tokens(model: ChatModel, messages: Sequence[ChatMessage]) -> int:
    """An upper estimate of the prompt tokens of ``messages`` after the chat template is applied."""
    return sum(model.count_tokens(m.content) + TEMPLATE_TOKENS_PER_MESSAGE for m in messages) + 4
