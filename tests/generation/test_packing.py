"""Context packing: dedupe, joining overlapping neighbours, per-document caps and the token budget."""

from __future__ import annotations

from ragwarden.core.models import SearchHit
from ragwarden.generation import Answerer, GenerationSettings
from ragwarden.generation.llm import count_message_tokens
from ragwarden.generation.packing import PackingLimits, Source, pack_sources
from ragwarden.testing.fakes.chat import ScriptedChatModel
from tests.generation.support import FakeRetriever, chunk, scope


def hit(doc_id: str, index: int, text: str, score: float = 0.5) -> SearchHit:
    return SearchHit(point_id=f"{doc_id}#{index}", score=score, payload=chunk(doc_id, text, index=index).payload())


def words(source: Source) -> int:
    return len(source.text.split()) + 4


def test_adjacent_chunks_of_one_document_become_one_source_without_the_repeated_overlap() -> None:
    first = hit("policy", 3, "Vacation days expire at year end unless carried over until 31 March.")
    second = hit("policy", 4, "carried over until 31 March. Up to 5 days may be carried over.")
    [source] = pack_sources([second, first], PackingLimits(budget_tokens=500), words)
    assert source.text == (
        "Vacation days expire at year end unless carried over until 31 March. Up to 5 days may be carried over."
    )
    assert source.chunk_indexes == (3, 4) and source.number == 1
    assert set(source.point_ids) == {"policy#3", "policy#4"}


def test_a_repeated_or_contained_text_is_given_once() -> None:
    hits = [
        hit("a", 0, "The canteen is open from 11:30 to 14:00."),
        hit("copy-of-a", 0, "The canteen is  open from 11:30 to 14:00."),
        hit("b", 7, "open from 11:30"),
        hit("c", 0, "Parking costs 30 euros."),
    ]
    sources = pack_sources(hits, PackingLimits(budget_tokens=500), words)
    assert [s.doc_id for s in sources] == ["a", "c"]
    assert [s.number for s in sources] == [1, 2]


def test_one_document_cannot_take_more_than_its_share_of_chunks() -> None:
    hits = [hit("long", i * 2, f"Long manual part {i} about vacation.") for i in range(6)]
    hits.append(hit("other", 0, "Other document about vacation."))
    sources = pack_sources(hits, PackingLimits(budget_tokens=500, max_chunks_per_document=2), words)
    assert [s.doc_id for s in sources] == ["long", "long", "other"]


def test_sources_are_capped_in_number_and_stay_inside_the_token_budget() -> None:
    hits = [hit(f"d{i}", 0, " ".join(["word"] * (40 if i % 2 else 5)) + f" {i}") for i in range(10)]
    sources = pack_sources(hits, PackingLimits(budget_tokens=60, max_sources=4), words)
    assert sum(words(s) for s in sources) <= 60
    assert 1 <= len(sources) <= 4
    assert [s.doc_id for s in sources][:1] == ["d0"]  # rank order kept; long ones skipped, short ones fit


def test_a_single_source_longer_than_the_budget_is_cut_to_fit() -> None:
    long_hit = hit("big", 0, " ".join(f"w{i}" for i in range(500)))
    [source] = pack_sources([long_hit], PackingLimits(budget_tokens=50), words)
    assert words(source) <= 50 and source.text.startswith("w0 w1 w2")


def test_the_whole_prompt_plus_the_answer_fits_the_models_window() -> None:
    corpus = [chunk(f"doc-{i}", f"Vacation rule {i}: " + "details " * 60) for i in range(12)]
    model = ScriptedChatModel(window=600)
    settings = GenerationSettings(answer_max_tokens=128, answer_max_sources=10)
    Answerer(FakeRetriever(corpus), model, settings).answer(scope("bob"), "Which vacation rule applies?")
    assert count_message_tokens(model, model.calls[-1]) + 128 <= 600
