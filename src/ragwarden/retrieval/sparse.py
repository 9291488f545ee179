"""BM25 sparse vectors, computed in-process so that every index adapter ranks alike.

The corpus is bilingual, and no single stemmer serves both languages: German compounds and plurals
("Gehaltsabrechnungen" → "gehaltsabrech") need the German Snowball stemmer and stop words, English text
the English ones. So every chunk gets one sparse vector per language, and a query is matched against
both; whichever language the text is in, one of the two vectors matches its word forms. Both use the
German *and* English stop words: otherwise the English vector of a German query would be made of
"der", "die", "und", which match every German chunk. The weights
are term frequencies only: IDF is applied by the index (``Modifier.IDF``), over the caller's visible
corpus (see :mod:`ragwarden.retrieval.hybrid`).

The encoder is ``qdrant_edge.Bm25`` (Qdrant's own tokenizer, stop words, Snowball stemmers and token
hashing), which needs no model download and gives the Qdrant-server adapter exactly the vectors the
embedded adapter stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Sparse vector name → Qdrant BM25 language (stemmer + stop words).
SPARSE_LANGUAGES: Mapping[str, str] = {"bm25_de": "german", "bm25_en": "english"}

#: Expected chunk length in BM25 tokens (after stop words): our chunks are ~200 word pieces, about
#: 120 words, of which a third are stop words. BM25 normalises term frequency by this.
DEFAULT_AVG_LEN = 90.0


@dataclass(frozen=True, slots=True)
class SparseVec:
    """A sparse vector in plain Python types, independent of either Qdrant library."""

    indices: tuple[int, ...]
    values: tuple[float, ...]

    def __bool__(self) -> bool:
        return bool(self.indices)


class Bm25Encoder:
    """Text → one BM25 sparse vector per language; empty vectors are left out."""

    def __init__(self, avg_len: float = DEFAULT_AVG_LEN) -> None:
        self._avg_len = avg_len
        self._models: dict[str, Any] | None = None

    def _bm25(self) -> dict[str, Any]:
        if self._models is None:
            import qdrant_edge as q

            stopwords = q.StopwordsSet(languages={q.Language.German, q.Language.English})
            self._models = {
                name: q.Bm25(q.Bm25Config(language=lang, stopwords=stopwords, avg_len=self._avg_len))
                for name, lang in SPARSE_LANGUAGES.items()
            }
        return self._models

    def document(self, text: str) -> dict[str, SparseVec]:
        """Term-frequency weights of a chunk, per language."""
        return self._encode(text, query=False)

    def query(self, text: str) -> dict[str, SparseVec]:
        """Query terms (weight 1 each), per language; empty if the text has only stop words."""
        return self._encode(text, query=True)

    def _encode(self, text: str, *, query: bool) -> dict[str, SparseVec]:
        out: dict[str, SparseVec] = {}
        if not text.strip():
            return out
        for name, model in self._bm25().items():
            raw = model.embed_query(text) if query else model.embed_document(text)
            vec = SparseVec(tuple(raw.indices), tuple(float(v) for v in raw.values))
            if vec:
                out[name] = vec
        return out
