"""The Embedder contract, run on the real shipped model and on every fake and wrapper.

The real adapter is the session's ``real_embedder`` (all-MiniLM-L6-v2 from its wheel, tests/fixtures/models.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from ragwarden.core.ports import Embedder
from ragwarden.evaluation.relevance_floor import CachedEmbedder
from ragwarden.ingestion.embedding import SentenceTransformerEmbedder
from ragwarden.ingestion.onnx_query import onnx_query_model
from ragwarden.ingestion.query_embedding import QueryEmbedder
from ragwarden.testing.contracts.embedder import EmbedderContract
from ragwarden.testing.fakes.concepts import ConceptEmbedder
from ragwarden.testing.fakes.embedding import CountingEmbedder, HashingEmbedder


class TestSentenceTransformerEmbedder(EmbedderContract):
    # One encode call pads a batch to its longest text, and bfloat16 (on CPUs with native BF16) moves
    # the last digits: a text's vector in a batch and alone agree to a cosine of 0.99, not exactly.
    min_cosine = 0.99

    @pytest.fixture
    def embedder(self, real_embedder: SentenceTransformerEmbedder) -> Embedder:
        return real_embedder


class TestHashingEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashingEmbedder(dimension=32)


class TestCountingEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return CountingEmbedder()

    def test_it_counts_calls_and_texts(self, embedder: CountingEmbedder) -> None:
        embedder.embed_batch(["a", "b"])
        embedder.embed_batch([])
        assert (embedder.calls, embedder.texts) == (2, ["a", "b"])


class TestCountingEmbedderAroundTheRealModel(EmbedderContract):
    min_cosine = TestSentenceTransformerEmbedder.min_cosine

    @pytest.fixture
    def embedder(self, real_embedder: SentenceTransformerEmbedder) -> Embedder:
        return CountingEmbedder(inner=real_embedder)


class TestConceptEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return ConceptEmbedder()


class TestCachedEmbedder(EmbedderContract):
    """The relevance-floor tool's cache in front of the real model: a text's vector comes from the
    cache whatever batch it arrives in, so it must still be the vector of that text."""

    min_cosine = TestSentenceTransformerEmbedder.min_cosine

    @pytest.fixture
    def embedder(self, real_embedder: SentenceTransformerEmbedder) -> Embedder:
        return CachedEmbedder(real_embedder)


class TestQueryEmbedderOnOnnxRuntime(EmbedderContract):
    """What the choke point embeds queries with, on its fastest path: the query vector cache and the batcher in
    front of the shipped model exported to ONNX Runtime (``RAGWARDEN_QUERY_BACKEND=onnx``)."""

    min_cosine = TestSentenceTransformerEmbedder.min_cosine

    @pytest.fixture(scope="class")
    def fast(self, real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Any:
        fast = onnx_query_model(real_embedder, tmp_path_factory.mktemp("onnx"), 1)  # exported once for the class
        assert fast is not None
        return fast

    @pytest.fixture
    def embedder(self, real_embedder: SentenceTransformerEmbedder, fast: Any) -> Embedder:
        return QueryEmbedder(real_embedder, 64, True, fast=fast)
