"""Extractive answers pick the sentences that answer, quote them as they stand, and say nothing when
nothing answers. A bag-of-words embedder stands in for the real one (the benchmark and the demo API tests
use the real embedder)."""

from __future__ import annotations

import pytest

from ragwarden.core.models import SearchHit
from ragwarden.generation import extractive
from ragwarden.generation.extractive import Extractor
from ragwarden.testing.fakes.embedding import CountingEmbedder

POLICY = (
    "# Urlaubsrichtlinie\n"
    "Der Jahresurlaub beträgt 30 Arbeitstage bei einer Fünf-Tage-Woche. "
    "Mitarbeitende können bis zu 5 Urlaubstage ins Folgejahr übertragen. "
    "Übertragene Tage verfallen am 31. März."
)
BENEFITS = (
    "Alle Mitarbeitenden können das Deutschlandticket als Jobticket beziehen. "
    "Das Jobticket kostet 29 Euro pro Monat; den Rest übernimmt Nordlicht."
)
CANTEEN = "Die Kantine im Erdgeschoss ist montags bis freitags von 11:30 bis 14:00 Uhr geöffnet."


def hit(doc: str, text: str, rank: int) -> SearchHit:
    return SearchHit(f"{doc}-p", 1.0 / (1 + rank), {"doc_id": doc, "text": text, "language": "de", "title": doc})


def test_the_sentence_with_the_fact_is_quoted_verbatim_with_its_document() -> None:
    hits = [hit("urlaub", POLICY, 0), hit("kantine", CANTEEN, 1)]
    quotes = Extractor(CountingEmbedder()).quotes("Wie viele Urlaubstage kann ich ins Folgejahr übertragen?", hits)
    assert quotes and "5 Urlaubstage" in quotes[0].text and quotes[0].hit.doc_id == "urlaub"
    assert all(q.text in " ".join(POLICY.split()) or q.text in CANTEEN for q in quotes)  # the source's own words
    assert len(quotes) <= 3


def test_a_question_for_an_amount_gets_the_sentence_after_the_one_that_names_the_topic() -> None:
    quotes = Extractor(CountingEmbedder()).quotes("Was kostet das Jobticket?", [hit("benefits", BENEFITS, 0)])
    assert any("29 Euro" in q.text for q in quotes)


def test_nothing_is_quoted_when_no_sentence_shares_the_question_or_its_meaning() -> None:
    hits = [hit("kantine", CANTEEN, 0)]
    assert Extractor(CountingEmbedder()).quotes("Welche Firewall-Regeln gelten im Rechenzentrum?", hits) == []
    assert Extractor(CountingEmbedder()).quotes("Urlaub?", []) == []


BACKUP = (
    "Das Konzept stellt sicher, dass alle Daten nach einem Ausfall wiederhergestellt werden können.\n"
    "System | Kritikalität | RPO | RTO\n"
    "Buchungssystem | sehr hoch | 15 Minuten | 4 Stunden\n"
    "Intranet | niedrig | 1 Tag | 3 Tage"
)


def titled(doc: str, text: str, rank: int, title: str) -> SearchHit:
    found = hit(doc, text, rank)
    return SearchHit(found.point_id, found.score, {**found.payload, "title": title})


def test_a_table_row_is_quoted_with_its_header_when_the_question_asks_for_its_kind_of_value() -> None:
    """The row shares one word with the question; the duration it states and the document's title do the rest."""
    hits = [titled("backup", BACKUP, 0, "Backup konzept 2026")]
    quotes = Extractor(CountingEmbedder()).quotes(
        "Wie schnell muss das Buchungssystem laut Backupkonzept laufen?", hits
    )
    assert quotes and quotes[0].text == (
        "System: Buchungssystem | Kritikalität: sehr hoch | RPO: 15 Minuten | RTO: 4 Stunden"
    )
    assert quotes[0].typed > 0


QUARTER = (
    "Die Schadenquote lag im ersten Quartal bei 65,3 Prozent. Das Ergebnis vor Steuern betrug 18,4 Mio. Euro. "
    "Die Combined Ratio verbesserte sich auf 93,7 Prozent."
)


def test_a_german_question_for_a_share_quotes_the_sentence_about_its_subject_not_only_its_verb() -> None:
    """The verb "lag" says that a value is asked for, not about what: the sentence that shares it and the
    quarter is not the whole answer; "wie hoch ... Ratio" asks for a share, which the ratio's sentence states."""
    hits = [hit("q1", QUARTER, 0)]
    quotes = Extractor(CountingEmbedder()).quotes("Wie hoch lag die Combined Ratio im ersten Quartal?", hits)
    assert any("93,7 Prozent" in q.text for q in quotes)


def test_stating_the_kind_of_value_asked_for_never_turns_a_refusal_into_an_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bonus for a value of the asked kind orders quotes; whether anything is quoted is decided
    without it."""
    hits = [hit("gast", "Gastkonten sind auf die Vertragsdauer begrenzt, höchstens 12 Monate.", 0)]
    question = "Wie viele Monate Sabbatical kann ich nehmen?"
    monkeypatch.setattr(extractive, "MIN_SCORE", 0.0)
    (quote,) = Extractor(CountingEmbedder()).quotes(question, hits)
    assert quote.typed > 0
    monkeypatch.setattr(extractive, "MIN_SCORE", quote.score - quote.typed / 2)  # only the bonus reaches it
    assert Extractor(CountingEmbedder()).quotes(question, hits) == []
