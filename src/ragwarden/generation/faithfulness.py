"""The faithfulness guard of generated answers: stop a looping model, keep only what the sources say.

* :class:`LoopStop` watches the stream: once a run of words (an n-gram) has come back too often, the
  model is looping ("die die 31. März 2026, die die 31. März 2026, ...") and generation stops there;
  what came before the loop is kept. It complements the backend's repeat penalty
  (``RAGWARDEN_LLM_REPEAT_PENALTY``), which makes loops rarer but does not end them.
* :func:`check_sentences` cuts the answer into sentences and looks for each in the prompt's sources: a
  sentence is *supported* by a source that holds (loosely, German compounds included; see
  :mod:`ragwarden.generation.relevance`) most of its content words and every number it states. A number
  not in the source is a made-up fact however well the words match. The answerer drops unsupported
  sentences and falls back to the extractive answer when too little is left.

This is a lexical check: it cannot tell "may" from "may not" when both sentences share their words. It
catches what a small model gets wrong most (wrong numbers and dates, text from nowhere, loops); the
extractive answer, which only quotes, is the safe default where no better model is configured.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ragwarden.generation.citations import cited_numbers, strip_markers
from ragwarden.generation.packing import Source
from ragwarden.generation.relevance import content_terms, numbers, shared_terms
from ragwarden.generation.sentences import split_sentences

LOOP_NGRAM = 4  # words
LOOP_REPEATS = 3  # the same n-gram this often: a loop
SUPPORT_SHARE = 0.6  # share of a sentence's content words a source must hold
MIN_KEPT_SHARE = 0.5  # keep the generated answer only if at least this share of its text is supported
_WORD = re.compile(r"\w+", re.UNICODE)


class LoopStop:
    """Feed it the generated pieces; :attr:`looping` turns true once the text repeats itself, and
    :meth:`clean` gives the text up to where the loop began."""

    def __init__(self, n: int = LOOP_NGRAM, repeats: int = LOOP_REPEATS) -> None:
        self._n, self._repeats = n, repeats
        self._text = ""
        self.looping = False

    def feed(self, piece: str) -> bool:
        self._text += piece
        if not self.looping:
            words = _WORD.findall(self._text.lower())
            grams = Counter(tuple(words[i : i + self._n]) for i in range(len(words) - self._n + 1))
            self.looping = bool(grams) and max(grams.values()) >= self._repeats
        return self.looping

    def clean(self) -> str:
        """The text before the first repeated run of words, cut back to the last full sentence."""
        if not self.looping:
            return self._text
        words = list(_WORD.finditer(self._text))
        first: dict[tuple[str, ...], int] = {}
        for i in range(len(words) - self._n + 1):
            gram = tuple(w.group().lower() for w in words[i : i + self._n])
            if gram in first:  # the loop began at the run's first occurrence
                cut = self._text[: words[first[gram]].start()]
                end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("! "), cut.rfind("? "))
                return cut[: end + 1] if end > 0 else cut
            first[gram] = i
        return self._text


@dataclass(frozen=True, slots=True)
class CheckedSentence:
    text: str  # as generated, its [n] markers included
    source: int | None  # the number of the source that supports it; None: unsupported


def check_sentences(answer: str, sources: Sequence[Source], language: str) -> list[CheckedSentence]:
    """Each sentence of ``answer`` with the source that supports it (the one it cites, if that one
    does; otherwise the best that does), or None."""
    checked = []
    for sentence in split_sentences(answer, language):
        text = sentence.text
        bare = strip_markers(text)
        if not _WORD.search(bare):
            continue
        cited = cited_numbers(text, len(sources))
        ranked = sorted(sources, key=lambda s: (s.number not in cited, s.number))
        support = next((s.number for s in ranked if supports(bare, s.text)), None)
        checked.append(CheckedSentence(text, support))
    return checked


def supports(sentence: str, passage: str) -> bool:
    """Does ``passage`` hold most of the sentence's content words and every number it states?"""
    stated = numbers(sentence)
    if stated - numbers(passage):
        return False
    terms = content_terms(sentence) - stated
    if not terms:
        return bool(stated)  # "5." is supported by a passage that says 5; a bare "Yes." is not content
    needed = len(terms) if len(terms) <= 2 else SUPPORT_SHARE * len(terms)
    return shared_terms(terms, passage) >= needed


def supported_share(checked: Sequence[CheckedSentence]) -> float:
    total = sum(len(c.text) for c in checked)
    return sum(len(c.text) for c in checked if c.source is not None) / total if total else 0.0
