"""Extractive answers: the one to three sentences of the retrieved chunks that answer the question,
quoted as they stand, each with its source. No LLM: instant, and it cannot say what the sources do not.

Only the hits the retrieval choke point returned for this caller are read. Each is cut into sentence
units (:mod:`ragwarden.generation.sentences`, in the chunk's language), and every unit is scored by

* **meaning**: cosine similarity of the question and the unit in the embedder the index uses;
* **words**: the share of the question's BM25 terms (Qdrant's own tokenizer, stop words and Snowball
  stemmers, :mod:`ragwarden.retrieval.sparse`, so a unit matches as its chunk matched in the index) that
  the unit holds, weighted by their IDF among the retrieved units (a word every unit has decides
  nothing), or the loose, compound-aware match of :mod:`ragwarden.generation.relevance` where that is
  higher ("Urlaubstage" ~ "Urlaub"): German questions lean on it, since the shipped embedder is English;
* **rank**: a small prior for the retrieval rank of its chunk;
* **kind of answer**: a question that asks for an amount, a number or a time ("wie viel", "how many",
  "bis wann", "when") prefers units that state a number, and more those that state one of the kind asked
  for (:mod:`ragwarden.generation.answer_types`: "wie schnell" a duration, "wie teuer" money, "wie hoch
  ... Quote" a share). This bonus orders the quotes; whether anything is quoted is decided without it.

The words are the question's topic: in a German question the finite verb after "wie hoch", "wann", "wo"
("Wie hoch *lag* die Quote") is left out, as it tells that a value is asked for, not about what. A term
the unit lacks but its document's title or section heading holds counts half ("RTO: 4 Stunden" in the
"Backup konzept" answers a question about the backup concept). A table row is a unit with the header
cell of each column (:mod:`ragwarden.generation.tables`: "RPO: 15 Minuten | RTO: 4 Stunden"): a bare row
does not say which number is which. A unit holding few of the question's words is still read when it
states the value asked for (a row names its subject in one cell).

Embedding every unit of six chunks would cost most of a second on two cores, so only the units that
score best on words and rank (:data:`MAX_EMBEDDED`) are embedded.

The best unit is quoted, with up to two more that score nearly as well and are not near-duplicates of
one already chosen. A unit too short to carry a fact (a heading) counts less. When no unit holds enough
of the question's words or comes close in meaning, or the best scores too little in all, nothing is
quoted: "not found".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ragwarden.core.models import SearchHit
from ragwarden.core.ports import Embedder
from ragwarden.generation.answer_types import asked_types, question_topic, stated_types
from ragwarden.generation.language import detect_language
from ragwarden.generation.relevance import content_terms, numbers, shared_terms
from ragwarden.generation.sentences import split_sentences
from ragwarden.generation.tables import is_row, labelled_rows
from ragwarden.retrieval.sparse import Bm25Encoder

MAX_QUOTES = 3
MAX_HITS = 8  # the best-ranked chunks read for quotes
MAX_QUOTE_CHARS = 700
PAIR_COST = 0.04  # two sentences must score this much better than one to be quoted instead
MIN_UNIT_CHARS = 12
SHORT_UNIT_WORDS = 5  # fewer words: a heading or label, rarely the answer itself
SHORT_UNIT_WEIGHT = 0.6
KEEP_RATIO = 0.8  # a second or third quote must score this close to the best
NEAR_DUPLICATE = 0.6  # token overlap (Jaccard) at which a unit repeats one already chosen
MIN_WORDS = 0.25  # the best unit must hold at least this share of the question's words ...
MIN_CLOSE = 0.55  # ... or be at least this close in meaning
# ... and score at least this much in all (measured on the 64 questions of `bench answers`: every quote that
# held a reference fact scored 0.40 or more; half the quotes given to questions nothing answers scored less)
MIN_SCORE = 0.40
MAX_EMBEDDED = 32
NUMBER_BONUS = 0.12
TYPE_BONUS = 0.08  # ... and more for a value of the kind it asks for (a duration, an amount)
TYPED_MIN_WORDS = 0.125  # words enough for a unit that states such a value
CONTEXT_WEIGHT = 0.5  # a question term held by the unit's title or heading, not by the unit
W_MEANING, W_WORDS, W_RANK = 0.45, 0.45, 0.10
_TOKEN = re.compile(r"\w+", re.UNICODE)
_YEAR = re.compile(r"(19|20)\d\d")
_ASKS_WHEN = re.compile(r"\b(wann|seit wann|bis wann|jahr\w*|when|year\w*|since)\b", re.IGNORECASE)
_ASKS_NUMBER = re.compile(
    r"\b(wie\s+(viele?|hoch|teuer|lange?|oft|gro(ß|ss)|schnell|weit|alt)|wann|bis\s+wann|ab\s+wann|"
    r"welche[nmrs]?\s+(betrag|anteil|summe|preis|durchwahl|nummer|datum|tag|uhrzeit|frist|quote|rate|version)|"
    r"how\s+(much|many|long|often|high|large|big|fast|old)|when|by\s+when|what\s+(time|date|rate|share|"
    r"percentage|amount|number|price|version|port|extension)|which\s+(extension|port|version|date|number)|"
    r"kost\w*|zahl\w*|preis\w*|betr(a|ä)g\w*|geb(ü|u)hr\w*|cost\w*|pay\w*|price\w*|fee\w*|percent\w*|"
    r"prozent\w*|quote|ratio|rate)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence quoted from ``hit`` (its ``rank`` among the hits read), and how it scored."""

    text: str
    hit: SearchHit
    rank: int
    score: float
    meaning: float
    words: float
    typed: float = 0.0  # the part of ``score`` for stating a value of the kind asked for


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    hit: SearchHit
    rank: int
    pair: bool = False  # two adjacent sentences
    row: bool = False  # a table row labelled with its header: a fact, however few its words


