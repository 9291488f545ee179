"""The faithfulness guard: loops end generation, unsupported sentences and made-up numbers are caught."""

from __future__ import annotations

from ragwarden.generation.faithfulness import LoopStop, check_sentences, supports
from ragwarden.generation.packing import Source

PASSAGE = "Mitarbeitende können bis zu 5 Urlaubstage ins Folgejahr übertragen. Sie verfallen am 31. März."


def source(number: int, text: str) -> Source:
    return Source(number, f"d{number}", "Urlaub", "file:///u.md", text, 1.0, (0,), (f"p{number}",))


def test_a_repeated_run_of_words_is_a_loop_and_the_text_before_it_is_kept() -> None:
    loop = LoopStop()
    text = "Die Urlaubskonten werden monatlich übernommen. " + "die die 31. März 2026, " * 6
    stopped_at = None
    for n, piece in enumerate(text.split(" ")):
        if loop.feed(piece + " "):
            stopped_at = n
            break
    assert stopped_at is not None and stopped_at < 30
    assert loop.clean().strip() == "Die Urlaubskonten werden monatlich übernommen."


def test_a_fluent_answer_is_not_a_loop() -> None:
    loop = LoopStop()
    for word in "Up to five vacation days can be carried over into the next year until the end of March.".split():
        assert not loop.feed(word + " ")


def test_a_sentence_is_supported_only_with_its_words_and_every_number() -> None:
    assert supports("Bis zu 5 Urlaubstage können übertragen werden.", PASSAGE)
    assert not supports("Bis zu 10 Urlaubstage können übertragen werden.", PASSAGE)  # a made-up number
    assert not supports("Die Kantine öffnet um 11:30 Uhr.", PASSAGE)


def test_each_sentence_gets_the_source_that_supports_it_the_cited_one_first() -> None:
    sources = [source(1, "Die Kantine öffnet um 11:30 Uhr."), source(2, PASSAGE)]
    checked = check_sentences(
        "Sie können 5 Urlaubstage übertragen [2]. Der Urlaub kann ausgezahlt werden. Die Kantine öffnet um 11:30 Uhr.",
        sources,
        "de",
    )
    assert [c.source for c in checked] == [2, None, 1]
