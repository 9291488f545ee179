"""Which language a question is in: German or English, by function words and umlauts.

A question is short, so a statistical detector has little to go on; the function words of a question
("wie", "viele", "kann", "ich" / "how", "many", "can", "I") decide it cheaply and reliably, with no
model or dependency. Anything else (no signal either way) is ``None``: the caller decides the fallback.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "de"]

GERMAN_FUNCTION_WORDS = frozenset(
    """der die das den dem des ein eine einen einem einer und oder nicht ist sind war wird werden wurde
    ich du er sie es wir ihr mein meine meinen mir mich uns unser unsere ihnen sich
    wie was wer wen wem wo wann warum wieso weshalb welche welcher welches welchen woher wohin wozu
    wieviel wieviele viele viel kann können darf dürfen muss müssen soll sollen gibt habe hat haben
    bis zum zur für mit auf bei von vom aus nach über unter im am ins gilt gelten bekomme bekommt
    auch noch schon nur bitte dafür davon dazu dort hier gibt's""".split()
)
ENGLISH_FUNCTION_WORDS = frozenset(
    """the a an and or not is are was were be been will would i you he she it we they my me our us your
    how what who whom where when why which many much can could may must should shall do does did have
    has had get gets to of in on at for with from by about until till there this that these those
    any some please""".split()
)
_WORD = re.compile(r"[a-zA-ZäöüÄÖÜß']+")


def detect_language(text: str) -> Language | None:
    """``"de"`` or ``"en"`` when the text says so, else ``None``."""
    words = [w.lower() for w in _WORD.findall(text)]
    german = sum(w in GERMAN_FUNCTION_WORDS for w in words) + 2 * len(re.findall(r"[äöüÄÖÜß]", text))
    english = sum(w in ENGLISH_FUNCTION_WORDS for w in words)
    if german > english:
        return "de"
    if english > german:
        return "en"
    return None
