"""Incremental sync: a connector's stream in, the index and the checkpoint brought up to date.

Per document: unchanged content and ACL → skipped; ACL-only change → payload re-stamped, no
re-embedding; new or changed content → parsed, chunked, embedded (batched across documents) and
written; gone from the source → removed. A document whose ACL or content can no longer be read is
removed too: what cannot be checked is not shown (fail closed).

Every ACL, in both passes and unchanged documents included (the directories may have changed), is
first admitted against what the configured resolvers can emit (:func:`ragwarden.acl.principals.admit`):
a deny naming a principal no caller can hold fails the document; allow entries naming one are left
out and counted in the report.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ragwarden.acl.principals import Emittable, UnresolvablePrincipalError, admit
from ragwarden.core.errors import ItemError, RagwardenError
from ragwarden.core.models import AccessControl, Chunk, FailedItem, IndexedChunk, SourceDocument
from ragwarden.core.paths import outermost_paths
from ragwarden.core.ports import Connector, Embedder, VectorIndex
from ragwarden.ingestion.state import DocumentState, StateStore

log = logging.getLogger(__name__)

ChunkMaker = Callable[[SourceDocument, bytes], list[Chunk]]


class AclConnector(Protocol):
    """A connector that can read permissions without content (both built-in connectors can)."""

    @property
    def source(self) -> str: ...

    def scan_acls(self) -> Iterator[AclItem | FailedItem]:
        """``(doc_id, acl)`` or ``(doc_id, acl, version)`` per document, without reading content; the
        version is :attr:`SourceDocument.version` of the file now at the document's place."""


AclItem = tuple[str, AccessControl] | tuple[str, AccessControl, str]


@runtime_checkable
class ScopedConnector(Protocol):
    """A connector that can scan some paths only (for change notifications on a large source)."""

    def uri(self, rel_path: str) -> str:
        """The ``source_uri`` of the document at a root-relative path (or of a folder)."""

    def scan_within(self, paths: Sequence[str]) -> Iterator[SourceDocument | FailedItem]:
        """What :meth:`Connector.scan` yields for these root-relative paths (a folder: everything below
        it); a path that no longer exists yields nothing."""


def _under(uri: str, prefixes: tuple[str, ...]) -> bool:
    return any(uri == p or uri.startswith(p.rstrip("/") + "/") for p in prefixes)


@dataclass
class SyncReport:
    source: str
    added: int = 0
    updated: int = 0
    restamped: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks_written: int = 0
    # documents taken out to be indexed afresh: left in flight by a crashed pass, or found by a permission
    # pass with another ACL on another file than the one indexed (the content sync is brought forward)
    recovered: int = 0
    failed: list[FailedItem] = field(default_factory=list)
    # allow/share tokens no configured resolver emits (they grant nothing): token -> documents naming it
    ignored: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.restamped} re-stamped, "
            f"{self.unchanged} unchanged, {self.deleted} deleted, {len(self.failed)} failed; "
            f"{self.chunks_written} chunks written in {self.seconds:.1f} s"
        )
        if self.ignored:
            named = ", ".join(f"{t} ({n})" for t, n in sorted(self.ignored.items()))
            text += f"; grants nobody can hold, left out: {named}"
        return text


def embedding_text(chunk: Chunk) -> str:
    """What the embedder and BM25 read: the chunk with its title and section, for context."""
    head = chunk.title if not chunk.section or chunk.section == chunk.title else f"{chunk.title} – {chunk.section}"
    return f"{head}\n{chunk.text}" if head else chunk.text


@dataclass
class _Pending:
    doc: SourceDocument
    chunks: list[Chunk]
    previous_acl: AccessControl | None  # the ACL the index holds for it, if it holds it

    @property
    def replaces(self) -> bool:
        return self.previous_acl is not None


