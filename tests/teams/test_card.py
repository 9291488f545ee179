"""The answer card links only to web addresses and renders answer text literally; mentions are stripped."""

from __future__ import annotations

from typing import Any

import pytest
from microsoft_agents.activity import Activity

from ragwarden.api.teams.bot import question_text
from ragwarden.api.teams.card import TEXTS, answer_card, safe_link


def _result(uri: str, answer: str = "The allowance is 45 EUR [1].") -> dict[str, Any]:
    citation = {"number": 1, "doc_id": "d", "title": "Remote Work Policy", "source_uri": uri, "snippet": "",
                "section": "", "page": None, "cited": True}
    return {"answer": answer, "citations": [citation], "conversation_id": "c", "language": "en", "found": True}


def _runs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [run for block in card["body"] for run in block["inlines"]]


def test_an_http_source_is_a_link_with_its_title() -> None:
    runs = _runs(answer_card(_result("https://intranet.example/policies/remote-work"), group=False))
    linked = [r for r in runs if "selectAction" in r]
    assert linked == [{"type": "TextRun", "text": "Remote Work Policy",
                       "selectAction": {"type": "Action.OpenUrl", "url": "https://intranet.example/policies/remote-work",
                                        "title": "Remote Work Policy"}}]


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
                                 "file:///srv/docs/hr/plan.txt", "smb://fs01/hr/plan.txt", "https://", "http:///x",
                                 "https://ok.example/a b"])
def test_anything_but_an_absolute_web_address_is_never_a_link(uri: str) -> None:
    assert safe_link(uri) is None
    card = answer_card(_result(uri), group=False)
    assert not any("selectAction" in r for r in _runs(card))
    assert "Action.OpenUrl" not in str(card)


def test_a_file_source_is_shown_as_its_path() -> None:
    runs = _runs(answer_card(_result("file:///srv/docs/all%20staff/remote.md"), group=False))
    assert any(r["text"] == " — /srv/docs/all staff/remote.md" for r in runs)


def test_answer_text_is_a_text_run_so_markdown_in_it_stays_text() -> None:
    card = answer_card(_result("file:///x", answer="Click [here](https://evil.example) **now**"), group=False)
    first = card["body"][1]  # after the AI notice
    assert first["type"] == "RichTextBlock" and first["inlines"][0]["text"].startswith("Click [here]")


@pytest.mark.parametrize(("language", "group", "key"), [("en", False, "not_found"), ("de", False, "not_found"),
                                                        ("de", True, "not_found_group")])
def test_not_found_is_said_in_the_answers_language(language: str, group: bool, key: str) -> None:
    result = {"answer": "", "citations": [], "language": language, "found": False}
    assert _runs(answer_card(result, group=group))[0]["text"] == TEXTS[key][language]


def test_the_bots_mention_is_stripped_and_other_mentions_keep_their_names() -> None:
    activity = Activity.model_validate({
        "type": "message", "text": "<at>ragwarden</at> what does <at>Bernd Becker</at> own?",
        "recipient": {"id": "28:bot", "name": "ragwarden"},
        "entities": [{"type": "mention", "mentioned": {"id": "28:bot", "name": "ragwarden"},
                      "text": "<at>ragwarden</at>"}],
    })
    assert question_text(activity) == "what does Bernd Becker own?"


def test_an_answer_while_sources_are_withheld_says_so_in_the_askers_language() -> None:
    result = {"found": True, "language": "de", "answer": "Antwort", "citations": [], "sources_unavailable": True}
    assert any("vorübergehend nicht verfügbar" in r["text"] for r in _runs(answer_card(result, group=False)))
    missing = {"found": False, "language": "en", "sources_unavailable": True}
    assert any("temporarily unavailable" in r["text"] for r in _runs(answer_card(missing, group=True)))
    quiet = {"found": True, "language": "en", "answer": "A", "citations": []}
    assert not any("unavailable" in r["text"] for r in _runs(answer_card(quiet, group=False)))
