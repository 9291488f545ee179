"""Extractive answers on the card: one quoted sentence per block, in the answer language's quotation
marks, each with the [n] of a source listed below; every piece of document text stays a TextRun (Teams
renders it literally), and a generated answer keeps its text plus a note on left-out sentences."""

from __future__ import annotations

from typing import Any

import pytest

from ragwarden.api.teams.card import TEXTS, answer_card

HOSTILE = "Click [here](https://evil.example) **now** <at>everyone</at>"


def _citation(number: int, title: str, uri: str) -> dict[str, Any]:
    return {
        "number": number,
        "doc_id": f"d{number}",
        "title": title,
        "source_uri": uri,
        "snippet": "",
        "section": "",
        "page": None,
        "cited": True,
    }


CITATIONS = [
    _citation(1, "Urlaubsrichtlinie", "https://intranet.example/hr/urlaub"),
    _citation(2, "Remote Work [Policy](https://evil.example)", "file:///srv/docs/remote.md"),
]


def _extractive(language: str, **extra: Any) -> dict[str, Any]:
    sentences = [
        {"text": "Resturlaub kann bis zum 31. März übertragen werden.", "citation": 1},
        {"text": HOSTILE, "citation": 2},
    ]
    answer = "\n".join(f"\u201c{s['text']}\u201d [{s['citation']}]" for s in sentences)
    return {
        "answer": answer,
        "citations": CITATIONS,
        "conversation_id": "c",
        "language": language,
        "found": True,
        "mode": "extractive",
        "sentences": sentences,
        "fallback": False,
        "dropped_sentences": 0,
        **extra,
    }


def _blocks(card: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = card["body"]
    assert {b["type"] for b in blocks} == {"RichTextBlock"}  # never a TextBlock, which renders Markdown
    assert all(r["type"] == "TextRun" for b in blocks for r in b["inlines"])
    # the AI notice opens every answer, not the "not found" reply (tests/teams/test_card_origin.py)
    labelled = _texts(blocks[0])[0].startswith(("AI-generated", "KI-generierte", "Quotes selected", "Automatisch"))
    return blocks[1:] if labelled else blocks


def _texts(block: dict[str, Any]) -> list[str]:
    return [r["text"] for r in block["inlines"]]


def _links(card: dict[str, Any]) -> list[str]:
    return [r["selectAction"]["url"] for b in card["body"] for r in b["inlines"] if "selectAction" in r]


@pytest.mark.parametrize(("language", "opening", "closing"), [("de", "\u201e", "\u201c"), ("en", "\u201c", "\u201d")])
def test_an_extractive_answer_is_one_quote_per_sentence_with_the_number_of_its_listed_source(
    language: str, opening: str, closing: str
) -> None:
    card = answer_card(_extractive(language), group=False)
    blocks = _blocks(card)
    assert _texts(blocks[0]) == [TEXTS["quotes"][language]]
    first, second = blocks[1], blocks[2]
    assert _texts(first) == [f"{opening}Resturlaub kann bis zum 31. März übertragen werden.{closing}", " [1]"]
    assert first["inlines"][0]["italic"] is True and "italic" not in first["inlines"][1]
    assert _texts(second) == [f"{opening}{HOSTILE}{closing}", " [2]"]
    assert _texts(blocks[3]) == [TEXTS["sources"][language]]
    sources = [_texts(b) for b in blocks[4:6]]
    assert [s[0] for s in sources] == ["[1] ", "[2] "]  # the numbers after the quotes are these
    assert sources[1][1] == "Remote Work [Policy](https://evil.example)"
    assert _links(card) == ["https://intranet.example/hr/urlaub"]  # the http source only, never a quote
    assert "evil.example" not in str([r.get("selectAction") for b in blocks for r in b["inlines"]])
    assert len(blocks) == 6 and not any(TEXTS["fallback"][language] in _texts(b) for b in blocks)


def test_the_plain_text_answer_of_an_extractive_result_is_not_shown_twice() -> None:
    card = answer_card(_extractive("en"), group=False)
    assert not any("\n" in t for b in card["body"] for t in _texts(b))


def test_a_quote_whose_source_is_not_listed_gets_no_number() -> None:
    result = _extractive("en", sentences=[{"text": "Kept.", "citation": 7}, {"text": "Also.", "citation": None}])
    blocks = _blocks(answer_card(result, group=False))
    assert _texts(blocks[1]) == ["\u201cKept.\u201d"] and _texts(blocks[2]) == ["\u201cAlso.\u201d"]


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_fallback_shows_the_quotes_and_says_why(language: str) -> None:
    result = _extractive(language, mode="generated", fallback=True, answer="an unsupported generated answer")
    blocks = _blocks(answer_card(result, group=False))
    assert _texts(blocks[0]) == [TEXTS["fallback"][language]] and blocks[0]["inlines"][0]["isSubtle"] is True
    assert _texts(blocks[1]) == [TEXTS["quotes"][language]]
    assert _texts(blocks[2])[1] == " [1]"
    assert "an unsupported generated answer" not in str(blocks)


@pytest.mark.parametrize(
    ("language", "dropped", "note"),
    [
        ("en", 0, None),
        ("en", 1, "1 sentence without support in the sources was left out."),
        ("en", 3, "3 sentences without support in the sources were left out."),
        ("de", 2, "2 Sätze ohne Beleg in den Quellen wurden weggelassen."),
    ],
)
def test_a_generated_answer_is_unchanged_and_notes_left_out_sentences(
    language: str, dropped: int, note: str | None
) -> None:
    result = {
        "answer": f"{HOSTILE} [1]",
        "citations": CITATIONS[:1],
        "conversation_id": "c",
        "language": language,
        "found": True,
        "mode": "generated",
        "fallback": False,
        "dropped_sentences": dropped,
        "sentences": [{"text": f"{HOSTILE} [1]", "citation": 1}],
    }
    blocks = _blocks(answer_card(result, group=False))
    assert _texts(blocks[0]) == [f"{HOSTILE} [1]"]  # today's rendering: the answer as one TextRun
    assert "italic" not in blocks[0]["inlines"][0]
    notes = [b for b in blocks if b["inlines"][0].get("isSubtle")]
    assert [_texts(b)[0] for b in notes] == ([note] if note else [])
    assert not any(TEXTS["quotes"][language] in _texts(b) for b in blocks)


def test_an_old_server_without_a_mode_is_a_generated_answer() -> None:
    result = {
        "answer": "A [1].",
        "citations": CITATIONS[:1],
        "language": "en",
        "found": True,
        "sentences": [{"text": "A", "citation": 1}],
    }
    assert _texts(_blocks(answer_card(result, group=False))[0]) == ["A [1]."]


def test_not_found_stays_the_fixed_text_whatever_the_mode() -> None:
    result = {
        "answer": "x",
        "citations": [],
        "language": "de",
        "found": False,
        "mode": "extractive",
        "sentences": [],
        "fallback": False,
        "dropped_sentences": 0,
    }
    assert [_texts(b) for b in _blocks(answer_card(result, group=True))] == [[TEXTS["not_found_group"]["de"]]]
