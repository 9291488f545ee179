"""What kind of value a question asks for, and whether a sentence states one: the expected answer type.

"Wie schnell muss NORIS wieder laufen?" asks for a duration; "RTO: 4 Stunden" states one, and that is
most of why it answers the question: the question shares one word with it ("NORIS"), and the embedder
(English-only) does not know that "wieder laufen" is what "RTO" measures. The classic question-answering
move is to read the question's opening ("wie lange", "wie teuer", "how many") as the type of the answer
and to prefer sentences that state a value of that type: a number followed by its unit.

Types, each asked by wh-phrases in German and English and stated as a number with a unit word:

* ``duration``: wie lange / schnell, (bis) wann, binnen / in welcher Frist, how long / quickly / soon,
  within what ... and Minuten, Stunden, Tage, Arbeitstage, Wochen, Monate, hours, days, weeks ...;
* ``money``: wie teuer, wie viel kostet, was kostet / zahle, how much ... cost / pay, what ... price / fee
  and Euro, EUR, €, Cent, $;
* ``percent``: wie hoch ... Quote / Anteil / Ratio / Rate, welcher Anteil, what share / percentage /
  rate and Prozent, %, percent;
* ``count``: wie viele, how many, Anzahl and any number (a count needs no unit).

A question may ask for several ("wie hoch" is an amount or a share). Years are no value of any type here:
"2026" answers "wann" only as part of a date, which the number bonus of the extractor already covers.
"""

from __future__ import annotations

import re

__all__ = ["asked_types", "question_topic", "stated_types"]

_ASKS = {
    "duration": re.compile(
        r"\b(wie\s+(lange?|schnell|bald|rasch)|binnen|innerhalb\s+welche[rnms]?|(in|mit)\s+welche[rnms]?\s+frist|"
        r"welche[rnms]?\s+(frist|dauer|zeitraum)|how\s+(long|quickly|fast|soon)|within\s+what|what\s+(deadline|"
        r"period)|wie\s+viele\s+(tage|stunden|wochen|monate|minuten)|how\s+many\s+(days|hours|weeks|months|minutes))\b",
        re.IGNORECASE,
    ),
    "money": re.compile(
        r"\b(wie\s+teuer|wie\s+viel\w*\s+(\w+\s+){0,3}(kost|zahl|bezahl|bekomm|erhalt|erstatt)\w*|was\s+(kost|zahl|"
        r"bezahl)\w*|how\s+much\s+(\w+\s+){0,4}(cost|pay|charge|spend|receive|reimburs|get)\w*|what\s+(price|fee|"
        r"amount)|welche[rnms]?\s+(betrag|preis|summe|geb(ü|u)hr|zuschuss|pauschale)|wie\s+hoch)\b",
        re.IGNORECASE,
    ),
    "percent": re.compile(
        r"\b(wie\s+hoch\s+(\w+\s+){0,5}\w*(quote|anteil|ratio|rate|satz)\w*|welche[rnms]?\s+(anteil|quote|"
        r"prozentsatz)|what\s+(share|percentage|rate|ratio|proportion)|how\s+high\s+(\w+\s+){0,5}\w*(ratio|rate|"
        r"share)\w*)\b",
        re.IGNORECASE,
    ),
    "count": re.compile(r"\b(wie\s+viele|how\s+many|anzahl|number\s+of)\b", re.IGNORECASE),
}
_NUMBER = r"\d+(?:[.,:]\d+)*"
_NUMBERS = re.compile(_NUMBER)
_YEAR = re.compile(r"(19|20)\d\d")
_STATES = {
    "duration": re.compile(
        rf"{_NUMBER}\s*(-\s*{_NUMBER}\s*)?(sekunden?|minuten?|min\b|stunden?|std\b|h\b|(arbeits|werk|kalender)?tage?n?\b|"
        r"wochen?|monate?n?|jahre?n?|seconds?|minutes?|hours?|(working\s+|business\s+|calendar\s+)?days?|weeks?|"
        r"months?|years?)",
        re.IGNORECASE,
    ),
    "money": re.compile(
        rf"((€|eur|euro|\$|usd|chf|£)\s*{_NUMBER}|{_NUMBER}\s*(mio\.?\s*|mrd\.?\s*|million\s+|m\s+)?(€|eur\b|euros?\b|cent\b|"
        r"\$|usd\b|chf\b|£))",
        re.IGNORECASE,
    ),
    "percent": re.compile(rf"{_NUMBER}\s*(%|prozent\b|percent\b|per\s+cent\b)", re.IGNORECASE),
    "count": re.compile(rf"(?<![\d.,:]){_NUMBER}(?![\d.,:]?\d)"),
}


# A German question is verb-second: after a wh-adverb phrase comes the finite verb ("Wie hoch *lag* die
# Quote", "Wann *beginnt* der Kurs"), which says that a value is asked for, not about what. Matched as a
# word it finds sentences that happen to use the same verb ("Die Schadenquote lag bei 65,3 Prozent").
_GERMAN_FRAME = re.compile(
    r"^\s*((bis|ab|seit)\s+)?(wann|wo|wie\s+(hoch|lange?|schnell|teuer|oft|weit|gro(ß|ss)|alt|bald|sp(ä|a)t|fr(ü|u)h))"
    r"\s+\w+\s+",
    re.IGNORECASE,
)


def question_topic(question: str) -> str:
    """``question`` without the finite verb after a German wh-adverb phrase ("Wie hoch die Quote ...").
    The phrase stays: dropping its words would leave fewer words to share, each one worth more. Other
    questions are returned as they are."""
    frame = _GERMAN_FRAME.match(question)
    if frame is None:
        return question
    phrase = frame.group()[: frame.group().rstrip().rfind(" ")]
    return f"{phrase} {question[frame.end() :]}"


def asked_types(question: str) -> frozenset[str]:
    """The types of value ``question`` asks for (none: it asks for something else). "Wie hoch ... die
    Quote" asks for a share, not for an amount of money, though "wie hoch" alone may ask for either."""
    kinds = {kind for kind, pattern in _ASKS.items() if pattern.search(question)}
    if "percent" in kinds:
        kinds.discard("money")
    return frozenset(kinds)


def stated_types(text: str, exclude: frozenset[str] = frozenset()) -> frozenset[str]:
    """The types of value ``text`` states; numbers in ``exclude`` (the question's own) do not count."""
    kinds = set()
    for kind, pattern in _STATES.items():
        for match in pattern.finditer(text):
            if {n for n in _NUMBERS.findall(match.group()) if not _YEAR.fullmatch(n)} - exclude:
                kinds.add(kind)
                break
    return frozenset(kinds)
