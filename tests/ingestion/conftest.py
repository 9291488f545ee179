"""Session-wide parts for the ingestion tests (the real embedder is ``real_embedder`` in tests/fixtures/models.py)."""

from __future__ import annotations

import pytest

from ragwarden.ingestion.chunking import Chunker


@pytest.fixture(scope="session")
def chunker() -> Chunker:
    return Chunker(chunk_tokens=200, overlap=20)
