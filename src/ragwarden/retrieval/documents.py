"""Use cases on top of the choke point: document-level search results and document look-up.

Everything here is built only from what :class:`Retriever` returned for the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ragwarden.core.errors import NotFoundError
from ragwarden.core.models import AccessScope, SearchHit
from ragwarden.retrieval.retriever import Retriever

SNIPPET_CHARS = 240
_WORD = re.compile(r"\w{3,}", re.UNICODE)


@dataclass(frozen=True, slots=True)
class DocumentResult:
    doc_id: str
    title: str
    source_uri: str
    snippet: str
    score: float
    section: str = ""
    page: int | None = None
    file_type: str = ""
    path: str = ""
    modified: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "source_uri": self.source_uri,
            "snippet": self.snippet,
            "score": round(self.score, 6),
            "section": self.section,
            "page": self.page,
            "file_type": self.file_type,
            "path": self.path,
            "modified": self.modified,
        }


def search_documents(retriever: Retriever, scope: AccessScope, query: str, limit: int) -> list[DocumentResult]:
    """The best chunk of each document, best documents first, at most ``limit`` documents."""
    hits = retriever.search(scope, query, limit=min(limit * 3, 100))
    best: dict[str, SearchHit] = {}
    for hit in hits:
        if hit.doc_id not in best:
            best[hit.doc_id] = hit
    return [_result(hit, query) for hit in list(best.values())[:limit]]


def document_metadata(retriever: Retriever, scope: AccessScope, doc_id: str) -> dict[str, Any]:
    """Metadata of a document the caller may see; NotFoundError otherwise (no existence leak)."""
    chunks = retriever.document(scope, doc_id)
    if not chunks:
        raise NotFoundError("document not found")
    first = chunks[0].payload
    return {
        "doc_id": doc_id,
        "title": first.get("title", ""),
        "source_uri": first.get("source_uri", ""),
        "path": first.get("path", ""),
        "file_type": first.get("file_type", ""),
        "department": first.get("department", ""),
        "modified": first.get("modified"),
        "chunks": len(chunks),
        "sections": sorted({str(c.payload.get("section") or "") for c in chunks} - {""}),
    }


def _result(hit: SearchHit, query: str) -> DocumentResult:
    p = hit.payload
    return DocumentResult(
        doc_id=hit.doc_id,
        title=str(p.get("title", "")),
        source_uri=str(p.get("source_uri", "")),
        snippet=make_snippet(hit.text, query),
        score=hit.score,
        section=str(p.get("section") or ""),
        page=p.get("page"),
        file_type=str(p.get("file_type", "")),
        path=str(p.get("path", "")),
        modified=p.get("modified"),
    )


def make_snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first query word it contains (case-insensitive)."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    lowered = flat.lower()
    positions = [lowered.find(w.lower()[:6]) for w in _WORD.findall(query)]
    found = [p for p in positions if p >= 0]
    start = max(0, min(found) - width // 3) if found else 0
    end = min(len(flat), start + width)
    start = max(0, end - width)
    snippet = flat[start:end]
    return ("…" if start else "") + snippet + ("…" if end < len(flat) else "")