class Extractor:
    """Picks the quotes of an extractive answer; one per process (it keeps the BM25 tokenizers)."""

    def __init__(self, embedder: Embedder, bm25: Bm25Encoder | None = None) -> None:
        self._embedder = embedder
        self._bm25 = bm25 or Bm25Encoder()

    def quotes(self, question: str, hits: Sequence[SearchHit], limit: int = MAX_QUOTES) -> list[Quote]:
        units = self._units(hits[:MAX_HITS])
        if not units or not question.strip():
            return []
        words = self._word_scores(question_topic(question), units)
        wants_number, wanted = bool(_ASKS_NUMBER.search(question)), asked_types(question)
        own = frozenset(numbers(question))
        typed = [bool(wanted and wanted & stated_types(u.text, own)) for u in units]
        bonus = [
            (NUMBER_BONUS if wants_number and _new_numbers(question, u.text) else 0.0) + TYPE_BONUS * t
            for u, t in zip(units, typed, strict=True)
        ]
        first = sorted(
            range(len(units)),
            key=lambda i: W_WORDS * words[i] + W_RANK * (1.0 - units[i].rank / MAX_HITS) + bonus[i],
            reverse=True,
        )[:MAX_EMBEDDED]
        vectors = self._embedder.embed_batch([question, *(units[i].text for i in first)])
        scored = []
        for i, vector in zip(first, vectors[1:], strict=True):
            unit, m, w = units[i], _cosine(vectors[0], vector), words[i]
            prior = 1.0 - unit.rank / MAX_HITS
            score = W_MEANING * max(0.0, m) + W_WORDS * w + W_RANK * prior + bonus[i]
            if not unit.row and _heading_like(unit.text):
                score *= SHORT_UNIT_WEIGHT
            if unit.pair:
                score -= PAIR_COST
            # the question's words, or close in meaning, or some of its words and the value it asks for
            if w >= MIN_WORDS or m >= MIN_CLOSE or (typed[i] and w >= TYPED_MIN_WORDS):
                scored.append(Quote(unit.text, unit.hit, unit.rank, score, m, w, TYPE_BONUS * typed[i]))
        if not scored:
            return []
        scored.sort(key=lambda q: q.score, reverse=True)
        best = scored[0]
        if max(q.score - q.typed for q in scored) < MIN_SCORE:  # the kind of value orders quotes, it never
            return []  # makes an answer of what would not be one
        chosen = [best]
        for quote in scored[1:]:
            if len(chosen) >= limit or quote.score < KEEP_RATIO * best.score:
                break
            if any(_overlap(quote.text, c.text) >= NEAR_DUPLICATE or quote.text in c.text or c.text in quote.text
                   for c in chosen):  # fmt: skip
                continue
            chosen.append(quote)
        return chosen

    def _units(self, hits: Sequence[SearchHit]) -> list[_Unit]:
        units: list[_Unit] = []
        seen: set[str] = set()
        for rank, hit in enumerate(hits):
            language = str(hit.payload.get("language") or detect_language(hit.text) or "en")
            rows = labelled_rows(hit.text)  # a table row with its column headers ("RTO: 4 Stunden")
            sentences = [s.text.strip() for s in split_sentences(hit.text, language)]
            sentences = [t for t in sentences if len(t) >= MIN_UNIT_CHARS and _TOKEN.search(t)]
            # each sentence, and each with the one after it: the sentence that names the topic is often
            # not the one that holds the fact ("... a customer asks what we store. The answer is due
            # within a month."); a labelled row names its topic itself and is not paired
            adjacent = zip(sentences, sentences[1:], strict=False)
            pairs = [f"{a} {b}" for a, b in adjacent if not (is_row(a) or is_row(b))]
            candidates = [(rows.get(t, t), t in rows, False) for t in sentences] + [(t, False, True) for t in pairs]
            for text, row, pair in candidates:
                key = " ".join(_TOKEN.findall(text.lower()))
                if key in seen or len(text) > MAX_QUOTE_CHARS:
                    continue
                seen.add(key)
                units.append(_Unit(text, hit, rank, pair=pair, row=row))
        return units

    def _word_scores(self, question: str, units: Sequence[_Unit]) -> list[float]:
        """Per unit, the IDF-weighted share of the question's BM25 terms it holds (best language), or
        the loose compound-aware share where that is higher.

        A term the unit lacks but its document's title or its section heading holds counts
        :data:`CONTEXT_WEIGHT` as much: a sentence is read under its heading ("RTO: 4 Stunden" under
        "Backup konzept 2026" answers a question about the backup concept), as its chunk was indexed."""
        texts = [u.text for u in units]
        asked = {name: set(vec.indices) for name, vec in self._bm25.query(question).items()}
        held = [{name: set(vec.indices) for name, vec in self._bm25.document(t).items()} for t in texts]
        context = self._contexts(units)
        scores = [0.0] * len(texts)
        for name, terms in asked.items():
            df = {t: sum(t in h.get(name, ()) for h in held) for t in terms}
            n = len(texts)
            idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
            total = sum(idf.values())
            if total <= 0:
                continue
            for i, h in enumerate(held):
                own = terms & h.get(name, set())
                inherited = (terms & context[i].get(name, set())) - own
                got = sum(idf[t] for t in own) + CONTEXT_WEIGHT * sum(idf[t] for t in inherited)
                scores[i] = max(scores[i], got / total)
        loose_terms = content_terms(question)
        if loose_terms:
            for i, text in enumerate(texts):
                scores[i] = max(scores[i], 0.8 * shared_terms(loose_terms, text) / len(loose_terms))
        return scores

    def _contexts(self, units: Sequence[_Unit]) -> list[dict[str, set[int]]]:
        """The BM25 terms of each unit's title and section heading (encoded once per hit)."""
        by_hit: dict[int, dict[str, set[int]]] = {}
        for unit in units:
            if unit.rank not in by_hit:
                payload = unit.hit.payload
                heading = " ".join(str(payload.get(k) or "") for k in ("title", "section")).strip()
                encoded = self._bm25.document(heading).items() if heading else ()
                by_hit[unit.rank] = {name: set(vec.indices) for name, vec in encoded}
        return [by_hit[unit.rank] for unit in units]


def _new_numbers(question: str, text: str) -> set[str]:
    """Numbers ``text`` states that the question does not; a year counts only for a question asking when."""
    found = numbers(text) - numbers(question)
    if not _ASKS_WHEN.search(question):
        found = {n for n in found if not _YEAR.fullmatch(n)}
    return found


def _heading_like(text: str) -> bool:
    """A heading, label or underline rather than a sentence: few words, or no closing punctuation."""
    words = len(_TOKEN.findall(text))
    return words < SHORT_UNIT_WORDS or "===" in text or "---" in text or (words < 9 and text[-1] not in ".!?:;)")


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def _overlap(a: str, b: str) -> float:
    x, y = set(_TOKEN.findall(a.lower())), set(_TOKEN.findall(b.lower()))
    return len(x & y) / len(x | y) if x and y else 0.0
