"""Shared value types: documents, chunks, access-control lists and the caller's access scope.

Fail closed in the types: an :class:`AccessControl` without any allow token cannot be built, a
:class:`Chunk` cannot be built without one, and an :class:`AccessScope` is a concrete set of tokens;
there is no value that means "no filter".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ragwarden.core.errors import AccessControlError, MissingScopeError


def _token_set(tokens: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(tokens, str):
        raise AccessControlError(f"{what} must be a list of tokens, not a string")
    out = set()
    for token in tokens:
        if not isinstance(token, str) or not token or token != token.strip():
            raise AccessControlError(f"{what} contains an invalid token: {token!r}")
        out.add(token)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class AccessControl:
    """A document's access-control list in principal tokens (see ``ragwarden.acl.tokens``).

    ``allow`` must match at least one caller token; ``share``, when not empty, must match too
    (SMB share permission ∩ NTFS permission); any match in ``deny`` hides the document.
    """

    allow: frozenset[str]
    deny: frozenset[str] = frozenset()
    share: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow", _token_set(self.allow, "allow"))
        object.__setattr__(self, "deny", _token_set(self.deny, "deny"))
        object.__setattr__(self, "share", _token_set(self.share, "share"))
        if not self.allow:
            raise AccessControlError("an ACL must allow at least one principal")

    @property
    def version(self) -> str:
        """A stable fingerprint of the ACL: equal ACLs have equal versions."""
        canonical = json.dumps([sorted(self.allow), sorted(self.deny), sorted(self.share)], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def to_payload(self) -> dict[str, Any]:
        return {
            "acl_allow": sorted(self.allow),
            "acl_deny": sorted(self.deny),
            "acl_share": sorted(self.share),
            "acl_version": self.version,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AccessControl:
        return cls(
            allow=frozenset(payload.get("acl_allow") or ()),
            deny=frozenset(payload.get("acl_deny") or ()),
            share=frozenset(payload.get("acl_share") or ()),
        )


@dataclass(frozen=True, slots=True)
class AccessScope:
    """Everything a caller may match against: their principal tokens. Required by every search.

    An empty scope is valid and sees nothing; there is deliberately no "unrestricted" scope.
    """

    principal: str
    tokens: frozenset[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", frozenset(self.tokens))
        if any(not isinstance(t, str) or not t for t in self.tokens):
            raise AccessControlError("an access scope holds only non-empty string tokens")

    @property
    def is_empty(self) -> bool:
        return not self.tokens


@dataclass(frozen=True, slots=True)
class JointScope:
    """Several people reading one reply (a group chat, a channel): a passage is visible only when
    **every** member may see it. Filtered inside the index as the AND of each member's ACL filter.

    It sees nothing when it has no members or when any member's own scope is empty: an unknown reader
    in the room means nothing may be shown.
    """

    principal: str
    members: tuple[AccessScope, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(self.members))
        if not all(isinstance(m, AccessScope) for m in self.members):
            raise AccessControlError("a joint scope is made of the members' AccessScopes")

    @property
    def is_empty(self) -> bool:
        return not self.members or any(m.is_empty for m in self.members)


def _aware(when: datetime) -> datetime:
    """Naive timestamps are UTC (how connectors write them)."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)


#: Who a search is for: one caller, or everyone who will read the reply.
Scope = AccessScope | JointScope


def require_scope(scope: object, what: str = "a search") -> None:
    """Refuse anything but the caller's scope, the same way in every layer (:class:`MissingScopeError`)."""
    if not isinstance(scope, AccessScope | JointScope):
        raise MissingScopeError(f"{what} needs the caller's AccessScope")


def member_scopes(scope: Scope) -> tuple[AccessScope, ...]:
    """The individual scopes a search must satisfy, all of them."""
    require_scope(scope)
    return (scope,) if isinstance(scope, AccessScope) else scope.members


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """What the caller narrowed a search to (source, file type, modified date); applied inside the
    index together with, never instead of, the access filter. Empty sets mean "any"."""

    sources: frozenset[str] = frozenset()
    file_types: frozenset[str] = frozenset()
    modified_from: datetime | None = None
    modified_to: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", frozenset(self.sources))
        object.__setattr__(self, "file_types", frozenset(self.file_types))
        for name in ("modified_from", "modified_to"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _aware(value))

    @property
    def is_empty(self) -> bool:
        return not (self.sources or self.file_types or self.modified_from or self.modified_to)

    def matches(self, payload: Mapping[str, Any]) -> bool:
        """The same rule in Python, for re-checking hits."""
        if self.sources and payload.get("source") not in self.sources:
            return False
        if self.file_types and payload.get("file_type") not in self.file_types:
            return False
        if self.modified_from or self.modified_to:
            raw = payload.get("modified")
            if not isinstance(raw, str):
                return False
            when = _aware(datetime.fromisoformat(raw))
            if self.modified_from and when < self.modified_from:
                return False
            if self.modified_to and when > self.modified_to:
                return False
        return True


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One item a connector found at its source: identity, metadata and ACL, and a way to its bytes."""

    doc_id: str
    source: str
    source_uri: str
    title: str
    acl: AccessControl
    content_hash: str
    modified: datetime | None = None
    size: int = 0
    file_type: str = ""
    path: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # A cheap fingerprint of the very file (identity, size, modification time), read without its content.
    # A permission-only pass compares it with the indexed one: an ACL found on a file that is no longer
    # the one indexed is never stamped on the old file's chunks. "" when the connector cannot tell.
    version: str = ""


@dataclass(frozen=True, slots=True)
class FailedItem:
    """A per-item failure: the run goes on, the reason is reported."""

    source_uri: str
    reason: str
    kind: str = "error"


@dataclass(frozen=True, slots=True)
class Section:
    """A piece of parsed text with where it came from."""

    text: str
    heading: str = ""
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """One indexed passage; it always carries its document's ACL."""

    doc_id: str
    index: int
    text: str
    acl: AccessControl
    title: str = ""
    source_uri: str = ""
    section: str = ""
    page: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.acl, AccessControl):
            raise AccessControlError("a chunk cannot exist without its document's ACL")

    @property
    def chunk_id(self) -> str:
        return chunk_id(self.doc_id, self.index)

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "doc_id": self.doc_id,
            "chunk_index": self.index,
            "text": self.text,
            "title": self.title,
            "source_uri": self.source_uri,
            "section": self.section,
            "page": self.page,
        }
        payload.update(self.metadata)
        payload.update(self.acl.to_payload())
        return payload


def chunk_id(doc_id: str, index: int) -> str:
    """Deterministic point id (a UUID string) for chunk ``index`` of document ``doc_id``."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ragwarden:{doc_id}#{index}"))


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    """A chunk as stored in the index, ready to be written: id, vectors and payload."""

    point_id: str
    dense: list[float]
    text: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result of the retrieval choke point."""

    point_id: str
    score: float
    payload: Mapping[str, Any]

    @property
    def doc_id(self) -> str:
        return str(self.payload["doc_id"])

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def acl(self) -> AccessControl:
        return AccessControl.from_payload(self.payload)
