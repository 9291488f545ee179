"""Extractive answers pick the sentences that answer, quote them as they stand, and say nothing when
nothing answers. A bag-of-words embedder stands in for the real one (the benchmark and the demo API tests
use the real embedder)."""

from __future__ import annotations

from ragwarden.core.models import SearchHit
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
