"""Is a retrieved chunk about the question at all? A gate that does not depend on the score scale.

Hybrid search always returns the nearest chunks, relevant or not, and its fused RRF scores encode
ranks, not relevance. So before the LLM is called, a hit must share content words with the question:
words of 3+ letters that are not function words, matched loosely (umlauts folded, a common 4-letter
stem prefix, or one word inside the other for German compounds: "Urlaubstage" ~ "Urlaub").
Hits without any shared word are dropped; when none is left, the answer is the fixed "not found" reply
and the LLM is not called.
"""

from __future__ import annotations

import re

from ragwarden.generation.language import ENGLISH_FUNCTION_WORDS, GERMAN_FUNCTION_WORDS

_EXTRA_STOP = frozenset(
    """over into about like need want know tell give find show does doing done there their here
    also just more most other such than then them they very what when where which while would
    gibt geben bitte mehr etwa sowie dass wenn weil welche dies diese dieser dieses dort noch""".split()
)
_STOP = ENGLISH_FUNCTION_WORDS | GERMAN_FUNCTION_WORDS | _EXTRA_STOP
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_WORD = re.compile(r"[a-zäöüß0-9]+")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")  # 5, 3,5, 1.500,00, 11:30, 2026-... (each digit run)
PREFIX = 4
COMPOUND_MIN = 5


def content_terms(text: str) -> frozenset[str]:
    words = _WORD.findall(text.lower())
    return frozenset(w.translate(_FOLD) for w in words if (len(w) >= 3 or w.isdigit()) and w not in _STOP)


def numbers(text: str) -> set[str]:
    """The numbers ``text`` states, as written ("3,5", "11:30", "1.500")."""
    return set(_NUMBER.findall(text))


def _matches(term: str, word: str) -> bool:
    if term == word:
        return True
    if term.isdigit() or word.isdigit() or len(term) < PREFIX or len(word) < PREFIX:
        return False
    if term[:PREFIX] == word[:PREFIX]:
        return True
    return (len(term) >= COMPOUND_MIN and term in word) or (len(word) >= COMPOUND_MIN and word in term)


def shared_terms(question_terms: frozenset[str], text: str) -> int:
    """How many of the question's content words occur (loosely) in ``text``."""
    words = content_terms(text)
    return sum(any(_matches(term, word) for word in words) for term in question_terms)
