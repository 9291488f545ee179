"""What the audit records: one :class:`AuditEvent` per search, document read and answer a caller receives.

The use cases build the event from exactly what they return (never from what the index merely held), so the
log answers "who saw this document, and on what grounds". The grounds are the **granting token** (the caller's
token that matched the document's ``acl_allow``; the smallest in sort order when several do, so the same
request always names the same one) and, for a share-restricted document, the share token likewise, with the
ACL version the hit was checked against. The event names the caller by principal; the audit adapter writes
only a keyed pseudonym of it (the key lives outside the log), so erasing a person's key later makes their
records unlinkable without breaking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from ragwarden.core.models import AccessControl, Scope, SearchHit, member_scopes

if TYPE_CHECKING:
    from ragwarden.core.ports import AuditSink

Interface = Literal["rest", "page", "teams", "cli"]
Action = Literal["search", "document", "answer"]
INTERFACES: tuple[Interface, ...] = ("rest", "page", "teams", "cli")


@dataclass(frozen=True, slots=True)
class Grant:
    """Why one reader was allowed one document: their token that matched ``acl_allow``, and the one that
    matched ``acl_share`` when the document has a share permission (None otherwise)."""

    reader: str  # the principal; written as its pseudonym
    allow: str
    share: str | None = None


@dataclass(frozen=True, slots=True)
class SeenDocument:
    doc_id: str
    points: tuple[str, ...]
    acl_version: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    """What an auditor needs of an answer without its text: the model, the prompt's hash (None when no
    model was prompted: extractive quotes, the fixed "not found" reply), and whether it was refused.
    ``cached``: the text was generated earlier, from the prompt with this hash, and replayed from the answer
    cache (the same question over the same passages); written only when true, so that the records of fresh
    answers keep their shape."""

    model: str
    prompt_sha256: str | None
    refused: bool
    cached: bool = False


@dataclass(frozen=True, slots=True)
class AuditEvent:
    interface: Interface
    action: Action
    principal: str  # written as its pseudonym, never in the clear
    documents: tuple[SeenDocument, ...]
    query: str | None = None  # kept only when RAGWARDEN_AUDIT_QUERIES is on (the sink decides)
    answer: AnswerFacts | None = None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


def granting_tokens(acl: AccessControl, tokens: frozenset[str]) -> tuple[str, str | None] | None:
    """The caller's allow token and share token for ``acl`` (each the smallest matching one), or None when
    the caller is not allowed (a deny matches, or nothing grants)."""
    if acl.deny & tokens:
        return None
    allow = sorted(acl.allow & tokens)
    if not allow:
        return None
    if not acl.share:
        return allow[0], None
    share = sorted(acl.share & tokens)
    return (allow[0], share[0]) if share else None


def seen_documents(scope: Scope, hits: Sequence[SearchHit]) -> tuple[SeenDocument, ...]:
    """The documents of ``hits`` (first-seen order) with their point ids and, per reader, the grant."""
    by_doc: dict[str, list[SearchHit]] = {}
    for hit in hits:
        by_doc.setdefault(hit.doc_id, []).append(hit)
    seen = []
    for doc_id, doc_hits in by_doc.items():
        first = doc_hits[0]
        acl = first.acl
        grants = []
        for member in member_scopes(scope):
            found = granting_tokens(acl, member.tokens)
            if found is not None:  # the choke point re-checked every hit: always found
                grants.append(Grant(member.principal, found[0], found[1]))
        seen.append(
            SeenDocument(
                doc_id,
                tuple(dict.fromkeys(h.point_id for h in doc_hits)),
                str(first.payload.get("acl_version") or acl.version),
                tuple(grants),
            )
        )
    return tuple(seen)


def prompt_sha256(messages: Sequence[object]) -> str:
    """The hash of a chat prompt (role and content of each message, canonical JSON)."""
    rows = [[getattr(m, "role", ""), getattr(m, "content", str(m))] for m in messages]
    canonical = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """The sink the composition root chose, bound to the interface a request came through: what an
    interface hands a use case, which then records what it returns."""

    sink: AuditSink
    interface: Interface

    def record(
        self,
        action: Action,
        scope: Scope,
        hits: Sequence[SearchHit],
        *,
        query: str | None = None,
        answer: AnswerFacts | None = None,
    ) -> None:
        """Record before returning: raises ``AuditUnavailableError`` when the record cannot be written."""
        event = AuditEvent(self.interface, action, scope.principal, seen_documents(scope, hits), query, answer)
        self.sink.record(event)

