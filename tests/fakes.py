"""Test doubles beside the real adapters. Never used by a test that claims the real part works."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence


class CountingEmbedder:
    """A deterministic bag-of-words embedder that counts what it was asked to embed."""

    model_id = "test/hashing-bow"

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self.calls = 0
        self.texts: list[str] = []

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        self.texts.extend(texts)
        return [self._vector(t) for t in texts]

    def _vector(self, text: str) -> list[float]:
        v = [0.0] * self._dimension
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            v[h % self._dimension] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]
