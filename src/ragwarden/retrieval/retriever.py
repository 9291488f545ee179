"""The retrieval choke point: the one place that runs searches against the index.

Every search takes the caller's :class:`AccessScope` as a required argument; an empty scope returns
nothing without querying; the ACL filter is applied inside the vector search by the index adapter, and
every hit is re-checked here against the scope before it leaves. A hit that fails the re-check is an
internal error: it is logged (by point id only, never its text) and the request fails; nothing is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ragwarden.acl.decision import is_allowed
from ragwarden.core.errors import AccessControlError, IntegrityError, InvalidRequestError
from ragwarden.core.models import Scope, SearchFilter, SearchHit, member_scopes
from ragwarden.core.ports import Embedder, SearchMode, VectorIndex, embed_query

log = logging.getLogger(__name__)

MAX_LIMIT = 100
MAX_QUERY_CHARS = 2000


@dataclass
class Retriever:
    index: VectorIndex
    embedder: Embedder
    mode: SearchMode = "hybrid"

    def search(self, scope: Scope, query: str, limit: int = 10, where: SearchFilter | None = None) -> list[SearchHit]:
        """The best chunks for ``query`` that ``scope`` may see (and that match ``where``)."""
        _require_scope(scope)
        query = _validate_query(query)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequestError(f"limit must be between 1 and {MAX_LIMIT}")
        if scope.is_empty:
            return []
        dense = embed_query(self.embedder, query)
        hits = self.index.search(scope, dense, query, limit, mode=self.mode, where=where)
        return _rechecked(scope, hits, where)

    def document(self, scope: Scope, doc_id: str) -> list[SearchHit]:
        """The caller-visible chunks of one document, in order; empty when the caller may not see it."""
        _require_scope(scope)
        if scope.is_empty or not doc_id:
            return []
        return _rechecked(scope, self.index.document_chunks(scope, doc_id))

    def facet(self, scope: Scope, key: str) -> dict[str, int]:
        """The values of ``key`` (source, file type) among the chunks ``scope`` may see."""
        _require_scope(scope)
        if scope.is_empty:
            return {}
        return self.index.facet(scope, key)


def _require_scope(scope: Scope) -> None:
    try:
        member_scopes(scope)
    except AccessControlError:
        raise TypeError("a search needs the caller's AccessScope") from None


def _validate_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InvalidRequestError("the query must not be empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidRequestError(f"the query must be at most {MAX_QUERY_CHARS} characters")
    return query.strip()


def _rechecked(scope: Scope, hits: Sequence[SearchHit], where: SearchFilter | None = None) -> list[SearchHit]:
    leaked = [hit.point_id for hit in hits if not is_allowed(hit.acl, scope)]
    if leaked:
        # Never shown: the request fails as an internal error, the log names point ids only.
        log.error("integrity: index returned points %s outside the scope of %s", leaked, scope.principal)
        raise IntegrityError("a search result did not match the caller's access scope")
    if where is not None and not all(where.matches(hit.payload) for hit in hits):
        log.error("integrity: index returned points outside the search filter for %s", scope.principal)
        raise IntegrityError("a search result did not match the search filter")
    return list(hits)
