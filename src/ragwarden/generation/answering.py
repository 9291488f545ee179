"""Answering: the caller's question → permission-filtered retrieval → a grounded, cited answer.

The prompt is built only from what the retrieval choke point returned for *this* caller's scope, on
every turn (conversation memory holds the caller's questions, never document text). When nothing
relevant is retrieved, the fixed "not found" reply is returned without calling the model; it reads
the same whether nothing exists or nothing is visible, so it cannot hint at a forbidden document.

``answer_stream`` yields :class:`~ragwarden.generation.answer_events.AnswerToken` events as the answer
is written, then one :class:`~ragwarden.generation.answer_events.AnswerComplete` with the citations;
``answer`` collects them. Which mode answers, which hits may ground an answer and what the faithfulness
guard keeps are decided in :mod:`ragwarden.generation.answer_modes`; this module composes them: validate
and condense the question, retrieve, stream, time the turn and record it in the conversation. A generated
answer the model already gave to the same question over the same passages is replayed from the
:mod:`~ragwarden.generation.answer_cache` (retrieval still runs, as the caller, every time).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, replace
from typing import Any, Protocol

from ragwarden.core.audit import AnswerFacts, AuditTrail, prompt_sha256
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import Scope, SearchHit
from ragwarden.core.settings.generation import GenerationFields
from ragwarden.generation.answer_cache import AnswerCache, Generation, KeyParts, answer_key, settings_fingerprint
from ragwarden.generation.answer_events import AnswerComplete, AnswerEvent, AnswerResult, AnswerToken, Timings
from ragwarden.generation.answer_grounds import Grounds, prepended
from ragwarden.generation.answer_modes import quoted_answer, relevant_hits, resolve_mode, supported_sentences
from ragwarden.generation.citations import Citation, resolve_citations
from ragwarden.generation.conversations import (
    ConversationStore,
    Turn,
    check_conversation_id,
    condense_heuristic,
    condense_with_model,
    memory_for,
    new_conversation_id,
)
from ragwarden.generation.errors import PromptTooLongError
from ragwarden.generation.extractive import Extractor
from ragwarden.generation.faithfulness import LoopStop
from ragwarden.generation.llm import ChatModel, count_message_tokens
from ragwarden.generation.packing import PackingLimits, Source, pack_sources
from ragwarden.generation.prompting import NOT_FOUND, build_messages, format_source
from ragwarden.generation.questions import OpenTurn, check_question, turn_language
from ragwarden.generation.settings import GenerationSettings
from ragwarden.generation.streaming import stream_pieces

SAFETY_TOKENS = 16  # slack for the estimate of the chat template's tokens


class SearchesDocuments(Protocol):
    """The retrieval choke point (``ragwarden.retrieval.retriever.Retriever``) as the answerer uses it."""

    def search(self, scope: Scope, query: str, limit: int = 10) -> list[SearchHit]: ...


class Answerer:
    """Composes the retrieval choke point, a chat model and settings into cited answers."""

    def __init__(
        self,
        retriever: SearchesDocuments,
        model: ChatModel | None,
        settings: GenerationFields | None = None,
        conversations: ConversationStore | None = None,
        clock: Callable[[], float] = time.perf_counter,
        extractor: Extractor | None = None,
        guard: bool = False,
        tiny_model: bool = False,
        cache: AnswerCache | None = None,
    ) -> None:
        """``guard``: check generated answers against their sources (the composition root turns it on);
        ``tiny_model``: the model is the shipped SmolLM2-135M, whose answers ``auto`` does not show;
        ``cache``: generated answers kept for the same question over the same passages (answer_cache.py)."""
        self.retriever = retriever
        self.model: Any = model  # None: extractive only
        self.settings: GenerationFields = settings or GenerationSettings()
        s = self.settings
        self.extractor, self.guard, self.cache = extractor, guard, cache
        self.mode = resolve_mode(s, tiny_model and extractor is not None)
        if self.mode == "extractive" and extractor is None:
            raise ConfigurationError("extractive answers need the embedder (no Extractor was given)")
        if self.mode == "generative" and model is None:
            raise ConfigurationError("generated answers need a chat model")
        self.conversations: ConversationStore = conversations or memory_for(s)
        self._clock = clock

    def answer(
        self,
        scope: Scope,
        question: str,
        conversation_id: str | None = None,
        limit: int | None = None,
        *,
        audit: AuditTrail | None = None,
    ) -> AnswerResult:
        for event in self.answer_stream(scope, question, conversation_id, limit, audit=audit):
            if isinstance(event, AnswerComplete):
                return event.result
        raise AssertionError("answer_stream ended without a result")  # pragma: no cover

    def answer_stream(
        self,
        scope: Scope,
        question: str,
        conversation_id: str | None = None,
        limit: int | None = None,
        *,
        audit: AuditTrail | None = None,
    ) -> Iterator[AnswerEvent]:
        """Token events, then one :class:`AnswerComplete`.

        Runs eagerly up to the model's first piece, so a bad request, an unavailable index or LLM, or a
        missing model raise here, before any event (an HTTP layer can still answer with a status
        code); a failure after that (e.g. a timeout mid-answer) raises while iterating.

        With ``audit``, the answer's one record is written before the first event (streamed too: it names
        what the answer is built from as the model starts; no record, no answer).
        """
        turn = self._begin(scope, question, conversation_id)
        events = self._run(scope, turn, self.settings.answer_retrieve_limit if limit is None else limit)
        first = next(events)
        if isinstance(first, Grounds):
            if audit is not None:
                facts = AnswerFacts(first.model, first.prompt_sha256, first.refused, first.cached)
                audit.record("answer", scope, first.hits, query=turn.question, answer=facts)
            first = next(events)
        return prepended(first, events)

    def _begin(self, scope: Scope, question: str, conversation_id: str | None) -> OpenTurn:
        question = check_question(scope, question)
        started = self._clock()
        cid = check_conversation_id(conversation_id) if conversation_id else new_conversation_id()
        history = self.conversations.turns(scope.principal, cid)
        if self.settings.answer_condense == "llm":
            standalone = condense_with_model(self.model, history, question)
        else:
            standalone = condense_heuristic(history, question)
        return OpenTurn(cid, question, standalone, turn_language(question, history, standalone), started)

    def _run(self, scope: Scope, turn: OpenTurn, limit: int) -> Generator[AnswerEvent | Grounds, None, None]:
        t0 = self._clock()
        hits = self.retriever.search(scope, turn.standalone, limit)
        relevant = relevant_hits(hits, turn.standalone, self.settings)
        t1 = self._clock()
        if not relevant:
            yield Grounds((), self._model_name, None, True)
            yield from self._not_found(scope, turn, Timings(retrieve_ms=_ms(t1 - t0)))
        elif self.mode == "extractive":
            yield from self._extractive(scope, turn, relevant, t0, t1)
        else:
            yield from self._generated(scope, turn, relevant, t0, t1)

    def _generated(
        self, scope: Scope, turn: OpenTurn, relevant: list[SearchHit], t0: float, t1: float
    ) -> Generator[AnswerEvent | Grounds, None, None]:
        """The model's answer, streamed; with the guard on, only its supported sentences are kept."""
        sources = self._pack(relevant, turn)
        messages = build_messages(turn.standalone, sources, turn.language, few_shot=self.settings.answer_few_shot)
        generation = self._generation(turn, relevant, sources, messages)
        yield Grounds(tuple(relevant), self.model.model_id, generation.prompt_sha256, False, generation.cached)
        t2 = self._clock()
        pieces: list[str] = []
        loop = LoopStop() if self.guard else None
        first = yield from stream_pieces(generation.model, messages, self.settings, self._clock, pieces, loop)
        generation.finished(pieces)
        t3 = self._clock()
        timings = Timings(
            retrieve_ms=_ms(t1 - t0),
            prompt_ms=_ms(t2 - t1),
            first_token_ms=_ms(first - t2) if first is not None else None,
            generate_ms=_ms(t3 - t2),
            total_ms=_ms(t3 - turn.started),
        )
        answer = (loop.clean() if loop is not None and loop.looping else "".join(pieces)).strip()
        if not answer:
            yield from self._not_found(scope, turn, timings)
            return
        if not self.guard:
            citations = tuple(resolve_citations(answer, sources))
            yield AnswerComplete(self._finish(scope, turn, answer, citations, True, timings))
            return
        kept, dropped = supported_sentences(answer, sources, turn.language)
        looped = bool(loop and loop.looping)
        if not kept:
            if self.extractor is not None:
                yield from self._extractive(scope, turn, relevant, t0, t1, fallback=(dropped, looped))
            else:
                yield from self._not_found(scope, turn, timings)
            return
        answer = " ".join(c.text for c in kept)
        citations = tuple(resolve_citations(answer, sources))
        result = self._finish(scope, turn, answer, citations, True, timings)
        sentences = tuple((c.text, c.source) for c in kept)
        yield AnswerComplete(replace(result, sentences=sentences, dropped_sentences=dropped, stopped_loop=looped))

    def _extractive(
        self,
        scope: Scope,
        turn: OpenTurn,
        hits: list[SearchHit],
        t0: float,
        t1: float,
        fallback: tuple[int, bool] | None = None,
    ) -> Iterator[AnswerEvent | Grounds]:
        """Quote the sentences that answer the question, each with its source (one event, the whole text)."""
        assert self.extractor is not None  # noqa: S101 - checked at construction for the extractive mode
        quotes = self.extractor.quotes(turn.standalone, hits)
        yield Grounds(tuple(hits), "extractive", None, not quotes)
        t2 = self._clock()
        timings = Timings(retrieve_ms=_ms(t1 - t0), prompt_ms=_ms(t2 - t1), total_ms=_ms(t2 - turn.started))
        if not quotes:
            yield from self._not_found(scope, turn, timings)
            return
        answer, citations, sentences = quoted_answer(quotes, turn.language)
        yield AnswerToken(answer)
        result = self._finish(scope, turn, answer, citations, True, timings)
        dropped, looped = fallback or (0, False)
        yield AnswerComplete(
            replace(
                result,
                mode="extractive",
                sentences=sentences,
                fallback=fallback is not None,
                dropped_sentences=dropped,
                stopped_loop=looped,
            )
        )

    def _generation(
        self, turn: OpenTurn, relevant: list[SearchHit], sources: list[Source], messages: list[Any]
    ) -> Generation:
        """The model, or the replay of the answer it gave to the same question over the same passages."""
        if self.cache is None:
            return Generation(self.model, prompt_sha256(messages))
        s, model = self.settings, self.model
        fingerprint = settings_fingerprint(s, guard=self.guard, mode=self.mode)
        parts = KeyParts(turn.standalone, turn.language, relevant, sources, model.model_id, model.context_window,
                         fingerprint)  # fmt: skip
        return self.cache.generation(answer_key(parts, few_shot=s.answer_few_shot), model, prompt_sha256(messages))

    @property
    def _model_name(self) -> str:
        return "extractive" if self.model is None or self.mode == "extractive" else str(self.model.model_id)

    def _pack(self, hits: list[SearchHit], turn: OpenTurn) -> list[Source]:
        s = self.settings
        skeleton = build_messages(turn.standalone, [], turn.language, few_shot=s.answer_few_shot)
        fixed = count_message_tokens(self.model, skeleton)
        budget = self.model.context_window - s.answer_max_tokens - fixed - SAFETY_TOKENS
        limits = PackingLimits(budget, s.answer_max_sources, s.answer_max_chunks_per_document)

        def cost(source: Source) -> int:
            return self.model.count_tokens(format_source(99, source, turn.language)) + 2

        sources = pack_sources(hits, limits, cost) if budget > 0 else []
        if not sources:
            raise PromptTooLongError(
                "the question and instructions leave no room for sources in the model's context window"
            )
        return sources

    def _not_found(self, scope: Scope, turn: OpenTurn, timings: Timings) -> Iterator[AnswerEvent]:
        text = NOT_FOUND[turn.language]
        yield AnswerToken(text)
        total = Timings(**{**asdict(timings), "total_ms": _ms(self._clock() - turn.started)})
        yield AnswerComplete(self._finish(scope, turn, text, (), False, total))

    def _finish(
        self,
        scope: Scope,
        turn: OpenTurn,
        answer: str,
        citations: tuple[Citation, ...],
        found: bool,
        timings: Timings,
    ) -> AnswerResult:
        cited = tuple(dict.fromkeys(c.doc_id for c in citations if c.cited))
        record = Turn(turn.question, turn.standalone, answer, turn.language, cited)
        self.conversations.append(scope.principal, turn.conversation_id, record)
        return AnswerResult(
            answer,
            citations,
            turn.conversation_id,
            turn.language,
            found,
            turn.standalone,
            "extractive" if self.model is None else self.model.model_id,
            timings,
        )


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)
