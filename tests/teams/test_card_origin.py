"""The AI notice on the Teams card (EU AI Act Art. 50): a generated answer opens with "AI-generated" and its
model, in the answer's language; quotes the system selected open with "quotes selected automatically", never
"AI-generated"; the "not found" reply carries no label. The real answerer's dict drives the card."""

from __future__ import annotations

from typing import Any

import pytest

from ragwarden.api.teams.card import TEXTS, answer_card
from ragwarden.generation.answer_events import AnswerResult, Timings
from ragwarden.generation.citations import Citation

CITATION = Citation(1, "d1", "Urlaub", "https://intranet.example/urlaub", "Resturlaub …")


def _result(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"answer": "Resturlaub verfällt am 31. März [1].", "citations": (CITATION,),
                            "conversation_id": "c", "language": "de", "found": True, "standalone_question": "q",
                            "model_id": "smollm2-135m", "timings": Timings()}
    return AnswerResult(**(base | fields)).to_dict()


def _first(card: dict[str, Any]) -> str:
    return str(card["body"][0]["inlines"][0]["text"])


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_generated_answer_opens_with_the_ai_notice_and_its_model(language: str) -> None:
    result = _result(language=language)
    assert result["ai_generated"] is True and result["model"] == "smollm2-135m"
    assert result["quotes_selected_automatically"] is False
    assert _first(answer_card(result, group=False)) == TEXTS["ai_generated"][language].format(model="smollm2-135m")


@pytest.mark.parametrize("fields", [{"mode": "extractive"}, {"fallback": True}])
@pytest.mark.parametrize("language", ["de", "en"])
def test_quotes_are_labelled_selected_automatically_not_ai_generated(language: str, fields: dict[str, Any]) -> None:
    sentences = (("Resturlaub verfällt am 31. März.", 1),)
    result = _result(language=language, sentences=sentences, **fields)
    assert result["ai_generated"] is False and result["model"] is None
    assert result["quotes_selected_automatically"] is True
    card = answer_card(result, group=False)
    assert _first(card) == TEXTS["quotes_selected"][language]
    assert not any("KI-generierte Antwort" in r["text"] or "AI-generated answer" in r["text"]
                   for b in card["body"] for r in b["inlines"])


def test_the_not_found_reply_carries_no_label() -> None:
    result = _result(found=False, citations=())
    assert result["ai_generated"] is False and result["quotes_selected_automatically"] is False
    card = answer_card(result, group=False)
    assert _first(card) == TEXTS["not_found"]["de"]
    assert len(card["body"]) == 1
