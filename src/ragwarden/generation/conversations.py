"""Conversation memory for follow-up questions, kept per (principal, conversation id).

Memory never carries document text into a prompt: the standalone question of a follow-up is built
from the caller's own previous *questions* only, and every turn is retrieved afresh for the current
caller's scope. Turns are stored under the pair (principal, conversation id), so a conversation id
sent by another principal finds an empty history: it can neither read nor continue someone else's
conversation, and cannot tell whether the id exists.

Condensing: measured on SmolLM2-135M, asking the model to rewrite a follow-up into a standalone
question failed on 4 of 4 pairs (it answered or invented instead), so the default is a heuristic: a
follow-up (short, or leaning on a pronoun or a connective: "Until when?", "And for part-time staff?",
"Und dafür?") is prefixed with the previous standalone question, which gives the hybrid search the
words it needs. ``condense="llm"`` uses the model for larger (Ollama) models, falling back to the
heuristic when its rewrite is unusable.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ragwarden.core.errors import InvalidRequestError
from ragwarden.generation.language import Language
from ragwarden.generation.llm import ChatMessage, ChatModel, complete
from ragwarden.generation.prompting import neutralize

_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
MAX_STANDALONE_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Turn:
    question: str
    standalone_question: str
    answer: str
    language: Language
    cited_doc_ids: tuple[str, ...] = ()


class ConversationStore(Protocol):
    """Turns by (principal, conversation id); a store never returns another principal's turns."""

    def turns(self, principal: str, conversation_id: str) -> list[Turn]: ...

    def append(self, principal: str, conversation_id: str, turn: Turn) -> None: ...


def new_conversation_id() -> str:
    return uuid.uuid4().hex


def check_conversation_id(conversation_id: str) -> str:
    if not isinstance(conversation_id, str) or not _ID.match(conversation_id):
        raise InvalidRequestError("conversation_id must be 1-128 characters of letters, digits, '-' or '_'")
    return conversation_id


class InMemoryConversationStore:
    """A bounded in-process store: the last ``max_turns`` per conversation, idle ones expire after ``ttl``."""

    def __init__(
        self,
        *,
        max_turns: int = 10,
        ttl: float = 3600.0,
        max_conversations: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_turns = max_turns
        self.ttl = ttl
        self.max_conversations = max_conversations
        self._clock = clock
        self._items: OrderedDict[tuple[str, str], tuple[float, list[Turn]]] = OrderedDict()
        self._lock = threading.Lock()

    def turns(self, principal: str, conversation_id: str) -> list[Turn]:
        key = (principal, conversation_id)
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return []
            touched, turns = item
            if self._clock() - touched > self.ttl:
                del self._items[key]
                return []
            return list(turns)

    def append(self, principal: str, conversation_id: str, turn: Turn) -> None:
        key = (principal, conversation_id)
        with self._lock:
            _, turns = self._items.pop(key, (0.0, []))
            turns = [*turns, turn][-self.max_turns :]
            self._items[key] = (self._clock(), turns)
            while len(self._items) > self.max_conversations:
                self._items.popitem(last=False)


# Pronouns that point back; words as common in standalone questions ("es" in "gibt es", "Sie",
# "there") are left out: a false positive only adds the previous question's words to the search.
_FOLLOW_UP_WORDS = frozenset(
    """it its it's that this these those they them their he she him her his else instead
    dies diese dieser dieses diesen dort dafür dabei davon dazu darauf daran damit darüber deren dessen
    ihn ihm ebenfalls""".split()
)
_FOLLOW_UP_OPENERS = (
    "and ", "but ", "or ", "what about", "how about", "and what", "what if", "also ",
    "und ", "aber ", "oder ", "was ist mit", "wie ist es mit", "und wenn", "und was", "auch ",
)


def is_follow_up(question: str) -> bool:
    """Does the question lean on the previous one? (short, an opener, or an anaphoric pronoun)"""
    text = question.strip().lower()
    words = re.findall(r"[\wäöüß']+", text)
    if len(words) <= 3:
        return True
    if text.startswith(_FOLLOW_UP_OPENERS):
        return True
    return any(word in _FOLLOW_UP_WORDS for word in words)


def condense_heuristic(history: list[Turn], question: str) -> str:
    """The standalone question: the previous one prefixed when this one is a follow-up."""
    if not history or not is_follow_up(question):
        return question
    combined = f"{history[-1].standalone_question} {question}"
    if len(combined) > MAX_STANDALONE_CHARS:
        combined = combined[-MAX_STANDALONE_CHARS:].split(" ", 1)[-1]
    return combined


CONDENSE_INSTRUCTION = (
    "Rewrite the follow-up question as a standalone question that contains all needed details from "
    "the earlier questions. Keep its language. Reply with the question only."
)


def condense_with_model(model: ChatModel, history: list[Turn], question: str) -> str:
    """The standalone question as rewritten by the model (earlier *questions* only, never answers),
    or the heuristic's when the rewrite is empty, multi-line or too long."""
    if not history or not is_follow_up(question):
        return question
    earlier = "\n".join(f"- {neutralize(turn.question)}" for turn in history[-3:])
    messages = [
        ChatMessage("system", CONDENSE_INSTRUCTION),
        ChatMessage("user", f"Earlier questions:\n{earlier}\n\nFollow-up question: {neutralize(question)}"),
    ]
    rewrite = complete(model, messages, max_tokens=96, temperature=0.0).strip().strip('"')
    if not rewrite or "\n" in rewrite or len(rewrite) > 400:
        return condense_heuristic(history, question)
    return rewrite
