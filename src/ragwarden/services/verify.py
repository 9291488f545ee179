"""``ragwarden verify``: re-read the ACLs of indexed documents at their source and compare them with what
the index holds, point by point. How an auditor checks that the index tells the truth."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ragwarden.acl.principals import Emittable, UnresolvablePrincipalError, admit
from ragwarden.connectors import registry
from ragwarden.core.errors import NotFoundError, RagwardenError
from ragwarden.core.models import AccessControl, FailedItem

if TYPE_CHECKING:
    from ragwarden.services import Services


@dataclass
class VerifyReport:
    checked: int = 0
    sources: list[str] = field(default_factory=list)
    drift: list[dict[str, str]] = field(default_factory=list)

    def add(self, source: str, doc: str, problem: str) -> None:
        self.drift.append({"source": source, "doc": doc, "problem": problem})

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "sources": self.sources, "drift": self.drift}


def _fmt(acl: AccessControl) -> str:
    parts = [f"allow={sorted(acl.allow)}"]
    if acl.deny:
        parts.append(f"deny={sorted(acl.deny)}")
    if acl.share:
        parts.append(f"share={sorted(acl.share)}")
    return " ".join(parts)


def verify(services: Services, *, sample: int | None = None, source: str | None = None) -> VerifyReport:
    from ragwarden.services.sources import context

    records = [r for r in services.state.sources.all() if source in (None, r.spec.name)]
    if source is not None and not records:
        raise NotFoundError(f"no source named {source!r}")
    report = VerifyReport()
    for record in records:
        name = record.spec.name
        report.sources.append(name)
        try:
            connector = registry.build_connector(record.spec, context(services))
            truth, unreadable = _source_acls(connector)
            truth, refused = _enforceable(truth, services.principals())
        except (RagwardenError, OSError) as exc:
            report.add(name, "*", f"the source cannot be read: {exc}")
            continue
        known = services.state.documents(name)
        _unrecorded(report, name, known, services.index.held_documents(name))
        ids = sorted(known)
        if sample is not None and sample < len(ids):
            ids = sorted(random.sample(ids, sample))  # noqa: S311 - a sample, not a secret
        held = services.index.document_acls(ids)
        for doc_id in ids:
            report.checked += 1
            where = known[doc_id].path or known[doc_id].source_uri
            problem = refused.get(doc_id) or _compare(
                held.get(doc_id, set()), truth.get(doc_id), known[doc_id].source_uri in unreadable
            )
            if problem:
                report.add(name, where, problem)
    return report


def _unrecorded(report: VerifyReport, source: str, known: dict[str, Any], held: dict[str, tuple[int, str]]) -> None:
    """What the index holds that the checkpoint does not know, or in another number of chunks."""
    for doc_id, (chunks, path) in sorted(held.items()):
        record = known.get(doc_id)
        if record is None:
            report.add(source, path or doc_id, f"the index holds {chunks} chunks of a document not recorded as indexed")
        elif chunks != record.chunk_count:
            report.add(source, path or doc_id, f"the index holds {chunks} chunks, {record.chunk_count} recorded")


def _source_acls(connector: Any) -> tuple[dict[str, AccessControl], set[str]]:
    truth: dict[str, AccessControl] = {}
    unreadable: set[str] = set()
    try:
        for item in connector.scan_acls():
            if isinstance(item, FailedItem):
                unreadable.add(item.source_uri)
            else:
                truth[item[0]] = item[1]
    finally:
        close = getattr(connector, "close", None)
        if callable(close):
            close()
    return truth, unreadable


def _enforceable(
    truth: dict[str, AccessControl], principals: Emittable
) -> tuple[dict[str, AccessControl], dict[str, str]]:
    """The source's ACLs as the sync indexes them (grants nobody can hold left out), and the documents
    it must not index at all, with the reason."""
    admitted: dict[str, AccessControl] = {}
    refused: dict[str, str] = {}
    for doc_id, acl in truth.items():
        try:
            admitted[doc_id] = admit(acl, principals).acl
        except UnresolvablePrincipalError as exc:
            refused[doc_id] = f"indexed, but must not be: {exc}"
    return admitted, refused


def _compare(held: set[AccessControl], truth: AccessControl | None, unreadable: bool) -> str | None:
    if not held:
        return "recorded as indexed, but the index holds no chunk of it"
    if len(held) > 1:
        return f"its chunks carry {len(held)} different ACLs"
    indexed = next(iter(held))
    if truth is None:
        why = "its ACL can no longer be read" if unreadable else "it is gone"
        return f"indexed with {_fmt(indexed)}, but at the source {why}"
    if indexed != truth:
        return f"index has {_fmt(indexed)}, the source has {_fmt(truth)}"
    return None
