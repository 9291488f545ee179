"""German compounds for the keyword half: "Netzwerkdrucker" also counts as "Netzwerk" and "Drucker".

German writes new concepts as one word, so a page about the "Drucker" is not found for "Netzwerkdrucker",
nor one about "Urlaub" and "Antrag" for "Urlaubsantrag": the Snowball stemmer shortens words, it never
splits them. Here every German word of a text that splits into known nouns (with the linking letters
German puts between them: Urlaub-s-antrag, Woche-n-ende) is followed by its parts, before the text is
handed to BM25; the whole word stays too, so an exact compound still ranks first. Splitting is recursive
("Reisekostenabrechnung" → "Reisekosten", "Abrechnung", "Reise", "Kosten").

Which splitter (tried here, Python 3.11, on 60 long words of the demo corpus such as Netzwerkdrucker,
Urlaubsantrag, Gehaltsabrechnung, Reisekostenabrechnung):

- ``charsplit-fst`` (MIT/Apache, 9 MB wheel, an n-gram model in a Rust FST) ships wheels for Python >= 3.12
  only, and we support 3.11.
- ``compound-split`` (CharSplit's n-gram model, 0.1 ms a word) split the real compounds well, but always
  splits (a score decides: "Drucker" → "Druc|Ker"), does one split per call, is GPL-3.0, which an Apache-2.0
  product cannot take on, and installs 185 MB.
- ``german-nouns`` (Wiktionary nouns, 0.2 ms a word) returns lemmas but left "Urlaubstage", "Dienstreisen"
  and "Entgeltgruppen" whole and cut "Fahrradstellplatz" to "Platz"; its data is CC BY-SA 4.0, and its
  parser dependency pins ``lxml<5``, which would downgrade the lxml our parsing needs.

So the splitting is ours (a shortest split into dictionary nouns, the classic lexicon method), over the
German dictionary that ``simplemma`` (MIT, maintained, data in its wheel, no download) ships: 686 000
capitalised word forms, inflections included, so "Tage" and "Bänder" are parts as they stand. Loading it
takes 1.3-3.7 s (measured on 2 busy cores) and ~120 MB resident once per process, on the first German text,
or at start-up (``Services.warm_up_syncs``); then a word costs microseconds (splits are cached). Without word
frequencies a split cannot always be told from a false one ("Urlaubs-tag" or "Urlaub-stag"), so every
shortest split counts: a rare false part costs a little precision, a missing right one the match.

Which text is German is decided per text by function words (:func:`is_english`): a chunk of a hundred
words holds dozens of "der", "und", "the", "of", which tell the two languages apart without a model, and
in microseconds (``py3langid``, BSD, 4.6 MB, would add a model and a guess for two-word queries; the
generation layer's question detector works the same way). English text is left as it is; a text with no
signal (a short query such as "Drucker") is treated as German, where splitting a word that is no compound
changes nothing.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

#: Bumped whenever the words handed to BM25 change: an index records it (see the index adapters), and one
#: built by another version has its keyword vectors re-made when opened, never mixed with differently split
#: queries (:mod:`ragwarden.retrieval.keyword_migration`).
VERSION = "de-compounds-1"

MIN_HEAD = 3  # "Betriebs-rat", "Urlaubs-tag"
MIN_PART = 4  # a modifier of three letters is more often a false split ("Bei-trag") than a word
MIN_WORD = MIN_PART + MIN_HEAD
LINKS = ("", "s", "es", "n", "en", "er", "e", "ns")  # Fugenelemente, after the modifier
MAX_SPLITS = 4
# Endings of inflected nouns, longest first. Split as they stand, "Assistenten" would end in "Enten" and
# "Urlaubstage" in "Stage"; their dictionary forms ("Assistent", "Urlaubstag") do not.
ENDINGS = ("ern", "en", "er", "es", "n", "e", "s")
# dictionary words that end many words without being their head ("Kommunikat-ion", "Control-ling")
_NOT_HEADS = frozenset({"ion", "ling", "ting", "ent", "ant", "ist", "ier", "tion"})
_WORD = re.compile(r"[^\W\d_]+")
_GERMAN = frozenset(
    """der die das den dem des ein eine einen einem einer eines und oder nicht ist sind war wird werden wurde
    ich du er sie es wir ihr sich wie was wer wo wann warum welche welcher welches im am ins zum zur für mit
    auf bei von vom aus nach über unter bis auch noch nur kann können muss müssen soll sollen darf gibt hat
    haben sowie dass werden wenn diese dieser dieses einer""".split()
)
_ENGLISH = frozenset(
    """the a an and or not is are was were be been will would i you he she it we they my our your how what
    who where when why which can could may must should do does did have has had to of in on at for with
    from by about this that these those there their its as any if""".split()
)

_lock = threading.Lock()
_lexicon: frozenset[str] | None = None


def _signals(text: str) -> tuple[int, int]:
    """German and English function words in ``text`` (umlauts count German)."""
    words = [w.lower() for w in _WORD.findall(text)]
    german = sum(w in _GERMAN for w in words) + sum(text.count(c) for c in "äöüßÄÖÜ")
    return german, sum(w in _ENGLISH for w in words)


def is_english(text: str) -> bool:
    """Whether the text reads as English: more English than German function words (umlauts count German)."""
    german, english = _signals(text)
    return english > german


def reads_german(text: str) -> bool:
    """Whether the text shows it is German: not English by :func:`is_english`, and at least one German
    function word or umlaut. Unlike splitting, where a text with no signal may as well be German, ranking
    changes for what this says, so a bare "printer driver" must not count as German."""
    german, english = _signals(text)
    return german > 0 and german >= english


def lexicon() -> frozenset[str]:
    """The German nouns (lower case, every inflected form), loaded once per process."""
    global _lexicon
    with _lock:
        if _lexicon is None:
            from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

            forms = DefaultDictionaryFactory().get_dictionary("de").keys()
            _lexicon = frozenset(k.lower() for k in forms if k[:1].isupper() and k.isalpha() and len(k) >= MIN_HEAD)
        return _lexicon


@lru_cache(maxsize=200_000)
def parts(word: str) -> tuple[str, ...]:
    """The nouns a German compound is made of, outermost split first then each part's own parts;
    ``()`` for a word that is no compound of known nouns."""
    lowered = word.lower()
    if len(lowered) < MIN_WORD or not lowered.isalpha():
        return ()
    known = lexicon()
    for ending in ENDINGS:  # an inflected form splits as its dictionary form: "Urlaubstage" as "Urlaubstag"
        stem = lowered[: -len(ending)]
        if lowered.endswith(ending) and len(stem) >= MIN_WORD and stem in known:
            return parts(stem)
    out: list[str] = []
    for split in _shortest_splits(lowered, lexicon()):
        out.extend(p for p in split if p not in out)
    for part in list(out):
        out.extend(p for p in parts(part) if p not in out)
    return tuple(out)


def _shortest_splits(word: str, known: frozenset[str]) -> list[tuple[str, ...]]:
    """Every way to spell ``word`` with the fewest dictionary nouns (two or more), linking letters
    between them. Without word frequencies "Urlaubs-tage" and "Urlaub-stage" cannot be told apart, so
    both count: a rare wrong part costs a little precision, a missing right one the match."""
    best: dict[int, list[tuple[str, ...]]] = {}

    def tail(start: int) -> list[tuple[str, ...]]:
        if start in best:
            return best[start]
        found: list[tuple[str, ...]] = []
        rest = word[start:]
        if start > 0 and len(rest) >= MIN_HEAD and rest in known and rest not in _NOT_HEADS:
            found = [(rest,)]  # the word itself (start 0) is no split
        for end in range(start + MIN_PART, len(word) - MIN_HEAD + 1):
            piece = word[start:end]
            if piece not in known:
                continue
            for link in LINKS:
                if not word.startswith(link, end) or end + len(link) > len(word) - MIN_HEAD:
                    continue
                for more in tail(end + len(link)):
                    candidate = (piece, *more)
                    if not found or len(candidate) < len(found[0]):
                        found = [candidate]
                    elif len(candidate) == len(found[0]) and len(found) < MAX_SPLITS:
                        found.append(candidate)
        best[start] = found
        return found

    return [s for s in tail(0) if len(s) > 1]


def expand(text: str) -> str:
    """``text`` with each German compound followed by its parts; English text unchanged."""
    if is_english(text):
        return text
    extra = [" ".join(p) for w in _WORD.findall(text) if (p := parts(w))]
    return f"{text}\n{' '.join(extra)}" if extra else text
