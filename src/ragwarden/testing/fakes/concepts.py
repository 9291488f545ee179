"""A tiny embedder by concept: a dense match is a match by meaning, never by keyword."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence

DIM = 8
#: word → concept dimension. Synonyms across languages share a dimension, words do not share letters:
#: so a dense match is a match by meaning, never by keyword.
CONCEPTS = {
    **dict.fromkeys(["salary", "payroll", "pay", "wage", "gehalt", "gehaltsabrechnungen"], 0),
    **dict.fromkeys(["vacation", "holiday", "leave", "urlaub", "urlaubstage", "ferien"], 1),
    **dict.fromkeys(["server", "maintenance", "outage", "wartung", "downtime"], 2),
    **dict.fromkeys(["invoice", "invoices", "billing", "rechnung", "rechnungen"], 3),
    **dict.fromkeys(["prototype", "research", "laboratory", "forschung", "labor"], 4),
}


class ConceptEmbedder:
    """Deterministic fake embedder: a normalised bag of concepts (embedder quality is not under test)."""

    model_id = "test-concepts"
    dimension = DIM

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        vec = [0.0] * DIM
        for word in re.findall(r"\w+", text.lower()):
            if word in CONCEPTS:
                vec[CONCEPTS[word]] += 1.0
        # never the zero vector (cosine needs a norm), and a text-specific jitter against exact ties,
        # whose order engines may break differently
        vec[DIM - 1] += 0.05 + zlib.crc32(text.encode()) % 1000 / 20_000
        vec[DIM - 2] += zlib.crc32(text[::-1].encode()) % 1000 / 20_000
        norm = math.sqrt(sum(x * x for x in vec))
        return [x / norm for x in vec]
