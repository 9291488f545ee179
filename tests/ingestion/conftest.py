"""Session-wide real parts for the ingestion tests: loading the model takes seconds, so once per run."""

from __future__ import annotations

import pytest

from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.embedding import SentenceTransformerEmbedder


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The shipped all-MiniLM-L6-v2, loaded from the wheel's directory (no hub)."""
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def chunker() -> Chunker:
    return Chunker(chunk_tokens=200, overlap=20)
