"""Incremental sync: a connector's stream in, the index and the checkpoint brought up to date.

Per document: unchanged content and ACL → skipped; ACL-only change → payload re-stamped, no
re-embedding; new or changed content → parsed, chunked, embedded (batched across documents) and
written; gone from the source → removed. Parsing runs in worker processes when the engine is given a
:class:`~ragwarden.ingestion.parse_pool.ParsePool`, several documents in flight (:mod:`~.parse_window`), written
in scan order all the same. A document whose ACL or content can no longer be read is
removed too: what cannot be checked is not shown (fail closed).

This module is the content pass (:meth:`SyncEngine.sync`); the permission-only pass and the index writes both
passes share (ACL admission, re-stamps, removals, crash recovery) are
:class:`~ragwarden.ingestion.permission_sync.PermissionSync`, which the engine extends; what a pass did is a
:class:`~ragwarden.ingestion.sync_report.SyncReport`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ragwarden.acl.principals import Emittable
from ragwarden.core.errors import ItemError, RagwardenError
from ragwarden.core.models import AccessControl, Chunk, FailedItem, IndexedChunk, SourceDocument
from ragwarden.core.paths import outermost_paths
from ragwarden.core.ports import Connector, Embedder, VectorIndex
from ragwarden.ingestion.parse_pool import ParsePool
from ragwarden.ingestion.parse_window import DoneFeed, InFlight
from ragwarden.ingestion.permission_sync import FLUSH_SECONDS, Held, PermissionSync
from ragwarden.ingestion.state import DocumentState, StateStore
from ragwarden.ingestion.sync_report import SyncReport

ChunkMaker = Callable[[SourceDocument, bytes], list[Chunk]]


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


@dataclass
class _Pass:
    """What one content pass carries from item to item."""

    report: SyncReport
    flight: InFlight[_Pending]
    done: DoneFeed[SourceDocument | FailedItem]
    pending: list[_Pending] = dataclasses.field(default_factory=list)  # parsed, waiting for the embedder
    seen: set[str] = dataclasses.field(default_factory=set)
    failed_uris: set[str] = dataclasses.field(default_factory=set)


class SyncEngine(PermissionSync):
    """The content sync (:meth:`sync`), with the permission-only pass (:meth:`sync_acls`) it extends."""

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
        flush_seconds: float = FLUSH_SECONDS,
        parse_pool: ParsePool | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        super().__init__(
            index, state, batch_chunks=batch_chunks, settle=settle, principals=principals, flush_seconds=flush_seconds
        )
        self._embedder = embedder
        self._make_chunks = make_chunks
        self._progress = progress
        self._parse_pool, self._max_in_flight = parse_pool, max_in_flight
        self.peak_in_flight = (0, 0)  # documents and bytes the last pass held in flight at most
        # A serving process passes ``pace``: it waits while searches are in flight and says how many chunks
        # to embed next (few while searches come in, since a query's embedding waits for the slice under
        # way; many when quiet), so a long sync does not hold the cores and the model a search needs.
        self._pace = pace
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
        items = self._state.tombstones.filter(connector.source, items, complete=within is None)
        seen, failed_uris = self._index_items(connector, items, known, report)
        self._remove_gone(set(known) - seen, report)
        if within is None:  # a scoped pass saw too little to say which failures are over
            self._state.clear_failures(connector.source, failed_uris)
        self._settle(report)
        report.seconds = time.perf_counter() - started
        return report

    def _index_items(
        self,
        connector: Connector,
        items: Iterable[SourceDocument | FailedItem],
        known: dict[str, DocumentState],
        report: SyncReport,
    ) -> tuple[set[str], set[str]]:
        """Each item of the scan into the index (``known``: what the index holds of this scan's scope);
        returns the ids of the documents seen and the URIs of the items that failed."""
        restamps: dict[str, AccessControl] = {}
        versions: list[tuple[str, str]] = []
        flight: InFlight[_Pending] = InFlight(self._parse_pool, self._make_chunks, max_docs=self._max_in_flight)
        run = _Pass(report, flight, DoneFeed(self._progress))
        held = Held(self._batch_chunks, self._flush_seconds)
        try:
            for item in items:
                if self._pace is not None:
                    # Scanning, parsing and chunking hold the interpreter (parsers and tokenizers keep it for
                    # a whole native call): the next document is taken up between searches, not during one.
                    self._pace()
                doc = self._sort(connector.source, item, known, report, run.failed_uris, run.seen, restamps, versions)
                if doc is None:
                    run.done.done([item])
                else:
                    self._collect(flight.room_for(doc.size), run)
                    self._prepare(connector, doc, known.get(doc.doc_id), run)
                self._collect(flight.finished(), run)
                waiting = [*run.pending, *flight.entries()]
                if held.due(len(restamps) + sum(p.previous_acl not in (None, p.doc.acl) for p in waiting)):
                    self._restamp_now(restamps, waiting, report)
            self._collect(flight.drain(), run)
            self._write_pending(run, 0)
        finally:
            flight.cancel()
            self.peak_in_flight = (flight.peak_docs, flight.peak_bytes)
        self._restamp(restamps, report)
        self._state.commit_versions(versions)
        run.done.finish()
        return run.seen, run.failed_uris

    def _sort(
        self,
        source: str,
        item: SourceDocument | FailedItem,
        known: dict[str, DocumentState],
        report: SyncReport,
        failed_uris: set[str],
        seen: set[str],
        restamps: dict[str, AccessControl],
        versions: list[tuple[str, str]],
    ) -> SourceDocument | None:
        """One item of a content scan: failed, unchanged, a new version or ACL of the same bytes (into
        ``versions``, ``restamps``), or returned with its admitted ACL: content to read."""
        if isinstance(item, FailedItem):
            self._fail(source, item, report, failed_uris, seen)
            return None
        admitted = self._admit(source, item.source_uri, item.acl, report, failed_uris, seen)
        if admitted is None:
            return None
        item = dataclasses.replace(item, acl=admitted)
        seen.add(item.doc_id)
        previous = known.get(item.doc_id)
        if previous is None or previous.content_hash != item.content_hash:
            return item
        if previous.version != item.version:
            versions.append((item.doc_id, item.version))
        if previous.acl == item.acl:
            report.unchanged += 1
        else:
            restamps[item.doc_id] = item.acl
        return None

    def _restamp_now(self, restamps: dict[str, AccessControl], pending: list[_Pending], report: SyncReport) -> None:
        """Permission changes found so far go out now, without waiting for the pass or the embedder: ACL-only
        changes, and the new ACL of documents whose new content waits in ``pending`` (stamped on their
        old chunks, as :meth:`_write` would first do)."""
        self._restamp(restamps, report)
        changed = [p for p in pending if p.previous_acl is not None and p.previous_acl != p.doc.acl]
        self._restamp({p.doc.doc_id: p.doc.acl for p in changed}, None)
        for p in changed:
            p.previous_acl = p.doc.acl

    def _prepare(self, connector: Connector, doc: SourceDocument, previous: DocumentState | None, run: _Pass) -> None:
        """Read ``doc`` and hand it to the parsers; its chunks come back in :meth:`_collect`."""
        try:
            data = connector.read(doc)
        except (ItemError, RagwardenError, OSError) as exc:
            self._fail_content(doc, exc, run)
            return
        run.flight.add(_Pending(doc, [], previous.acl if previous is not None else None), doc, data)

    def _collect(self, finished: Iterable[tuple[_Pending, Future[list[Chunk]]]], run: _Pass) -> None:
        """Parsed documents, in scan order, into the batch the embedder takes next (written once full)."""
        for entry, future in finished:
            try:
                entry.chunks = future.result()
            except (ItemError, RagwardenError, OSError) as exc:
                self._fail_content(entry.doc, exc, run)
                continue
            run.pending.append(entry)
            self._write_pending(run, self._batch_chunks)

    def _fail_content(self, doc: SourceDocument, exc: BaseException, run: _Pass) -> None:
        failed = FailedItem(doc.source_uri, str(exc) or type(exc).__name__, "content")
        self._fail(self._source, failed, run.report, run.failed_uris, run.seen)
        run.done.done([failed])

    def _write_pending(self, run: _Pass, at_least: int) -> None:
        """Write the batch once it holds ``at_least`` chunks (0: whatever it holds)."""
        if sum(len(p.chunks) for p in run.pending) >= at_least:
            self._write(run.pending, run.report)
            run.done.done([p.doc for p in run.pending])
            run.pending = []

    def _write(self, pending: Sequence[_Pending], report: SyncReport) -> None:
        forgotten = self._state.tombstones.caught(self._source, [p.doc for p in pending])
        pending = [p for p in pending if p.doc.source_uri not in forgotten]  # forgotten while in flight
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
        self._unwrite_forgotten(pending)
        for p in pending:
            if p.replaces:
                report.updated += 1
            else:
                report.added += 1
        report.chunks_written += len(points)

    def _unwrite_forgotten(self, written: Sequence[_Pending]) -> None:
        """A document forgotten between the check before embedding and the commit goes again: ``forget-document``
        buries before it deletes, so either it deletes after this write, or its tombstone is seen here."""
        late = self._state.tombstones.caught(self._source, [p.doc for p in written])
        if late:
            self._remove_gone({p.doc.doc_id for p in written if p.doc.source_uri in late}, SyncReport(self._source))

    def _embed(self, texts: list[str]) -> list[list[float]]:
        if self._pace is None:
            return self._embedder.embed_batch(texts) if texts else []
        vectors: list[list[float]] = []
        while len(vectors) < len(texts):
            size = max(1, self._pace())
            vectors.extend(self._embedder.embed_batch(texts[len(vectors) : len(vectors) + size]))
        return vectors
