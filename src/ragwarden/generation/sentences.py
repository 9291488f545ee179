"""Sentence units of a retrieved chunk, for extractive answers that quote one to three of them.

The sentence boundaries inside running text come from ``sentencex`` (Wikimedia's rule-based segmenter,
MIT licence, Rust core: about a tenth of a millisecond for 5 KB). Around it sits a thin layer for what a
chunk from our parser looks like and what sentencex gets wrong in German business text:

* **Blocks first.** The parser writes one element per line (paragraph, heading, list item, table row), so
  every line break ends a unit: a heading or a table row is never glued to the next paragraph. A line
  that starts with ``#`` (a markdown heading) or ``|``, or that contains `` | `` (a table row as the
  parser writes it), is one unit as it stands; a separator row such as ``| --- |`` has no letter or
  digit and is dropped.
* **List markers** (``-``, ``*``, ``•``, ``1.``, ``1)``, ``a)``, ``(a)``) are set aside before
  segmentation, so that "1." is not taken for a sentence of its own, and are kept at the front of the
  item's first unit: ``"- Antrag ausfüllen."``. A heading keeps its ``#`` marks: ``"# Urlaubsregelung"``.
  So ``Sentence.text`` is always the original text, whitespace collapsed.
* **Merges** where sentencex splits too eagerly: after abbreviations missing from its lists
  (``inkl.``, ``Abs.``, ``zzgl.``, ``approx.``, ...; see ``_EXTRA_ABBREVIATIONS``), and in German after an
  ordinal or a day-month date before a noun ("am 2. Arbeitstag", "im 3. Quartal", "am 7.10. Mittwoch"),
  unless the next word is one that starts sentences (an article, a pronoun, "Danach", ...).
* **A split** after a parenthesised sentence at the start of a unit: ``"(Gilt auch für Teilzeit.) Details ..."``.
* **A cap**: no unit is longer than ``MAX_UNIT_CHARS``; a longer one (a run-on line without punctuation)
  is cut at the last whitespace before the cap, or hard at the cap when there is none.

When in doubt the layer prefers one unit too long to a sentence cut in half: a quote of two sentences is
still faithful to the source, half a sentence may not be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sentencex

from ragwarden.generation.language import GERMAN_FUNCTION_WORDS

MAX_UNIT_CHARS = 600

__all__ = ["MAX_UNIT_CHARS", "Sentence", "split_sentences"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One unit of a text: a sentence, a heading, a list item or a table row.

    ``text`` is ``original[start:end]`` with its whitespace collapsed to single spaces (and none at
    either end).
    """

    text: str
    start: int
    end: int


def split_sentences(text: str, language: str = "de") -> list[Sentence]:
    """The sentence units of ``text`` in order, with character offsets into ``text``.

    ``language`` picks the rules: ``"de"`` (also ``"de-DE"``, ``"de_AT"``, any case) for German, anything
    else English. Units without a letter or digit (blank lines, ``---``, table separator rows) are
    dropped; list markers and a heading's ``#`` stay in the unit's text (see the module docstring).
    No unit is longer than ``MAX_UNIT_CHARS`` characters, and the work is linear in the length of ``text``.
    """
    lang = "de" if language.strip().lower().replace("_", "-").split("-")[0] == "de" else "en"
    # sentencex 1.0.32 panics on non-ASCII whitespace (it slices by bytes next to it): map each such
    # character to one ASCII space, which keeps every offset.
    safe = text.translate(_ASCII_SPACES)
    units: list[Sentence] = []
    for line in _LINE.finditer(safe):
        for start, end in _line_units(safe, line.start(), line.end(), lang):
            for piece_start, piece_end in _capped(safe, start, end):
                unit = " ".join(text[piece_start:piece_end].split())
                if any(char.isalnum() for char in unit):
                    units.append(Sentence(unit, piece_start, piece_end))
    return units


