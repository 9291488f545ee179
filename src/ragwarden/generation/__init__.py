"""Answers from a local LLM, grounded in the caller's own documents (issue 3).

Entry points: :func:`build_chat_model` and :class:`Answerer` (see :mod:`.answering`), configured by
:class:`GenerationSettings`. Heavy backends (llama.cpp, transformers, ollama) load lazily.
"""

from ragwarden.generation.answer_cache import AnswerCache, answer_cache_for
from ragwarden.generation.answer_events import AnswerComplete, AnswerEvent, AnswerResult, AnswerToken, Timings
from ragwarden.generation.answering import Answerer, SearchesDocuments
from ragwarden.generation.citations import Citation
from ragwarden.generation.conversations import ConversationStore, InMemoryConversationStore, Turn
from ragwarden.generation.llm import ChatMessage, ChatModel, complete
from ragwarden.generation.prompting import NOT_FOUND
from ragwarden.generation.settings import GenerationSettings, build_chat_model, generation_settings

__all__ = [
    "NOT_FOUND",
    "AnswerCache",
    "AnswerComplete",
    "AnswerEvent",
    "AnswerResult",
    "AnswerToken",
    "Answerer",
    "ChatMessage",
    "ChatModel",
    "Citation",
    "ConversationStore",
    "InMemoryConversationStore",
    "SearchesDocuments",
    "Timings",
    "Turn",
    "GenerationSettings",
    "answer_cache_for",
    "build_chat_model",
    "complete",
    "generation_settings",
]
