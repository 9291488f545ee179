"""For a query that reads German, the English keyword leg counts half in the fusion (it would vote a second time
for the same German word forms); every other query is fused as before. Both index adapters weigh alike, and the
access filter holds inside every leg."""

from __future__ import annotations

import pytest

from ragwarden.core.ports import SearchMode, VectorIndex
from ragwarden.retrieval import compounds, sparse
from ragwarden.retrieval.floored_search import floored_query, query_legs
from ragwarden.retrieval.hybrid import SearchPlan
from ragwarden.testing.contracts.vector_index_data import BOB, EMBEDDER, HR, ask, load

RRF_K = SearchPlan().rrf_k


@pytest.mark.parametrize(
    ("text", "german"),
    [
        ("Wann ist die Wartung der Server?", True),
        ("Wie viele Urlaubstage habe ich?", True),
        ("Urlaubsanträge", True),  # an umlaut is German enough
        ("In welches Gehaltsband fallen Softwareentwickler?", True),  # a tie of "in" and "welches" is not English
        ("How many vacation days do I have?", False),
        ("printer driver", False),  # no signal: fused as before, not guessed German
        ("Netzwerkdrucker", False),
    ],
)
def test_only_a_query_that_shows_it_is_german_weighs_the_english_leg_half(text: str, german: bool) -> None:
    assert compounds.reads_german(text) is german
    expected = {sparse.ENGLISH: sparse.GERMAN_QUERY_ENGLISH_WEIGHT} if german else {}
    assert sparse.fusion_weights(text) == expected


def test_the_weights_ride_on_the_legs_and_plain_fusion_stays_plain() -> None:
    encoder = sparse.Bm25Encoder()
    dense = EMBEDDER.embed_batch(["Wartung"])[0]
    german = query_legs(encoder, "hybrid", dense, "Wann ist die Wartung der Server?", len(dense))
    assert [(leg.using, leg.weight) for leg in german] == [("dense", 1.0), ("bm25_de", 1.0), ("bm25_en", 0.5)]
    assert floored_query(SearchPlan(), german, 5, False).weights == [1.0, 1.0, 0.5]
    english = query_legs(encoder, "hybrid", dense, "When is the server maintenance?", len(dense))
    assert floored_query(SearchPlan(), english, 5, False).weights is None  # the request is exactly as before


def test_the_engine_fuses_a_german_query_with_the_english_ranks_stretched(
    index: VectorIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only one chunk holds "Wartung" and "Server": first in both keyword legs, it scores 1/k from the German leg
    and 1/((0 + 1)/0.5 + k - 1) = 1/(k + 1) from the English one, in every adapter; unweighted 2/k."""
    load(index)
    text = "Wann ist die Wartung der Server?"
    top = index.search(HR, EMBEDDER.embed_batch([text])[0], text, 3, "sparse")[0]
    assert top.doc_id == "it-window"
    assert top.score == pytest.approx(1 / RRF_K + 1 / (RRF_K + 1), rel=1e-5)
    monkeypatch.setattr(sparse, "GERMAN_QUERY_ENGLISH_WEIGHT", 1.0)
    assert index.search(HR, EMBEDDER.embed_batch([text])[0], text, 3, "sparse")[0].score == pytest.approx(
        2 / RRF_K, rel=1e-5
    )


def test_an_english_query_is_fused_as_before_whatever_the_weight(
    index: VectorIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(index)
    text = "Vacation days carried over until March"
    before = index.search(HR, EMBEDDER.embed_batch([text])[0], text, 5, "hybrid")
    monkeypatch.setattr(sparse, "GERMAN_QUERY_ENGLISH_WEIGHT", 0.0)
    after = index.search(HR, EMBEDDER.embed_batch([text])[0], text, 5, "hybrid")
    assert [(h.doc_id, h.score) for h in after] == [(h.doc_id, h.score) for h in before]


@pytest.mark.parametrize("mode", ["hybrid", "sparse"])
def test_a_weighted_german_query_still_hides_what_the_caller_is_denied(index: VectorIndex, mode: SearchMode) -> None:
    load(index)
    question = "Wer sieht die Gehaltsabrechnungen der Vorstände?"
    assert "hr-secret" in ask(index, HR, question, mode)
    assert "hr-secret" not in ask(index, BOB, question, mode)
