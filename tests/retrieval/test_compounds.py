"""German compounds count for their parts in the keyword half, at index and query time alike; English text is
left as it is, and the whole compound still counts."""

from __future__ import annotations

import pytest

from ragwarden.retrieval import compounds
from ragwarden.retrieval.sparse import GERMAN, Bm25Encoder

GERMAN_CHUNK = "Der Netzwerkdrucker im dritten Stock ist wieder da, und die Gehaltsabrechnung kommt am 25."
ENGLISH_CHUNK = "The network printer on the third floor is back, and the payslip arrives on the 25th."


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Netzwerkdrucker", {"netzwerk", "drucker"}),
        ("Urlaubsantrag", {"urlaub", "antrag"}),
        ("Gehaltsabrechnung", {"gehalt", "abrechnung"}),
        ("Reisekostenabrechnung", {"reisekosten", "abrechnung", "reise", "kosten"}),
        ("Urlaubstage", {"urlaub", "tag"}),  # split as its dictionary form "Urlaubstag"
        ("Betriebsrat", {"betrieb", "rat"}),
        ("Wiederherstellungstests", {"wiederherstellung", "tests"}),
    ],
)
def test_a_compound_splits_into_its_nouns_across_linking_letters(word: str, expected: set[str]) -> None:
    assert expected <= set(compounds.parts(word))


@pytest.mark.parametrize("word", ["Drucker", "Urlaub", "Versicherung", "Abrechnung", "Zusammenfassung", "IT"])
def test_a_word_that_is_no_compound_has_no_parts(word: str) -> None:
    assert compounds.parts(word) == ()


def test_english_text_is_left_as_it_is_and_german_text_gains_the_parts_after_the_whole_words() -> None:
    assert compounds.is_english(ENGLISH_CHUNK) and not compounds.is_english(GERMAN_CHUNK)
    assert compounds.expand(ENGLISH_CHUNK) == ENGLISH_CHUNK
    expanded = compounds.expand(GERMAN_CHUNK)
    assert expanded.startswith(GERMAN_CHUNK)  # the whole compound stays
    assert {"netzwerk", "drucker", "abrechnung"} <= set(expanded[len(GERMAN_CHUNK) :].split())


def test_a_query_for_a_part_matches_the_german_vector_of_a_chunk_holding_the_compound() -> None:
    split, plain = Bm25Encoder(), Bm25Encoder(split_compounds=False)
    for query in ("Drucker", "Abrechnung", "Netzwerkdrucker"):
        asked = set(split.query(query)[GERMAN].indices)
        assert asked <= set(split.document(GERMAN_CHUNK)[GERMAN].indices), query
    assert not set(plain.query("Drucker")[GERMAN].indices) & set(plain.document(GERMAN_CHUNK)[GERMAN].indices)


def test_a_compound_query_also_finds_a_chunk_that_names_its_parts_apart() -> None:
    encoder = Bm25Encoder()
    chunk = encoder.document("Jeder Drucker im Netzwerk hat eine feste Adresse.")[GERMAN]
    asked = encoder.query("Netzwerkdrucker")[GERMAN]
    assert len(set(asked.indices) - set(chunk.indices)) == 1  # all but the whole word: "netzwerk", "drucker", ...


def test_the_english_vectors_and_english_text_are_untouched_by_splitting() -> None:
    split, plain = Bm25Encoder(), Bm25Encoder(split_compounds=False)
    assert split.document(ENGLISH_CHUNK) == plain.document(ENGLISH_CHUNK)
    assert split.document(GERMAN_CHUNK)["bm25_en"] == plain.document(GERMAN_CHUNK)["bm25_en"]
    assert split.version != plain.version