# Line breaks as str.splitlines() knows them: each one ends a unit.
_LINE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_ASCII_SPACES = {code: " " for code in range(0x80, 0x3001) if chr(code).isspace()}
_TABLE_OR_HEADING = re.compile(r"\s*[#|]|.*\s\|\s")
_LIST_MARKER = re.compile(r"\s*(?:[-*•·‣◦▪–—+]|\(?\d{1,3}[.)]|\(?[a-zA-Z]\)|\([ivxIVX]{1,4}\))\s+")
_GERMAN_ORDINAL = re.compile(r"(?:^|[\s(\[])(?:\d{1,2}\.\d{1,2}\.|\d{1,3}\.)$")
_FIRST_WORD = re.compile(r"[\"'„“”‚‘’»«(\[]*(\w+)")
_BRACKETS = {"(": ")", "[": "]"}
_CLOSING = (")", "]")
_TERMINAL = ".!?…"
_QUOTES = "\"'“”„‚‘’»«"
_OPENERS = "([" + _QUOTES

# Abbreviations that sentencex 1.0.32 takes for a sentence end before a capitalised word, and that
# (almost) never end a sentence. Case matters: capitalised forms (sentence-initial "Inkl.") are added
# below, but "max." stays lower case only, as "Max." is a name.
_COMMON_ABBREVIATIONS = ("tel.", "ext.", "vs.")
_GERMAN_ABBREVIATIONS = (
    "abs.", "abt.", "abb.", "abzgl.", "allg.", "anl.", "bd.", "betr.", "bspw.", "einschl.", "entspr.",
    "exkl.", "fa.", "gem.", "ggfs.", "ggü.", "hd.", "hrn.", "hrsg.", "insb.", "inkl.", "jew.", "kap.",
    "mind.", "mtl.", "nrn.", "pkt.", "stk.", "tab.", "urspr.", "ziff.", "zzgl.", "zzt.",
)  # fmt: skip
_ENGLISH_ABBREVIATIONS = (
    "approx.", "incl.", "excl.", "ms.", "para.", "paras.", "vol.", "ch.", "resp.", "attn.", "avg.", "qty.",
)  # fmt: skip


def _with_capitals(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words) | frozenset(word[0].upper() + word[1:] for word in words)


_EXTRA_ABBREVIATIONS = {
    "de": _with_capitals(_COMMON_ABBREVIATIONS + _GERMAN_ABBREVIATIONS) | {"max."},
    "en": _with_capitals(_COMMON_ABBREVIATIONS + _ENGLISH_ABBREVIATIONS) | {"max."},
}
# After "am 2." a capitalised word is a noun ("Arbeitstag") unless it is one that opens sentences.
_GERMAN_SENTENCE_STARTERS = GERMAN_FUNCTION_WORDS | frozenset(
    """danach dann daher deshalb deswegen darum außerdem zudem jedoch allerdings aber trotzdem dabei damit
    dies diese dieser dieses diesen jede jeder jedes alle beide weitere weiterhin hierfür hierzu somit
    also zunächst anschließend ebenso sowie so sonst""".split()
)


def _line_units(text: str, start: int, end: int, lang: str) -> list[tuple[int, int]]:
    """The units of one line ``text[start:end]`` as trimmed spans."""
    line = text[start:end]
    if _TABLE_OR_HEADING.match(line):
        return [_trimmed(text, start, end)]
    marker = _LIST_MARKER.match(line)
    body = start + marker.end() if marker else start
    spans = [_trimmed(text, body + first, body + last) for first, last in _segment(lang, text[body:end])]
    spans = _merge_false_breaks(text, [span for span in spans if span[0] < span[1]], lang)
    spans = [piece for span in spans for piece in _split_parenthesised(text, *span, lang)]
    if marker:
        # the list marker belongs to the item's first unit
        first_end = spans[0][1] if spans else body
        spans[:1] = [_trimmed(text, start, first_end)]
    return spans


