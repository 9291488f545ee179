"""What an index holds, read back without any text, for ``ragwarden verify``: the ACLs stored per
document, and per document its chunk count and path.

Both adapters scroll the payload fields in their own engine's types
(:mod:`~ragwarden.retrieval.edge_requests`, :mod:`~ragwarden.retrieval.qdrant_requests`); the tally
of those payloads is the same and lives here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ragwarden.core.models import AccessControl
from ragwarden.retrieval import filters

#: The payload fields :func:`acls_by_document` reads.
ACL_FIELDS = [filters.DOC_ID, filters.ACL_ALLOW, filters.ACL_DENY, filters.ACL_SHARE]
#: The payload fields :func:`chunks_by_document` reads.
DOCUMENT_FIELDS = [filters.DOC_ID, "path"]


def acls_by_document(payloads: Iterable[Mapping[str, Any] | None]) -> dict[str, set[AccessControl]]:
    """The distinct ACLs stored on each document's chunks."""
    held: dict[str, set[AccessControl]] = {}
    for payload in payloads:
        payload = payload or {}
        held.setdefault(str(payload[filters.DOC_ID]), set()).add(AccessControl.from_payload(payload))
    return held


def chunks_by_document(payloads: Iterable[Mapping[str, Any] | None]) -> dict[str, tuple[int, str]]:
    """Per document: how many chunks, and its path."""
    held: dict[str, tuple[int, str]] = {}
    for payload in payloads:
        payload = payload or {}
        doc_id = str(payload[filters.DOC_ID])
        count, _ = held.get(doc_id, (0, ""))
        held[doc_id] = (count + 1, str(payload.get("path") or ""))
    return held
