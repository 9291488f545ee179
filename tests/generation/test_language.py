"""The answer language follows the question: German or English, detected from function words."""

from __future__ import annotations

import pytest

from ragwarden.generation.language import detect_language


@pytest.mark.parametrize(
    "question",
    [
        "Wie viele Urlaubstage kann ich übertragen?",
        "Bis wann?",
        "Wer genehmigt Dienstreisen erster Klasse?",
        "Gibt es einen Zuschuss für das Jobticket?",
        "Was kostet ein Parkausweis im Monat",
        "Gehaltsbänder für Beschäftigte",
    ],
)
def test_german_questions_are_german(question: str) -> None:
    assert detect_language(question) == "de"


@pytest.mark.parametrize(
    "question",
    [
        "How many vacation days can I carry over?",
        "Until when?",
        "Who approves first class train travel?",
        "Is there a subsidy for the job ticket?",
        "What does a parking permit cost per month",
    ],
)
def test_english_questions_are_english(question: str) -> None:
    assert detect_language(question) == "en"


@pytest.mark.parametrize("text", ["VPN", "SAP 2025", "???"])
def test_no_signal_is_undecided(text: str) -> None:
    assert detect_language(text) is None
