"""A question as it opens a turn of a conversation: checked, then what the request knows before retrieval.

The checks refuse a request before anything is asked of the index or the model (no scope, an empty or
overlong question); :class:`OpenTurn` carries the question, its standalone form (condensed with the
caller's own history by :mod:`ragwarden.generation.conversations`) and the language the answer is
given in. The :class:`~ragwarden.generation.answering.Answerer` opens turns and answers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragwarden.core.errors import InvalidRequestError
from ragwarden.core.models import Scope, require_scope
from ragwarden.generation.conversations import Turn
from ragwarden.generation.language import Language, detect_language

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True, slots=True)
class OpenTurn:
    """What one request knows before retrieval."""

    conversation_id: str
    question: str
    standalone: str
    language: Language
    started: float


def check_question(scope: Scope, question: str) -> str:
    """The question, stripped; a missing scope, an empty question or one too long is refused."""
    require_scope(scope, "answering")
    if not isinstance(question, str) or not question.strip():
        raise InvalidRequestError("the question must not be empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidRequestError(f"the question must be at most {MAX_QUESTION_CHARS} characters")
    return question.strip()


def turn_language(question: str, history: Sequence[Turn], standalone: str) -> Language:
    """The question's own language; for one too short to tell, the conversation's, then the standalone
    question's, then English."""
    return (
        detect_language(question)
        or (history[-1].language if history else None)
        or detect_language(standalone)
        or "en"
    )
