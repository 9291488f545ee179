"""The caller's access filter, written once per Qdrant dialect, side by side so they can be compared.

For a caller with token set T a point is visible when

    acl_allow ∩ T ≠ ∅   AND   (acl_share = ∅  OR  acl_share ∩ T ≠ ∅)   AND   acl_deny ∩ T = ∅

Any matching deny wins. For a :class:`~ragwarden.core.models.JointScope` (everyone in a group chat
reads the reply) the filter is the AND of that condition for every member.

The filter goes *inside* every vector search, prefetch, scroll and count (a
pre-filter), so a caller who may see 1% of the corpus still gets a full page of results. There is no
function here that builds "no filter": an empty scope has to be answered by the caller without a
query (:func:`require_tokens` refuses it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ragwarden.core.errors import AccessControlError, MissingScopeError
from ragwarden.core.models import AccessScope, Scope, SearchFilter, member_scopes

ACL_ALLOW = "acl_allow"
ACL_DENY = "acl_deny"
ACL_SHARE = "acl_share"
DOC_ID = "doc_id"
CHUNK_INDEX = "chunk_index"
SOURCE = "source"
FILE_TYPE = "file_type"
MODIFIED = "modified"

#: Keyword payload indexes, created before the first point is written: every field we filter on.
KEYWORD_FIELDS = (ACL_ALLOW, ACL_DENY, ACL_SHARE, DOC_ID, SOURCE, FILE_TYPE)
#: Integer index (range) for ordering a document's chunks.
INTEGER_FIELDS = (CHUNK_INDEX,)
#: Datetime index (range) for the modified-date filter.
DATETIME_FIELDS = (MODIFIED,)
#: Fields a caller may ask the distinct values of (filter options), always within their scope.
FACET_FIELDS = (SOURCE, FILE_TYPE)

#: Doc-id lists longer than this are split over several operations to keep filters small.
DOC_BATCH = 1000


def require_tokens(scope: AccessScope) -> list[str]:
    """The scope's tokens, sorted; refuses an empty scope (callers return [] before asking)."""
    if not isinstance(scope, AccessScope):
        raise MissingScopeError("a search needs the caller's AccessScope")
    if scope.is_empty:
        raise AccessControlError("an empty scope must not reach the index")
    return sorted(scope.tokens)


def require_members(scope: Scope) -> tuple[AccessScope, ...]:
    """Every member's scope; refuses a scope that sees nothing (callers return [] before asking)."""
    members = member_scopes(scope)
    if scope.is_empty:
        raise AccessControlError("an empty scope must not reach the index")
    return members


def _iso(when: Any) -> str | None:
    return when.isoformat() if when is not None else None


def check_acl_payload(payload: Any) -> None:
    """Refuse to write a point that would carry no ACL (fail closed at the index boundary)."""
    allow = payload.get(ACL_ALLOW) if hasattr(payload, "get") else None
    if not isinstance(allow, list | tuple) or not allow or not all(isinstance(t, str) for t in allow):
        raise AccessControlError("a chunk without allow tokens cannot be written to the index")
    for field in (ACL_DENY, ACL_SHARE):
        value = payload.get(field)
        if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
            raise AccessControlError(f"{field} must be a list of tokens")
    if not isinstance(payload.get(DOC_ID), str):
        raise AccessControlError("a chunk without doc_id cannot be written to the index")


def batches(doc_ids: Sequence[str]) -> list[list[str]]:
    unique = sorted(set(doc_ids))
    return [unique[i : i + DOC_BATCH] for i in range(0, len(unique), DOC_BATCH)]


def surplus_batches(counts: Mapping[str, int]) -> list[tuple[int, list[str]]]:
    """``(count, doc ids)``: documents whose chunks from position ``count`` on are surplus, grouped by
    count and batched, so one delete covers many documents (a count of 0 drops the whole document)."""
    by_count: dict[int, list[str]] = defaultdict(list)
    for doc_id, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"chunk count of {doc_id!r} must be a non-negative int, not {count!r}")
        by_count[count].append(doc_id)
    return [(count, batch) for count, doc_ids in sorted(by_count.items()) for batch in batches(doc_ids)]


# -- qdrant-edge-py ------------------------------------------------------------------------------


def edge_acl_filter(scope: Scope, *extra_must: Any) -> Any:
    import qdrant_edge as q

    members = require_members(scope)
    if len(members) == 1:
        return _edge_member(members[0], *extra_must)
    return q.Filter(must=[*extra_must, *(_edge_member(m) for m in members)])


