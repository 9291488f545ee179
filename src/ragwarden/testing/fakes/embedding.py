"""Test doubles of the ``Embedder`` port, checked by :mod:`ragwarden.testing.contracts.embedder` like the
real adapter. Never used by a test that claims the real model works."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

from ragwarden.core.ports import Embedder


class HashingEmbedder:
    """A deterministic, fast bag of words: each word hashed to one of ``dimension`` axes; unit length
    (the zero vector for a text without words)."""

    model_id = "test/hashing-bow"

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def _vector(self, text: str) -> list[float]:
        v = [0.0] * self._dimension
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            v[h % self._dimension] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]


class CountingEmbedder:
    """Counts what it is asked to embed (``calls``, ``texts``) and passes it to ``inner`` (by default a
    :class:`HashingEmbedder` of ``dimension``): e.g. to assert an ACL-only change embeds nothing."""

    def __init__(self, dimension: int = 64, *, inner: Embedder | None = None) -> None:
        self.inner: Embedder = inner if inner is not None else HashingEmbedder(dimension)
        self.calls = 0
        self.texts: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        self.texts.extend(texts)
        return self.inner.embed_batch(texts)
