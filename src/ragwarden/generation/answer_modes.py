"""How an answer is chosen: the mode, which hits may ground it, and what of it is shown.

Two modes (``RAGWARDEN_ANSWER_MODE``; ``auto`` picks extractive with the embedded model, generative with
Ollama): an *extractive* answer quotes the sentences of the sources that answer the question
(:mod:`ragwarden.generation.extractive`; no LLM, one token event with the whole text); a *generated*
answer streams the model's tokens through the faithfulness guard (:mod:`ragwarden.generation.faithfulness`):
a loop stops generation, unsupported sentences are dropped, and when too little is left the extractive
answer is given instead (``fallback``). The result says which (``mode``), and per sentence its source.

The refusal: hits that do not pass :func:`relevant_hits` never reach a prompt, and with none left the
fixed "not found" reply is given without asking the model. Pure decisions, apart from the
:class:`~ragwarden.generation.answering.Answerer` that retrieves, streams and records the turn.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragwarden.core.models import SearchHit
from ragwarden.core.settings.generation import GenerationFields
from ragwarden.generation.citations import Citation, snippet
from ragwarden.generation.extractive import Quote
from ragwarden.generation.faithfulness import MIN_KEPT_SHARE, CheckedSentence, check_sentences, supported_share
from ragwarden.generation.language import Language
from ragwarden.generation.packing import Source
from ragwarden.generation.relevance import content_terms, shared_terms


def resolve_mode(settings: GenerationFields, tiny_model: bool) -> str:
    """``extractive`` or ``generative``: what ``auto`` means is measured (``ragwarden bench answers``):
    the shipped SmolLM2-135M gets too few facts right to be shown; another model (Ollama, or a GGUF of
    your own) answers through the faithfulness guard."""
    if settings.answer_mode != "auto":
        return settings.answer_mode
    return "extractive" if tiny_model else "generative"


def relevant_hits(hits: Sequence[SearchHit], question: str, settings: GenerationFields) -> list[SearchHit]:
    """The hits that may ground an answer: not empty, scoring at least ``answer_min_score``, and sharing
    enough of the question's content words (``answer_min_term_overlap``) in their title, section or text."""
    s = settings
    kept = [h for h in hits if h.text.strip()]
    if s.answer_min_score is not None:
        kept = [h for h in kept if h.score >= s.answer_min_score]
    terms = content_terms(question)
    if s.answer_min_term_overlap and terms:
        needed = min(s.answer_min_term_overlap, len(terms))
        kept = [h for h in kept if shared_terms(terms, _searchable(h)) >= needed]
    return kept


def quoted_answer(
    quotes: Sequence[Quote], language: Language
) -> tuple[str, tuple[Citation, ...], tuple[tuple[str, int | None], ...]]:
    """The extractive answer: one line per quote, in the language's quotation marks with its citation
    number; its citations; each quoted sentence with its number."""
    citations, numbers = _quote_citations(quotes)
    opening, closing = ("\u201e", "\u201c") if language == "de" else ("\u201c", "\u201d")
    lines = [f"{opening}{q.text}{closing} [{n}]" for q, n in zip(quotes, numbers, strict=True)]
    sentences = tuple((q.text, n) for q, n in zip(quotes, numbers, strict=True))
    return "\n".join(lines), citations, sentences


def supported_sentences(
    answer: str, sources: Sequence[Source], language: Language
) -> tuple[list[CheckedSentence], int]:
    """The faithfulness guard on a generated answer: the sentences a source supports, and how many were
    dropped. None are kept when too little of the answer is supported: it is then not shown at all."""
    checked = check_sentences(answer, sources, language)
    kept = [c for c in checked if c.source is not None]
    dropped = len(checked) - len(kept)
    if not kept or supported_share(checked) < MIN_KEPT_SHARE:
        return [], dropped
    return kept, dropped


def _quote_citations(quotes: Sequence[Quote]) -> tuple[tuple[Citation, ...], list[int]]:
    """One citation per quoted document, numbered in order of first quote; each quote's number."""
    citations: dict[str, Citation] = {}
    numbers = []
    for quote in quotes:
        hit = quote.hit
        if hit.doc_id not in citations:
            payload, page = hit.payload, hit.payload.get("page")
            citations[hit.doc_id] = Citation(
                number=len(citations) + 1,
                doc_id=hit.doc_id,
                title=str(payload.get("title") or ""),
                source_uri=str(payload.get("source_uri") or ""),
                snippet=snippet(hit.text),
                section=str(payload.get("section") or ""),
                page=page if isinstance(page, int) else None,
            )
        numbers.append(citations[hit.doc_id].number)
    return tuple(citations.values()), numbers


def _searchable(hit: SearchHit) -> str:
    payload = hit.payload
    return " ".join(str(payload.get(k) or "") for k in ("title", "section")) + " " + hit.text