def _segment(lang: str, text: str) -> list[tuple[int, int]]:
    """sentencex's sentence spans of one line; a panic in its Rust core costs this line only its splits."""
    try:
        boundaries = sentencex.get_sentence_boundaries(lang, text)
    except BaseException as exc:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
        if type(exc).__name__ != "PanicException":
            raise
        return [(0, len(text))]
    return [(boundary["start_index"], boundary["end_index"]) for boundary in boundaries]


def _merge_false_breaks(text: str, spans: list[tuple[int, int]], lang: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _false_break(text, merged[-1], (start, end), lang):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


_CONTEXT = 64  # characters either side of a break that decide about it (keeps merging linear)


def _false_break(text: str, left: tuple[int, int], right: tuple[int, int], lang: str) -> bool:
    """Whether sentencex's break between the spans ``left`` and ``right`` is not a sentence end."""
    before = text[max(left[0], left[1] - _CONTEXT) : left[1]]
    after = text[right[0] : min(right[1], right[0] + _CONTEXT)]
    if after.startswith(_CLOSING):  # "(Text (mit Klammern) hier.) Weiter": sentencex breaks before the ")"
        return True
    if before.rsplit(None, 1)[-1].lstrip(_OPENERS) in _EXTRA_ABBREVIATIONS[lang]:
        return True
    if lang == "de" and _GERMAN_ORDINAL.search(before):
        first = _FIRST_WORD.match(after)
        return first is not None and first[1][0].isupper() and first[1].lower() not in _GERMAN_SENTENCE_STARTERS
    return False


def _split_parenthesised(text: str, start: int, end: int, lang: str) -> list[tuple[int, int]]:
    """``(A whole sentence.) Next one`` as two units, where sentencex keeps them together.

    Whether the bracketed text ends a sentence is sentencex's call (so "(z. B.) Kunden" stays whole):
    it is asked about the same text without the brackets.
    """
    pieces = []
    while (closing := _BRACKETS.get(text[start])) is not None:
        close = _matching(text, start, end, closing)
        if close is None:
            break
        inside = _trimmed(text, start + 1, close)
        while inside[0] < inside[1] and text[inside[1] - 1] in _QUOTES:
            inside = (inside[0], inside[1] - 1)
        rest = _trimmed(text, close + 1, end)
        if text[inside[1] - 1] not in _TERMINAL or rest[0] == rest[1] or rest[0] == close + 1:
            break
        if _false_break(text, inside, rest, lang) or not _sentencex_breaks(text, inside, rest, lang):
            break
        pieces.append((start, close + 1))
        start = rest[0]
    pieces.append((start, end))
    return pieces


def _matching(text: str, start: int, end: int, closing: str) -> int | None:
    """The index of the bracket that closes the one at ``start``, if it is before ``end``."""
    depth = 0
    for index in range(start, end):
        if text[index] == text[start]:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return index
    return None


def _sentencex_breaks(text: str, left: tuple[int, int], right: tuple[int, int], lang: str) -> bool:
    """Whether sentencex would break between ``left`` and ``right`` if only a space stood between them."""
    before = text[max(left[0], left[1] - _CONTEXT) : left[1]]
    probe = f"{before} {text[right[0] : min(right[1], right[0] + _CONTEXT)]}"
    return any(first == len(before) + 1 for first, _ in _segment(lang, probe))


def _capped(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` in pieces of at most ``MAX_UNIT_CHARS``, cut at whitespace where there is some."""
    pieces = []
    while end - start > MAX_UNIT_CHARS:
        window = text[start : start + MAX_UNIT_CHARS + 1]
        cut = max(window.rfind(" ", 1), window.rfind("\t", 1))
        cut = start + cut if cut > 0 else start + MAX_UNIT_CHARS
        pieces.append(_trimmed(text, start, cut))
        start, end = _trimmed(text, cut, end)
    if start < end:
        pieces.append((start, end))
    return pieces


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``start:end`` without whitespace at either end (empty as ``(end, end)``)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