def edge_acl_parts(
    scope: Scope, graphed: Callable[[str], bool], *extra_must: Any, whole: Any | None = None
) -> tuple[Any, Any]:
    """``scope``'s filter (with ``extra_must``) cut in two by the first member's allow tokens: the points it
    may read through a token ``graphed`` says the HNSW graph has links for, and those it may read through
    any other token; either is None when no token falls on its side. Each part is the whole filter with
    fewer allow tokens (the share and deny conditions still see every token), so each is narrower than the
    scope and together they match exactly what it matches. ``whole``: that filter, already built
    (:func:`edge_acl_filter` with the same ``extra_must``), stands for the one side that holds every token."""
    import qdrant_edge as q

    first, *others = require_members(scope)
    tokens = require_tokens(first)
    sides = ([t for t in tokens if graphed(t)], [t for t in tokens if not graphed(t)])
    if whole is not None and not all(sides):
        return (whole, None) if sides[0] else (None, whole)
    rest = [_edge_member(m) for m in others]
    return tuple(  # type: ignore[return-value]  # a pair, as annotated
        q.Filter(must=[*extra_must, _edge_member(first, allow=side), *rest]) if side else None for side in sides
    )


def _edge_member(scope: AccessScope, *extra_must: Any, allow: Sequence[str] | None = None) -> Any:
    import qdrant_edge as q

    tokens = require_tokens(scope)
    return q.Filter(
        must=[
            *extra_must,
            q.FieldCondition(key=ACL_ALLOW, match=q.MatchAny(any=list(allow) if allow is not None else tokens)),
            q.Filter(
                should=[
                    q.IsEmptyCondition(key=ACL_SHARE),
                    q.FieldCondition(key=ACL_SHARE, match=q.MatchAny(any=tokens)),
                ]
            ),
        ],
        must_not=[q.FieldCondition(key=ACL_DENY, match=q.MatchAny(any=tokens))],
    )


def edge_doc_condition(doc_ids: Sequence[str]) -> Any:
    import qdrant_edge as q

    return q.FieldCondition(key=DOC_ID, match=q.MatchAny(any=list(doc_ids)))


def edge_surplus_filter(doc_ids: Sequence[str], count: int) -> Any:
    import qdrant_edge as q

    return q.Filter(
        must=[edge_doc_condition(doc_ids), q.FieldCondition(key=CHUNK_INDEX, range=q.RangeFloat(gte=float(count)))]
    )


def edge_where(where: SearchFilter | None) -> list[Any]:
    """The caller's own narrowing as conditions to AND with the access filter."""
    import qdrant_edge as q

    if where is None or where.is_empty:
        return []
    conditions: list[Any] = []
    for key, values in ((SOURCE, where.sources), (FILE_TYPE, where.file_types)):
        if values:
            conditions.append(q.FieldCondition(key=key, match=q.MatchAny(any=sorted(values))))
    if where.modified_from or where.modified_to:
        span = q.RangeDateTime(gte=_iso(where.modified_from), lte=_iso(where.modified_to))
        conditions.append(q.FieldCondition(key=MODIFIED, range=span))
    return conditions


# -- qdrant-client (server, cluster, local mode) --------------------------------------------------


def client_acl_filter(scope: Scope, *extra_must: Any) -> Any:
    from qdrant_client import models as m

    members = require_members(scope)
    if len(members) == 1:
        return _client_member(members[0], *extra_must)
    return m.Filter(must=[*extra_must, *(_client_member(s) for s in members)])


def _client_member(scope: AccessScope, *extra_must: Any) -> Any:
    from qdrant_client import models as m

    tokens = require_tokens(scope)
    return m.Filter(
        must=[
            *extra_must,
            m.FieldCondition(key=ACL_ALLOW, match=m.MatchAny(any=tokens)),
            m.Filter(
                should=[
                    m.IsEmptyCondition(is_empty=m.PayloadField(key=ACL_SHARE)),
                    m.FieldCondition(key=ACL_SHARE, match=m.MatchAny(any=tokens)),
                ]
            ),
        ],
        must_not=[m.FieldCondition(key=ACL_DENY, match=m.MatchAny(any=tokens))],
    )


def client_doc_condition(doc_ids: Sequence[str]) -> Any:
    from qdrant_client import models as m

    return m.FieldCondition(key=DOC_ID, match=m.MatchAny(any=list(doc_ids)))


def client_surplus_filter(doc_ids: Sequence[str], count: int) -> Any:
    from qdrant_client import models as m

    return m.Filter(must=[client_doc_condition(doc_ids), m.FieldCondition(key=CHUNK_INDEX, range=m.Range(gte=count))])


def client_where(where: SearchFilter | None) -> list[Any]:
    from qdrant_client import models as m

    if where is None or where.is_empty:
        return []
    conditions: list[Any] = []
    for key, values in ((SOURCE, where.sources), (FILE_TYPE, where.file_types)):
        if values:
            conditions.append(m.FieldCondition(key=key, match=m.MatchAny(any=sorted(values))))
    if where.modified_from or where.modified_to:
        span = m.DatetimeRange(gte=where.modified_from, lte=where.modified_to)
        conditions.append(m.FieldCondition(key=MODIFIED, range=span))
    return conditions
