"""The retrieval choke point: the one place that runs searches against the index.

Every search takes the caller's :class:`AccessScope` as a required argument; an empty scope returns
nothing without querying; the ACL filter is applied inside the vector search by the index adapter, and
every hit is re-checked here against the scope before it leaves. A hit that fails the re-check is an
internal error: it is logged (by point id only, never its text) and the request fails; nothing is shown.

Bounded staleness: with a :class:`SourceGate`, only documents of sources whose permissions were read
recently enough are searched, read or counted: the gate's fresh sources become one more condition inside
the same Qdrant filter (and are re-checked after). A source the gate does not vouch for is withheld.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ragwarden.acl.decision import is_allowed
from ragwarden.core.errors import IntegrityError, InvalidRequestError
from ragwarden.core.models import Scope, SearchFilter, SearchHit, require_scope
from ragwarden.core.ports import Embedder, SearchMode, VectorIndex, embed_query

log = logging.getLogger(__name__)

MAX_LIMIT = 100
MAX_QUERY_CHARS = 2000


class SourceGate(Protocol):
    """Which sources' documents may be shown now (their permissions are young enough)."""

    def fresh(self) -> frozenset[str]: ...

    def withheld(self) -> frozenset[str]:
        """Known sources withheld right now (for "some sources are temporarily unavailable")."""


@dataclass
class Retriever:
    index: VectorIndex
    embedder: Embedder
    mode: SearchMode = "hybrid"
    gate: SourceGate | None = None

    def search(self, scope: Scope, query: str, limit: int = 10, where: SearchFilter | None = None) -> list[SearchHit]:
        """The best chunks for ``query`` that ``scope`` may see (and that match ``where``)."""
        _require_scope(scope)
        query = _validate_query(query)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequestError(f"limit must be between 1 and {MAX_LIMIT}")
        visible, where = self._gated(where)
        if scope.is_empty or not visible:
            return []
        dense = embed_query(self.embedder, query)
        hits = self.index.search(scope, dense, query, limit, mode=self.mode, where=where)
        return _rechecked(scope, hits, where)

    def search_vector(
        self,
        scope: Scope,
        dense: Sequence[float],
        limit: int = 10,
        *,
        query: str = "",
        where: SearchFilter | None = None,
        exact: bool = False,
    ) -> list[SearchHit]:
        """:meth:`search` for a query already embedded (benchmarks over synthetic vectors): the same scope,
        gate and re-check; ``query`` is the keyword half's text (may be empty in dense mode), ``exact``
        searches without the HNSW graph (the ground truth a recall figure compares with)."""
        _require_scope(scope)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequestError(f"limit must be between 1 and {MAX_LIMIT}")
        visible, where = self._gated(where)
        if scope.is_empty or not visible:
            return []
        hits = self.index.search(scope, list(dense), query, limit, mode=self.mode, where=where, exact=exact)
        return _rechecked(scope, hits, where)

    def document(self, scope: Scope, doc_id: str) -> list[SearchHit]:
        """The caller-visible chunks of one document, in order; empty when the caller may not see it."""
        _require_scope(scope)
        visible, where = self._gated(None)
        if scope.is_empty or not doc_id or not visible:
            return []
        return _rechecked(scope, self.index.document_chunks(scope, doc_id, where=where), where)

    def facet(self, scope: Scope, key: str) -> dict[str, int]:
        """The values of ``key`` (source, file type) among the chunks ``scope`` may see."""
        _require_scope(scope)
        visible, where = self._gated(None)
        if scope.is_empty or not visible:
            return {}
        return self.index.facet(scope, key, where=where)

    def withheld(self) -> frozenset[str]:
        """Sources withheld now because their permissions are too old (empty without a gate)."""
        return self.gate.withheld() if self.gate is not None else frozenset()

    def _gated(self, where: SearchFilter | None) -> tuple[bool, SearchFilter | None]:
        """Whether anything may be shown, and ``where`` narrowed to the sources the gate vouches for."""
        if self.gate is None:
            return True, where
        fresh = self.gate.fresh()
        wanted = where.sources & fresh if where is not None and where.sources else fresh
        if not wanted:
            return False, where
        return True, replace(where, sources=wanted) if where is not None else SearchFilter(sources=wanted)


def _require_scope(scope: Scope) -> None:
    require_scope(scope)


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