class SyncEngine:
    def __init__(
        self,
        index: VectorIndex,
        embedder: Embedder,
        state: StateStore,
        make_chunks: ChunkMaker,
        *,
        batch_chunks: int = 256,
        progress: Callable[[Iterable[SourceDocument | FailedItem]], Iterable[SourceDocument | FailedItem]]
        | None = None,
        settle: Callable[[], None] | None = None,
        pace: Callable[[], int] | None = None,
        principals: Emittable | None = None,
    ) -> None:
        self._index = index
        self._embedder = embedder
        self._state = state
        self._make_chunks = make_chunks
        self._batch_chunks = batch_chunks
        self._progress = progress
        # How fresh points get folded in: now (one-off runs), or when a server is idle (it passes its own).
        self._settle_now = settle or index.settle
        self._source = ""  # the source of the pass under way
        # A serving process passes ``pace``: it waits while searches are in flight and says how many chunks
        # to embed next (few while searches come in, since a query's embedding waits for the slice under
        # way; many when quiet), so a long sync does not hold the cores and the model a search needs.
        self._pace = pace
        # What callers can hold; None (harness only; the composition root always passes it): no check.
        self._principals = principals
        index.ensure_collection(embedder.dimension)

    def sync(self, connector: Connector, within: Sequence[str] | None = None) -> SyncReport:
        """The content sync; ``within`` (root-relative paths a change notification named; a folder stands
        for everything below it) limits it to those paths, for a connector that can scan just them
        (:class:`ScopedConnector`): what is indexed there and no longer found there is removed."""
        started = time.perf_counter()
        report = SyncReport(connector.source)
        report.recovered = self._recover(connector.source)
        known = self._state.documents(connector.source)
        items: Iterable[SourceDocument | FailedItem]
        within = outermost_paths(within) if within is not None else None
        if within is not None and isinstance(connector, ScopedConnector):
            prefixes = tuple(connector.uri(p) for p in within)
            known = {k: d for k, d in known.items() if _under(d.source_uri, prefixes)}
            items = connector.scan_within(within)
        else:
            within, items = None, connector.scan()
        seen: set[str] = set()
        failed_uris: set[str] = set()
        restamps: dict[str, AccessControl] = {}
        versions: list[tuple[str, str]] = []
        pending: list[_Pending] = []
        if self._progress is not None:
            items = self._progress(items)
        for item in items:
            if self._pace is not None:
                # Scanning, parsing and chunking hold the interpreter (parsers and tokenizers keep it for
                # a whole native call): the next document is taken up between searches, not during one.
                self._pace()
            if isinstance(item, FailedItem):
                self._fail(connector.source, item, report, failed_uris, seen)
                continue
            admitted = self._admit(connector.source, item.source_uri, item.acl, report, failed_uris, seen)
            if admitted is None:
                continue
            item = dataclasses.replace(item, acl=admitted)
            seen.add(item.doc_id)
            previous = known.get(item.doc_id)
            if previous is not None and previous.content_hash == item.content_hash:
                if previous.version != item.version:
                    versions.append((item.doc_id, item.version))
                if previous.acl == item.acl:
                    report.unchanged += 1
                else:
                    restamps[item.doc_id] = item.acl
                    if len(restamps) >= self._batch_chunks:
                        self._restamp(restamps, report)
                continue
            self._prepare(connector, item, previous, pending, report, failed_uris, seen)
            if sum(len(p.chunks) for p in pending) >= self._batch_chunks:
                self._write(pending, report)
                pending = []
        self._write(pending, report)
        self._restamp(restamps, report)
        self._state.commit_versions(versions)
        self._remove_gone(set(known) - seen, report)
        if within is None:  # a scoped pass saw too little to say which failures are over
            self._state.clear_failures(connector.source, failed_uris)
        self._settle(report)
        report.seconds = time.perf_counter() - started
        return report

    def sync_acls(self, connector: AclConnector) -> SyncReport:
        """The permission-only pass: re-stamp changed ACLs and remove vanished or unreadable documents,
        without reading content. Documents the index does not hold yet wait for the content sync."""
        started = time.perf_counter()
        report = SyncReport(connector.source)
        report.recovered = self._recover(connector.source)
        known = self._state.documents(connector.source)
        seen: set[str] = set()
        restamps: dict[str, AccessControl] = {}
        other_files: list[str] = []
        items: Iterable[AclItem | FailedItem] = connector.scan_acls()
        for item in items:
            if isinstance(item, FailedItem):
                self._fail(connector.source, item, report, set(), seen)
                continue
            doc_id, raw, version = item if len(item) == 3 else (*item, "")
            previous = known.get(doc_id)
            if previous is None:
                continue
            acl = self._admit(connector.source, previous.source_uri, raw, report, set(), seen)
            if acl is None:
                continue
            seen.add(doc_id)
            if previous.acl == acl:
                report.unchanged += 1
                continue
            if version and previous.version and version != previous.version:
                other_files.append(doc_id)  # this ACL was decided for bytes the index does not hold
                continue
            restamps[doc_id] = acl
            if len(restamps) >= self._batch_chunks:
                self._restamp(restamps, report)
        self._restamp(restamps, report)
        self._take_out(other_files, report)
        self._remove_gone(set(known) - seen, report)
        self._settle(report)
        report.seconds = time.perf_counter() - started
        return report

    def _take_out(self, doc_ids: list[str], report: SyncReport) -> None:
        """Documents whose file was replaced or rewritten since it was indexed, and whose ACL changed with
        it: neither ACL may be stamped on the old chunks (the new one was decided for other bytes, the old
        one no longer exists at the source). They leave the index until the content sync reads them."""
        if doc_ids:
            log.info("source %s: %d documents changed with their ACL; re-indexed by the content sync",
                     self._source, len(doc_ids))  # fmt: skip
            self._state.begin_writes(self._source, doc_ids)
            self._index.delete_documents(doc_ids)
            self._state.remove(doc_ids)
            report.recovered += len(doc_ids)

    def _admit(
        self, source: str, uri: str, acl: AccessControl, report: SyncReport, failed_uris: set[str], seen: set[str]
    ) -> AccessControl | None:
        """The ACL as it can be enforced, or None: the document failed (and any old copy is gone)."""
        if self._principals is None:
            return acl
        try:
            admission = admit(acl, self._principals)
        except UnresolvablePrincipalError as exc:
            self._fail(source, FailedItem(uri, str(exc), "acl"), report, failed_uris, seen)
            return None
        if admission.ignored:
            log.info("%s: grants nobody can hold, left out: %s", uri, ", ".join(sorted(admission.ignored)))
            report.ignored.update(admission.ignored)
        return admission.acl

    def _recover(self, source: str) -> int:
        """Documents a crashed pass was changing leave the index and the checkpoint; this pass indexes
        them afresh from the source, whatever state the crash left their points in."""
        self._source = source
        doubtful = self._state.in_flight(source)
        if doubtful:
            log.warning("source %s: %d documents were mid-write at a crash; re-indexing them", source, len(doubtful))
            self._index.delete_documents(doubtful)
            self._state.remove(doubtful)
        return len(doubtful)

    def _remove_gone(self, gone: set[str], report: SyncReport) -> None:
        """Documents the source no longer has (or no longer lets us read) leave the index."""
        if gone:
            self._state.begin_writes(self._source, sorted(gone))
            self._index.delete_documents(sorted(gone))
            self._state.remove(sorted(gone))
            report.deleted += len(gone)

    def _settle(self, report: SyncReport) -> None:
        if report.added or report.updated or report.restamped or report.deleted:
            # Qdrant Edge has no background optimizer: fresh points are searched by brute force in a
            # small appendable segment, folded into HNSW only past a budget (no rebuild per change).
            self._settle_now()

    def _prepare(
        self,
        connector: Connector,
        doc: SourceDocument,
        previous: DocumentState | None,
        pending: list[_Pending],
        report: SyncReport,
        failed_uris: set[str],
        seen: set[str],
    ) -> None:
        try:
            chunks = self._make_chunks(doc, connector.read(doc))
        except (ItemError, RagwardenError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            self._fail(connector.source, FailedItem(doc.source_uri, reason, "content"), report, failed_uris, seen)
            return
        pending.append(_Pending(doc, chunks, previous.acl if previous is not None else None))

    def _write(self, pending: Sequence[_Pending], report: SyncReport) -> None:
        if not pending:
            return
        replaced = [p for p in pending if p.replaces]
        # A narrowed ACL reaches the old points first: a revocation never waits for the embedder.
        self._restamp({p.doc.doc_id: p.doc.acl for p in replaced if p.previous_acl != p.doc.acl}, None)
        chunks = [c for p in pending for c in p.chunks]
        vectors = self._embed([embedding_text(c) for c in chunks])
        by_chunk = iter(vectors)
        points = [IndexedChunk(c.chunk_id, list(next(by_chunk)), embedding_text(c), c.payload()) for c in chunks]
        self._state.begin_writes(self._source, [p.doc.doc_id for p in pending])
        # New chunks overwrite the old ones in place (point ids derive from doc id and position), then
        # the surplus of a document that shrank goes: a replaced document is never missing nor twice.
        self._index.upsert(points)
        if replaced:
            self._index.delete_chunks_from({p.doc.doc_id: len(p.chunks) for p in replaced})
        self._state.commit_documents([(p.doc, len(p.chunks)) for p in pending])
        for p in pending:
            if p.replaces:
                report.updated += 1
            else:
                report.added += 1
        report.chunks_written += len(points)

    def _embed(self, texts: list[str]) -> list[list[float]]:
        if self._pace is None:
            return self._embedder.embed_batch(texts) if texts else []
        vectors: list[list[float]] = []
        while len(vectors) < len(texts):
            size = max(1, self._pace())
            vectors.extend(self._embedder.embed_batch(texts[len(vectors) : len(vectors) + size]))
        return vectors

    def _restamp(self, restamps: dict[str, AccessControl], report: SyncReport | None) -> None:
        """Permission changes go out in batches as they are found, not after all content work."""
        if not restamps:
            return
        by_acl: dict[AccessControl, list[str]] = defaultdict(list)
        for doc_id, acl in restamps.items():
            by_acl[acl].append(doc_id)
        self._state.begin_writes(self._source, list(restamps))
        for acl, doc_ids in by_acl.items():
            self._index.restamp_acl(doc_ids, acl)
        self._state.commit_acls(list(restamps.items()))
        if report is not None:
            report.restamped += len(restamps)
        restamps.clear()

    def _fail(
        self,
        source: str,
        item: FailedItem,
        report: SyncReport,
        failed_uris: set[str],
        seen: set[str],
    ) -> None:
        log.warning("not indexed: %s: %s", item.source_uri, item.reason)
        report.failed.append(item)
        failed_uris.add(item.source_uri)
        self._state.record_failure(source, item)
        stale = self._state.by_uri(source, item.source_uri)
        if stale is not None:
            # Its ACL or content can no longer be read: the old copy must not stay visible.
            self._state.begin_writes(source, [stale.doc_id])
            self._index.delete_documents([stale.doc_id])
            self._state.remove([stale.doc_id])
            seen.add(stale.doc_id)
            report.deleted += 1
