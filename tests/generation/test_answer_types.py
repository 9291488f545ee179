"""The kind of value a question asks for, and the sentences that state one."""

from __future__ import annotations

import pytest

from ragwarden.generation.answer_types import asked_types, question_topic, stated_types


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Wie schnell muss das System nach einem Ausfall wieder laufen?", {"duration"}),
        ("Bis wann muss ich eine Datenpanne melden?", set()),
        ("In welcher Frist muss der Kunde eine Antwort bekommen?", {"duration"}),
        ("How long are backups kept?", {"duration"}),
        ("Wie teuer darf ein Hotel pro Nacht sein?", {"money"}),
        ("How much do I pay for the job ticket?", {"money"}),
        ("Wie hoch lag die Combined Ratio im ersten Quartal?", {"percent"}),  # a share, not an amount
        ("Wie hoch ist das Budget?", {"money"}),
        ("Wie viele Stellplätze gibt es?", {"count"}),
        ("How many days per week may I work remotely?", {"duration", "count"}),
        ("Wo feiern wir das Sommerfest?", set()),
    ],
)
def test_the_question_says_what_kind_of_value_it_asks_for(question: str, kinds: set[str]) -> None:
    assert asked_types(question) == kinds


def test_a_sentence_states_a_value_with_its_unit_and_the_question_s_own_numbers_and_years_do_not_count() -> None:
    assert stated_types("RTO: 4 Stunden") >= {"duration", "count"}
    assert stated_types("Das Jobticket kostet 29 Euro pro Monat.") >= {"money"}
    assert stated_types("Hotel bis EUR 120 pro Nacht") >= {"money"}
    assert "percent" in stated_types("Die Quote verbesserte sich auf 93,7 Prozent.")
    assert stated_types("Die Regel gilt seit 2026.") == frozenset()  # a year is no amount
    assert "duration" not in stated_types("nach 30 Tagen gelöscht", exclude=frozenset({"30"}))


def test_the_finite_verb_after_a_german_wh_adverb_is_not_a_topic_word() -> None:
    assert question_topic("Wie hoch lag die Combined Ratio im ersten Quartal?") == (
        "Wie hoch die Combined Ratio im ersten Quartal?"
    )
    assert question_topic("Bis wann hat der Betriebsrat zugestimmt?") == "Bis wann der Betriebsrat zugestimmt?"
    assert question_topic("Wie viele Urlaubstage darf ich übertragen?") == "Wie viele Urlaubstage darf ich übertragen?"
    assert question_topic("How high was the ratio?") == "How high was the ratio?"
