"""What an answer stream yields: :class:`AnswerToken` events as the answer is written, then one
:class:`AnswerComplete` carrying the :class:`AnswerResult` (the answer, its citations, which mode gave
it, and its :class:`Timings`).

Plain values, apart from the :class:`~ragwarden.generation.answering.Answerer` that produces them, so
that the HTTP, Teams and CLI layers that consume a stream read them without the orchestration.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ragwarden.generation.citations import Citation
from ragwarden.generation.language import Language


@dataclass(frozen=True, slots=True)
class Timings:
    """Milliseconds: retrieval, prompt building, the model's first token and whole reply, the turn."""

    retrieve_ms: float = 0.0
    prompt_ms: float = 0.0
    first_token_ms: float | None = None
    generate_ms: float = 0.0
    total_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class AnswerResult:
    answer: str
    citations: tuple[Citation, ...]
    conversation_id: str
    language: Language
    found: bool  # False: the fixed "not found" reply, the model was not asked
    standalone_question: str
    model_id: str
    timings: Timings
    mode: str = "generated"  # "generated" | "extractive"
    sentences: tuple[tuple[str, int | None], ...] = ()  # each sentence and the citation number behind it
    fallback: bool = False  # a generated answer replaced by the extractive one (too little was supported)
    dropped_sentences: int = 0  # generated sentences no source supported
    stopped_loop: bool = False  # generation was stopped because the model repeated itself

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "conversation_id": self.conversation_id,
            "language": self.language,
            "found": self.found,
            "mode": self.mode,
            "sentences": [{"text": text, "citation": number} for text, number in self.sentences],
            "fallback": self.fallback,
            "dropped_sentences": self.dropped_sentences,
            **self.origin(),
        }

    def origin(self) -> dict[str, Any]:
        """What the reader is told about where the text comes from (EU AI Act Art. 50): text a model wrote
        is ``ai_generated`` with the model's name; quotes the system picked from the sources are not generated
        (verbatim sentences) but are marked ``quotes_selected_automatically``; the fixed "not found" reply
        is neither. Search results carry none of this: they are the documents themselves."""
        generated = self.found and self.mode != "extractive" and not self.fallback
        quoted = self.found and not generated
        return {
            "ai_generated": generated,
            "model": self.model_id if generated else None,
            "quotes_selected_automatically": quoted,
        }

    def timings_dict(self) -> dict[str, Any]:
        return asdict(self.timings)


@dataclass(frozen=True, slots=True)
class AnswerToken:
    text: str


@dataclass(frozen=True, slots=True)
class AnswerComplete:
    result: AnswerResult


AnswerEvent = AnswerToken | AnswerComplete
