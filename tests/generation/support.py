"""A small in-memory stand-in for the retrieval choke point, with the same contract: a scope is
required, an empty scope returns nothing, only chunks the scope may see are ever returned. Like hybrid
search it returns the nearest visible chunks even when none is relevant (ranked by shared words)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragwarden.acl.decision import is_allowed
from ragwarden.core.models import AccessControl, AccessScope, Chunk, SearchHit


def chunk(
    doc_id: str,
    text: str,
    allow: tuple[str, ...] = ("everyone",),
    *,
    index: int = 0,
    title: str | None = None,
    deny: tuple[str, ...] = (),
) -> Chunk:
    return Chunk(
        doc_id=doc_id,
        index=index,
        text=text,
        acl=AccessControl(allow=frozenset(allow), deny=frozenset(deny)),
        title=title if title is not None else doc_id.replace("-", " ").title(),
        source_uri=f"file:///corpus/{doc_id}.md",
        section="",
    )


def scope(user: str, *groups: str) -> AccessScope:
    return AccessScope(principal=f"user:{user}", tokens=frozenset({f"user:{user}", "everyone", *groups}))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


@dataclass
class FakeRetriever:
    chunks: list[Chunk]
    queries: list[tuple[str, str, int]] = field(default_factory=list)  # (principal, query, limit)

    def search(self, scope: AccessScope, query: str, limit: int = 10) -> list[SearchHit]:
        if not isinstance(scope, AccessScope):
            raise TypeError("scope required")
        self.queries.append((scope.principal, query, limit))
        if scope.is_empty:
            return []
        visible = [c for c in self.chunks if is_allowed(c.acl, scope)]
        ranked = sorted(visible, key=lambda c: -len(_words(query) & _words(c.text)))
        return [
            SearchHit(point_id=c.chunk_id, score=1.0 / (60 + rank), payload=c.payload())
            for rank, c in enumerate(ranked[:limit], start=1)
        ]
