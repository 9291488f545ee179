"""Use cases on top of the choke point: document-level search results and document look-up.

Everything here is built only from what :class:`Retriever` returned for the caller. Given an
:class:`~ragwarden.core.audit.AuditTrail` (every interface passes one), each use case records what it is
about to return before it returns it: if the record cannot be written, nothing is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ragwarden.core.audit import AuditTrail
from ragwarden.core.errors import NotFoundError
from ragwarden.core.models import Scope, SearchFilter, SearchHit
from ragwarden.retrieval import filters
from ragwarden.retrieval.retriever import MAX_LIMIT, Retriever

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
    source: str = ""
    department: str = ""

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
            "source": self.source,
            "department": self.department,
        }


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One page of document results, and the filter options the caller has for this query."""

    results: list[DocumentResult]
    offset: int
    limit: int
    has_more: bool
    #: per filterable field: every value in the caller's visible corpus → candidate documents with it
    facets: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "results": [r.as_dict() for r in self.results],
            "offset": self.offset,
            "limit": self.limit,
            "has_more": self.has_more,
            "facets": self.facets,
        }


CANDIDATE_STEP = 50


def search_documents(
    retriever: Retriever, scope: Scope, query: str, limit: int, *, audit: AuditTrail | None = None
) -> list[DocumentResult]:
    """The best chunk of each document, best documents first, at most ``limit`` documents."""
    return search_page(retriever, scope, query, limit=limit, audit=audit).results


def search_page(
    retriever: Retriever,
    scope: Scope,
    query: str,
    *,
    limit: int,
    offset: int = 0,
    where: SearchFilter | None = None,
    facets: bool = False,
    audit: AuditTrail | None = None,
) -> DocumentPage:
    """Documents ``offset`` .. ``offset + limit`` of the ranking (best chunk of each document).

    Pages are cut from one candidate list of at most :data:`MAX_LIMIT` chunks, so a query reaches a
    few dozen documents: enough for a search page, never an unbounded scan. ``facets`` adds the
    caller's filter options: the values of each facet field in their visible corpus (asked of the
    index within their scope), counted over this query's candidate documents.
    """
    # The chunk list is asked for in steps of CANDIDATE_STEP: how many candidates each leg brings to the
    # fusion depends on it, so page 2 must come from the same list as page 1 (not a longer one that ranks
    # the tail of the page differently).
    wanted = (offset + limit) * 3 + 10
    hits = retriever.search(
        scope, query, limit=min(MAX_LIMIT, -(-wanted // CANDIDATE_STEP) * CANDIDATE_STEP), where=where
    )
    best: dict[str, SearchHit] = {}
    for hit in hits:
        best.setdefault(hit.doc_id, hit)
    # Fused scores tie often (RRF scores ranks: two documents third in different legs score alike) and
    # the index breaks ties as it pleases: the document id breaks them here, so pages never disagree.
    ranked = sorted(best.values(), key=lambda h: (-h.score, h.doc_id))
    shown = ranked[offset : offset + limit]
    page = [_result(hit, query) for hit in shown]
    counted = _facet_counts(retriever, scope, ranked) if facets else {}
    if audit is not None:
        audit.record("search", scope, shown, query=query)
    return DocumentPage(page, offset, limit, len(ranked) > offset + limit, counted)


def _facet_counts(retriever: Retriever, scope: Scope, ranked: list[SearchHit]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for key in filters.FACET_FIELDS:
        values = dict.fromkeys(retriever.facet(scope, key), 0)
        for hit in ranked:
            value = hit.payload.get(key)
            if isinstance(value, str) and value:
                values[value] = values.get(value, 0) + 1
        counts[key] = dict(sorted(values.items()))
    return counts


def document_metadata(
    retriever: Retriever, scope: Scope, doc_id: str, *, audit: AuditTrail | None = None
) -> dict[str, Any]:
    """Metadata of a document the caller may see; NotFoundError otherwise (no existence leak)."""
    chunks = retriever.document(scope, doc_id)
    if not chunks:
        raise NotFoundError("document not found")
    if audit is not None:
        audit.record("document", scope, chunks)
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
        source=str(p.get("source") or ""),
        department=str(p.get("department") or ""),
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
