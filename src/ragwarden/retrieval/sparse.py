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

The stemmer does not split German compounds, so the German vector first sees each compound followed by
its parts (:mod:`ragwarden.retrieval.compounds`), in chunks and queries alike; English text is left as it
is. What an index holds depends on that, so each index records :data:`ENCODER_VERSION`, and an index made
by another version has its keyword vectors re-made in place when it is opened
(:mod:`ragwarden.retrieval.keyword_migration`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ragwarden.retrieval import compounds

#: Sparse vector name → Qdrant BM25 language (stemmer + stop words).
SPARSE_LANGUAGES: Mapping[str, str] = {"bm25_de": "german", "bm25_en": "english"}
GERMAN = "bm25_de"
ENGLISH = "bm25_en"
#: The English leg's weight in the fusion of a query that reads German (1 for every other leg and query).
#: The English stemmer leaves German words nearly whole, so for a German query this leg ranks by the same
#: word forms as the German one and votes for them a second time, lifting pages that merely repeat the
#: query's words. Dropped, it would cost the German questions only an English page answers (their technical
#: terms match there). Weighted by the engines' rule (ranks stretched, see :mod:`ragwarden.retrieval.hybrid`),
#: it still confirms the top of its list but lifts little from deeper down: German hybrid MRR@10 0.847 → 0.860
#: on ``questions_de.yaml``, the cross-lingual recall kept, the shipped set unchanged. Classic weighted RRF
#: (w / (k + rank)) at half measured worse (0.851, cross-lingual recall@5 0.600 → 0.533).
GERMAN_QUERY_ENGLISH_WEIGHT = 0.5

#: Expected chunk length in BM25 tokens (after stop words): our chunks are ~200 word pieces, about
#: 120 words, of which a third are stop words. BM25 normalises term frequency by this.
DEFAULT_AVG_LEN = 90.0
#: What the sparse vectors of an index were made with; the adapters store it beside the index.
ENCODER_VERSION = f"bm25-1+{compounds.VERSION}"
#: The same without compound splitting (what indexes were built with before it; benchmarks compare the two).
UNSPLIT_VERSION = "bm25-1"


def fusion_weights(text: str) -> dict[str, float]:
    """The weight of each keyword leg in the fusion for the query ``text`` (a leg not named counts 1)."""
    return {ENGLISH: GERMAN_QUERY_ENGLISH_WEIGHT} if compounds.reads_german(text) else {}


@dataclass(frozen=True, slots=True)
class SparseVec:
    """A sparse vector in plain Python types, independent of either Qdrant library."""

    indices: tuple[int, ...]
    values: tuple[float, ...]

    def __bool__(self) -> bool:
        return bool(self.indices)


class Bm25Encoder:
    """Text → one BM25 sparse vector per language; empty vectors are left out."""

    def __init__(self, avg_len: float = DEFAULT_AVG_LEN, *, split_compounds: bool = True) -> None:
        self._avg_len = avg_len
        self._split = split_compounds
        self._models: dict[str, Any] | None = None

    @property
    def version(self) -> str:
        """Which vectors this encoder makes (an index built by another version is migrated when opened)."""
        return ENCODER_VERSION if self._split else UNSPLIT_VERSION

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
            words = compounds.expand(text) if self._split and name == GERMAN else text
            raw = model.embed_query(words) if query else model.embed_document(words)
            vec = SparseVec(tuple(raw.indices), tuple(float(v) for v in raw.values))
            if vec:
                out[name] = vec
        return out
