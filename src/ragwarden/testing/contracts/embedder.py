"""The contract of the :class:`~ragwarden.core.ports.Embedder` port, run against every adapter and fake.

Subclass :class:`EmbedderContract` in a test module and provide the ``embedder`` fixture::

    class TestMyEmbedder(EmbedderContract):
        @pytest.fixture
        def embedder(self) -> Embedder:
            return MyEmbedder()

Class attributes state what an adapter promises beyond the port: ``unit_length`` (vectors of words
have norm 1: cosine and dot product agree, as the index assumes) and ``min_cosine`` (how close a
text's vector in a batch must be to its vector alone: batching pads, and reduced precision moves
the last digits; exact adapters keep the default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from ragwarden.core.ports import Embedder, embed_query

TEXTS = (
    "How many vacation days can I carry over to next year?",
    "The database servers are backed up every night at two o'clock.",
    "Wie viele Urlaubstage kann ich ins nächste Jahr übertragen?",
    "Die Reisekostenabrechnung muss bis zum 15. des Folgemonats eingereicht werden.",
    "short",
)
# Spelled with and without its non-ASCII letters: an embedder that drops them makes the pairs equal.
UNICODE_PAIRS = (
    ("Grüße aus Köln, die Straße ist gesperrt.", "Gre aus Kln, die Strae ist gesperrt."),
    ("Überstunden werden im Folgemonat ausgeglichen.", "berstunden werden im Folgemonat ausgeglichen."),
    ("Büro in 東京: montags geschlossen 🙂", "Bro in : montags geschlossen "),
)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0


class EmbedderContract:
    """What every ``Embedder`` guarantees; an adapter's test class subclasses this once."""

    unit_length: bool = True
    min_cosine: float = 1.0 - 1e-9

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError("a subclass provides the embedder under test as the `embedder` fixture")

    def assert_vectors(self, embedder: Embedder, vectors: list[list[float]], count: int) -> None:
        assert isinstance(vectors, list) and len(vectors) == count
        for vector in vectors:
            assert len(vector) == embedder.dimension
            assert all(isinstance(x, float) and math.isfinite(x) for x in vector), "NaN, inf or not a float"

    def test_it_satisfies_the_port_with_a_model_id_and_a_positive_dimension(self, embedder: Embedder) -> None:
        assert isinstance(embedder, Embedder)
        assert isinstance(embedder.model_id, str) and embedder.model_id.strip()
        assert isinstance(embedder.dimension, int) and embedder.dimension > 0

    def test_every_vector_is_finite_and_has_the_declared_dimension(self, embedder: Embedder) -> None:
        self.assert_vectors(embedder, embedder.embed_batch(list(TEXTS)), len(TEXTS))

    def test_an_empty_batch_gives_an_empty_list(self, embedder: Embedder) -> None:
        assert embedder.embed_batch([]) == []

    def test_an_empty_text_still_gets_a_finite_vector(self, embedder: Embedder) -> None:
        self.assert_vectors(embedder, embedder.embed_batch(["", "short"]), 2)

    def test_vectors_of_words_have_unit_length_where_the_adapter_promises_it(self, embedder: Embedder) -> None:
        if not self.unit_length:
            pytest.skip("this adapter does not promise unit-length vectors")
        for text, vector in zip(TEXTS, embedder.embed_batch(list(TEXTS)), strict=True):
            assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-4), text

    def test_a_batch_keeps_input_order_and_matches_texts_embedded_one_by_one(self, embedder: Embedder) -> None:
        together = embedder.embed_batch(list(TEXTS))
        alone = [embedder.embed_batch([text])[0] for text in TEXTS]
        for i, single in enumerate(alone):
            assert cosine(together[i], single) >= self.min_cosine, f"text {i} moved in the batch"
            nearest = max(range(len(TEXTS)), key=lambda j: cosine(together[j], single))
            assert nearest == i, f"text {i} alone is nearest to text {nearest} of the batch: order not kept"

    def test_the_same_texts_give_the_same_vectors(self, embedder: Embedder) -> None:
        first, again = embedder.embed_batch(list(TEXTS)), embedder.embed_batch(list(TEXTS))
        for a, b in zip(first, again, strict=True):
            assert all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-7) for x, y in zip(a, b, strict=True))

    def test_a_query_vector_derives_from_the_batch(self, embedder: Embedder) -> None:
        assert cosine(embed_query(embedder, TEXTS[2]), embedder.embed_batch([TEXTS[2]])[0]) >= self.min_cosine

    def test_non_ascii_letters_count_a_text_is_not_its_ascii_remains(self, embedder: Embedder) -> None:
        """German umlauts, ß, CJK and emoji are embedded, not dropped: a text and what is left of it
        without its non-ASCII characters get different vectors."""
        for text, stripped in UNICODE_PAIRS:
            full, rest = embedder.embed_batch([text, stripped])
            self.assert_vectors(embedder, [full, rest], 2)
            assert cosine(full, rest) < 0.999, f"{text!r} embeds like {stripped!r}"

    def test_duplicate_texts_in_one_batch_each_get_their_vector(self, embedder: Embedder) -> None:
        vectors = embedder.embed_batch([TEXTS[0], TEXTS[1], TEXTS[0]])
        self.assert_vectors(embedder, vectors, 3)
        assert cosine(vectors[0], vectors[2]) >= self.min_cosine
