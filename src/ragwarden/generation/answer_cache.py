"""Generated answers that are never computed twice, and never reach anyone the passages would not.

A model's answer is a function of its prompt (the question and the passages), the model and its settings.
So the key of a cached answer is built from exactly those, never from who asked: the question (normalised:
case, width, spacing and closing punctuation do not count), the prompt those passages make, and per chunk
that grounds the answer, as the retrieval choke point returned it *for this caller*, its point id and a
hash of its whole payload (text, content hash, title, path and the ACL fields with their version), in
order; then the model (its id and context window) and every generation setting that can change the text.
Retrieval runs as always, for every request and under the caller's own scope; the cache only saves the
model's work. Two callers share an entry only when the choke point gave both the same passages, which
each of them may read; a re-stamp or an edit of any of those chunks changes the key, so the old entry
is never found again (it ages out: least recently used first, by count and bytes, and after a TTL).

What is kept is the model's pieces as it streamed them, and the hash of the prompt that produced them;
a hit replays them through the same code as a fresh answer (loop stop, faithfulness guard, citations,
conversation memory, the audit record, which says ``cached``), so a served answer has the shape of a
fresh one. An answer is stored only when its generation finished: an abandoned or failed stream is not.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ragwarden.core.audit import prompt_sha256
from ragwarden.core.models import SearchHit
from ragwarden.core.settings.generation import GenerationFields
from ragwarden.generation.language import Language
from ragwarden.generation.llm import ChatMessage
from ragwarden.generation.packing import Source
from ragwarden.generation.prompting import build_messages

KEY_VERSION = "ragwarden-answer-cache/1"
ENTRY_OVERHEAD = 256  # bytes per entry beyond its pieces: the key, the prompt hash, the bookkeeping
# Settings that decide when and how often an answer is made, not what it says: left out of the key.
# Everything else is in it, so a field added later splits the cache rather than sharing it wrongly.
NOT_IN_KEY = frozenset(
    {
        "answer_concurrency", "answer_queue_size", "answer_per_caller", "answer_wait_timeout",
        "answer_cache_size", "answer_cache_max_bytes", "answer_cache_ttl_seconds",
        "conversation_max_turns", "conversation_ttl_seconds", "conversation_max_count",
        "conversation_max_bytes", "conversation_max_bytes_each",
        "ollama_connect_timeout", "ollama_read_timeout", "ollama_request_timeout", "ollama_keep_alive",
        "llm_threads", "llm_cache_dir",
    }
)  # fmt: skip
_CLOSING = " \t?!.\u2026\u00bf\u00a1"


def normalised_question(question: str) -> str:
    """What the cache compares of a question: NFKC, case-folded (ß = ss), soft hyphens gone, runs of
    spaces as one, closing punctuation ignored. "Wie viele Urlaubstage?" and "wie  viele urlaubstage" match;
    a typo or a paraphrase does not (it is another question, and gets its own answer)."""
    text = unicodedata.normalize("NFKC", question).replace("\u00ad", "").casefold()
    return " ".join(text.split()).strip(_CLOSING)


def chunk_fingerprint(hit: SearchHit) -> list[str]:
    """A chunk as the cache sees it: its point id and the hash of its whole payload (canonical JSON). The
    ACL fields (``acl_allow``, ``acl_deny``, ``acl_share``, ``acl_version``), the text and the document's
    content hash are all in it; the score is not (it moves with the query's wording, not the passage)."""
    canonical = json.dumps(dict(hit.payload), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return [hit.point_id, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]


def settings_fingerprint(settings: GenerationFields, *, guard: bool, mode: str) -> str:
    """The hash of every generation setting that can change an answer's text, the guard and the mode."""
    values = {name: getattr(settings, name) for name in GenerationFields.model_fields if name not in NOT_IN_KEY}
    values |= {"guard": guard, "mode": mode}
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyParts:
    """Everything an answer's key is made of (and nothing about the caller)."""

    question: str
    language: Language
    hits: Sequence[SearchHit]  # the chunks that ground the answer, in the choke point's order
    sources: Sequence[Source]  # what of them was packed into the prompt
    model_id: str
    context_window: int
    settings: str  # :func:`settings_fingerprint`


def answer_key(parts: KeyParts, *, few_shot: bool) -> str:
    """The cache key: SHA-256 over the normalised question's prompt, the grounding chunks' fingerprints,
    the language, the model and the settings."""
    prompt = build_messages(normalised_question(parts.question), parts.sources, parts.language, few_shot=few_shot)
    material = [
        KEY_VERSION,
        prompt_sha256(prompt),
        parts.language,
        [chunk_fingerprint(hit) for hit in parts.hits],
        parts.model_id,
        parts.context_window,
        parts.settings,
    ]
    canonical = json.dumps(material, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    pieces: tuple[str, ...]
    prompt_sha256: str  # of the prompt that produced the pieces
    stored: float  # the cache clock when it was stored
    size: int  # bytes counted against the cache's budget


class ReplayModel:
    """A cached answer's pieces, streamed again as the model streamed them."""

    def __init__(self, model: Any, pieces: Sequence[str]) -> None:
        self.model_id, self.context_window, self._pieces = model.model_id, model.context_window, tuple(pieces)

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float) -> Iterator[str]:
        yield from self._pieces


@dataclass
class Generation:
    """How one answer's text will be made: by ``model`` (the chat model, or a :class:`ReplayModel` of a
    cached answer) from a prompt with hash ``prompt_sha256``; :meth:`finished` stores a fresh one."""

    model: Any
    prompt_sha256: str
    cached: bool = False
    cache: AnswerCache | None = None
    key: str | None = None

    def finished(self, pieces: Sequence[str]) -> None:
        """The generation ran to its end (not abandoned, not failed): keep it for the next same request."""
        if self.cache is not None and self.key is not None and not self.cached:
            self.cache.put(self.key, pieces, self.prompt_sha256)


@dataclass
class AnswerCache:
    """A bounded LRU of generated answers, by entries and bytes, each kept at most ``ttl`` seconds.
    Thread-safe: one cache serves every request of the process."""

    max_entries: int
    max_bytes: int
    ttl: float
    clock: Callable[[], float] = time.monotonic
    hits: int = 0
    misses: int = 0
    _entries: OrderedDict[str, CachedAnswer] = field(default_factory=OrderedDict, repr=False)
    _bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def generation(self, key: str, model: Any, prompt_hash: str) -> Generation:
        """A replay of the answer stored under ``key``, or the model (the answer is stored when it finishes)."""
        entry = self.get(key)
        if entry is None:
            return Generation(model, prompt_hash, cache=self, key=key)
        return Generation(ReplayModel(model, entry.pieces), entry.prompt_sha256, cached=True)

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self.clock() - entry.stored > self.ttl:
                self._drop(key)
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, pieces: Sequence[str], prompt_hash: str) -> None:
        size = sum(len(p.encode("utf-8")) for p in pieces) + ENTRY_OVERHEAD
        if size > self.max_bytes or self.max_entries <= 0:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = CachedAnswer(tuple(pieces), prompt_hash, self.clock(), size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def _drop(self, key: str) -> None:
        self._bytes -= self._entries.pop(key).size


def answer_cache_for(settings: GenerationFields) -> AnswerCache | None:
    """The cache the settings ask for; None when ``RAGWARDEN_ANSWER_CACHE_SIZE`` is 0."""
    if settings.answer_cache_size <= 0:
        return None
    return AnswerCache(settings.answer_cache_size, settings.answer_cache_max_bytes, settings.answer_cache_ttl_seconds)
