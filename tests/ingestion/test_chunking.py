"""Chunking: word-piece budgets that fit the embedder, sections never straddled, heading and page kept."""

from __future__ import annotations

import functools
import random
from typing import Any

import pytest

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import Section
from ragwarden.ingestion.chunking import Chunker, load_tokenizer
from ragwarden.ingestion.embedding import shipped_model_path

WORDS = (
    "Mitarbeiterinnen Reisekostenabrechnung Urlaubsanspruch Gehaltsabrechnung Datenschutzgrundverordnung "
    "the employees may carry over vacation days salary review quarterly revenue server backup restore "
    "Passwortrichtlinie Netzwerkzugang und oder der die das policy approval manager budget 2024 € 12,5 % "
).split()


def _text(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 30))]
        out.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", "."]))
        if rng.random() < 0.15:
            out.append("\n\n")
    return " ".join(out)


@functools.cache
def _model_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(shipped_model_path()), local_files_only=True)


def _model_length(title: str, heading: str, text: str) -> int:
    """What the embedder reads, counted by the transformers tokenizer it uses, specials included."""
    return len(_model_tokenizer()(f"{title} – {heading}\n{text}")["input_ids"])


def test_budget_counts_the_embedders_own_word_pieces(chunker: Chunker) -> None:
    assert chunker.max_seq_tokens == 256
    # German compounds split into many word pieces: far more than their whitespace word count.
    assert chunker.count_tokens("Datenschutzgrundverordnung Reisekostenabrechnung") > 6


@pytest.mark.parametrize("seed", range(6))
def test_every_chunk_plus_title_and_heading_fits_256_word_pieces(chunker: Chunker, seed: int) -> None:
    rng = random.Random(seed)
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
    sections = [
        Section(_text(rng, rng.randint(1, 60)), " › ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4))), p)
        for p in range(1, 6)
    ]
    chunks = chunker.split(sections, title=title)
    assert chunks
    for chunk in chunks:
        assert chunker.count_tokens(chunk.text) <= chunker.chunk_tokens
        assert _model_length(title, chunk.heading, chunk.text) <= 256


def test_without_a_title_room_is_reserved_for_one(chunker: Chunker) -> None:
    rng = random.Random(7)
    title = " ".join(rng.choice(WORDS) for _ in range(5))  # within the default 24-piece reserve
    heading = "Datenschutzgrundverordnung › Reisekostenabrechnung › Urlaubsanspruch"
    for chunk in chunker.split([Section(_text(rng, 80), heading, 1)]):
        assert _model_length(title, chunk.heading, chunk.text) <= 256


def test_chunks_never_straddle_sections_and_keep_heading_and_page(chunker: Chunker) -> None:
    rng = random.Random(3)
    sections = [Section(_text(rng, n), f"Kapitel {i}", i) for i, n in enumerate([40, 2, 25, 1], start=1)]
    chunks = chunker.split(sections, title="Handbuch")
    for section in sections:
        own = [c for c in chunks if c.page == section.page]
        assert own and all(c.heading == section.heading for c in own)
        flat = " ".join(section.text.split())
        assert all(" ".join(c.text.split()) in flat for c in own)
    # In document order: pages never go back.
    pages = [c.page for c in chunks]
    assert pages == sorted(pages)


def test_consecutive_chunks_of_a_section_overlap() -> None:
    chunker = Chunker(chunk_tokens=64, overlap=16)
    sentences = [f"Regel {i} gilt für alle." for i in range(60)]
    chunks = chunker.split([Section(" ".join(sentences), "Regeln", 1)], title="T")
    assert len(chunks) > 3
    for first, second in zip(chunks, chunks[1:], strict=False):
        last_sentence = first.text.rsplit(".", 2)[-2].strip() + "."
        assert second.text.startswith(last_sentence) or last_sentence in second.text[:80]


def test_without_overlap_the_text_is_covered_exactly_once() -> None:
    chunker = Chunker(chunk_tokens=64, overlap=0)
    text = " ".join(f"Regel {i} gilt für alle." for i in range(60))
    chunks = chunker.split([Section(text, "", None)])
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_a_word_longer_than_the_budget_is_cut() -> None:
    chunker = Chunker(chunk_tokens=200, overlap=0)
    # No whitespace, but every "." is a word piece of its own: ~800 pieces in one "word".
    monster = ".".join(str(i % 10) for i in range(400))
    chunks = chunker.split([Section(f"See {monster} for details.", "Links", 2)], title="T")
    assert len(chunks) > 1
    assert all(chunker.count_tokens(c.text) <= chunker.chunk_tokens for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == f"See{monster}fordetails."


def test_a_long_heading_keeps_its_innermost_levels(chunker: Chunker) -> None:
    outer = " ".join(["Datenschutzgrundverordnung"] * 8)
    heading = chunker.fit_heading(f"{outer} › Anhang › Urlaubsanspruch")
    assert heading == "Anhang › Urlaubsanspruch"
    assert chunker.count_tokens(chunker.fit_heading(outer)) <= chunker.max_heading_tokens


def test_empty_sections_give_no_chunks(chunker: Chunker) -> None:
    assert chunker.split([Section("   \n", "H", 1)]) == []


def test_overlap_must_be_smaller_than_the_chunk() -> None:
    with pytest.raises(ConfigurationError):
        Chunker(chunk_tokens=64, overlap=64)


def test_tokenizer_does_not_truncate_at_the_shipped_128() -> None:
    tokenize = load_tokenizer(shipped_model_path())
    assert len(tokenize("word " * 400)) == 400
