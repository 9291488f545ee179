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
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

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


# What a stored turn costs beyond its strings: the Turn object, its tuple, the list slot (measured
# with sys.getsizeof on CPython 3.11: ~200 bytes; rounded up so the bound errs on the safe side).
TURN_OVERHEAD_BYTES = 256
CONVERSATION_OVERHEAD_BYTES = 512  # the key tuple, the entry, the ordered dict's slot


def turn_bytes(turn: Turn) -> int:
    """Memory a stored turn holds (CPython string sizes: 1, 2 or 4 bytes per character plus header)."""
    texts = (turn.question, turn.standalone_question, turn.answer, turn.language, *turn.cited_doc_ids)
    return TURN_OVERHEAD_BYTES + sum(sys.getsizeof(text) for text in texts)


@dataclass(slots=True)
class _Conversation:
    touched: float
    turns: list[Turn]
    size: int
    times: list[float]  # when each turn was stored (the store's clock), for retention


class InMemoryConversationStore:
    """A bounded in-process store, by count, by bytes and by age.

    Per conversation: the last ``max_turns`` turns, and no more than ``max_bytes_each`` (older turns
    go first; a single turn larger than that is not remembered). Over all: at most
    ``max_conversations`` and ``max_bytes``, the least recently continued conversation evicted first;
    one idle for longer than ``ttl`` is dropped, whether or not anyone asks for it again. Losing memory
    only makes a follow-up less precise; every turn is retrieved afresh for the caller's scope anyway.
    """

    def __init__(
        self,
        *,
        max_turns: int = 10,
        ttl: float = 3600.0,
        max_conversations: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        max_bytes_each: int = 64 * 1024,
        clock: Callable[[], float] = time.monotonic,
        retention: float | None = None,
    ) -> None:
        """``retention`` (RAGWARDEN_RETENTION_CONVERSATIONS): no turn is kept longer than this after it was
        stored, however busy its conversation; an idle conversation goes after ``ttl`` as before."""
        self.max_turns = max_turns
        self.ttl = ttl
        self.max_conversations = max_conversations
        self.max_bytes = max_bytes
        self.max_bytes_each = max_bytes_each
        self.retention = retention
        self._clock = clock
        # Ordered by last append (monotonic clock): the first entry is always the oldest.
        self._items: OrderedDict[tuple[str, str], _Conversation] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def turns(self, principal: str, conversation_id: str) -> list[Turn]:
        with self._lock:
            self._expire(self._clock())
            item = self._items.get((principal, conversation_id))
            return list(item.turns) if item is not None else []

    def append(self, principal: str, conversation_id: str, turn: Turn) -> None:
        key = (principal, conversation_id)
        with self._lock:
            now = self._clock()
            self._expire(now)
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            turns = [*(old.turns if old else []), turn][-self.max_turns :]
            times = [*(old.times if old else []), now][-self.max_turns :]
            self._keep(key, turns, times, now)
            self._evict()

    def _keep(self, key: tuple[str, str], turns: list[Turn], times: list[float], touched: float) -> None:
        base = CONVERSATION_OVERHEAD_BYTES + sys.getsizeof(key[0]) + sys.getsizeof(key[1])
        sizes = [turn_bytes(t) for t in turns]
        while turns and base + sum(sizes) > self.max_bytes_each:
            turns, sizes, times = turns[1:], sizes[1:], times[1:]
        if turns:
            size = base + sum(sizes)
            self._items[key] = _Conversation(touched, turns, size, times)
            self._bytes += size

    def of(self, principal: str) -> dict[str, list[tuple[float, Turn]]]:
        """Every conversation of ``principal`` (DSGVO access): id → (age in seconds, turn), oldest first."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            return {cid: [(now - at, t) for at, t in zip(item.times, item.turns, strict=True)]
                    for (who, cid), item in self._items.items() if who == principal}

    def erase(self, principal: str) -> int:
        """Drop every conversation of ``principal`` (DSGVO erasure); how many turns went."""
        with self._lock:
            keys = [k for k in self._items if k[0] == principal]
            turns = sum(len(self._items[k].turns) for k in keys)
            for key in keys:
                self._drop(key)
        return turns

    def forget_documents(self, doc_ids: set[str]) -> int:
        """Drop every conversation that cited one of ``doc_ids`` (a forgotten document's text may live on in
        an answer kept for follow-ups); how many conversations went."""
        with self._lock:
            keys = [k for k, item in self._items.items() if any(set(t.cited_doc_ids) & doc_ids for t in item.turns)]
            for key in keys:
                self._drop(key)
        return len(keys)

    def sweep(self) -> int:
        """Enforce ``ttl`` and ``retention`` now (the serving process's retention sweep); turns removed."""
        with self._lock:
            before = sum(len(item.turns) for item in self._items.values())
            self._expire(self._clock())
            return before - sum(len(item.turns) for item in self._items.values())

    def _expire(self, now: float) -> None:
        while self._items:
            key, item = next(iter(self._items.items()))
            if now - item.touched <= self.ttl:
                break
            self._drop(key)
        if self.retention is None:
            return
        for key in [k for k, item in self._items.items() if now - item.times[0] > self.retention]:
            item = self._items[key]  # trimmed in place: the order by last append stays as it is
            old = len(item.turns)
            first = next((i for i, at in enumerate(item.times) if now - at <= self.retention), old)
            if first == old:
                self._drop(key)
                continue
            gone = sum(turn_bytes(t) for t in item.turns[:first])
            item.turns, item.times, item.size = item.turns[first:], item.times[first:], item.size - gone
            self._bytes -= gone

    def _evict(self) -> None:
        while self._items and (len(self._items) > self.max_conversations or self._bytes > self.max_bytes):
            self._drop(next(iter(self._items)))

    def _drop(self, key: tuple[str, str]) -> None:
        self._bytes -= self._items.pop(key).size


def memory_for(s: Any) -> InMemoryConversationStore:
    """The store the settings describe (``retention`` from RAGWARDEN_RETENTION_CONVERSATIONS, when set)."""
    return InMemoryConversationStore(
        max_turns=s.conversation_max_turns,
        ttl=s.conversation_ttl_seconds,
        max_conversations=s.conversation_max_count,
        max_bytes=s.conversation_max_bytes,
        max_bytes_each=s.conversation_max_bytes_each,
        retention=getattr(s, "retention_conversations", None),
    )


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
