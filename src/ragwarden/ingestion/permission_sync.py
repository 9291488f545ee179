"""The permission-only pass, and the index writes both sync passes are made of.

:class:`PermissionSync` re-reads every ACL without content (:meth:`PermissionSync.sync_acls`): changed ACLs are
re-stamped on the indexed chunks in place, and documents that vanished or whose ACL can no longer be read
leave the index. :class:`~ragwarden.ingestion.sync.SyncEngine` adds the content sync on top and shares the rest:
recovery from a crashed pass, admission of an ACL, a failed item, a re-stamp, a removal. Every change to the
index is announced in the checkpoint first (``begin_writes``), so what a crash interrupts is re-indexed afresh
by the next pass.

Every ACL, in both passes and unchanged documents included (the directories may have changed), is
first admitted against what the configured resolvers can emit (:func:`ragwarden.acl.principals.admit`):
a deny naming a principal no caller can hold fails the document; allow entries naming one are left
out and counted in the report.

Permission changes go out as they are found, not when the pass ends: a batch is written once
``batch_chunks`` have gathered or once the oldest has waited ``flush_seconds`` (:class:`Held`). A pass over a
large share is long next to its period (20-40 s over 10 000 SMB files), passes run start to start, and each
file is read at about the same moment of every pass: so a revocation reaches search within the period (or the
pass, if longer) plus ``flush_seconds``, not the period plus the pass. Both index adapters make a re-stamp
visible to search when the call returns; folding fresh points into HNSW (``settle``) is about speed only and
still waits for the end.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from ragwarden.acl.principals import Emittable, UnresolvablePrincipalError, admit
from ragwarden.core.models import AccessControl, FailedItem
from ragwarden.core.ports import AclItem, Connector, VectorIndex
from ragwarden.ingestion.state import DocumentState, StateStore
from ragwarden.ingestion.sync_report import SyncReport

log = logging.getLogger(__name__)

# How long a permission change found by a pass may wait for others to share its index write.
FLUSH_SECONDS = 1.0


class Held:
    """When changes held back for one write must go out: once ``limit`` have gathered, or once the oldest
    has waited ``seconds``. Asked after every item of a scan, so the wait is bounded by ``seconds`` plus
    one item (a connector's items come milliseconds apart; a batch still groups a mass change)."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit, self._seconds, self._clock = limit, seconds, clock
        self._since: float | None = None

    def due(self, count: int) -> bool:
        """``count`` changes are held now: must they go out? When told yes, the caller writes them all."""
        if count <= 0:
            self._since = None
            return False
        now = self._clock()
        if self._since is None:
            self._since = now
        if count >= self._limit or now - self._since >= self._seconds:
            self._since = None
            return True
        return False


class PermissionSync:
    """The permission-only pass over one index and its checkpoint (``state``)."""

    def __init__(
        self,
        index: VectorIndex,
        state: StateStore,
        *,
        batch_chunks: int,
        settle: Callable[[], None] | None,
        principals: Emittable | None,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self._index = index
        self._state = state
        self._batch_chunks = batch_chunks
        self._flush_seconds = flush_seconds
        # How fresh points get folded in: now (one-off runs), or when a server is idle (it passes its own).
        self._settle_now = settle or index.settle
        self._source = ""  # the source of the pass under way
        # What callers can hold; None (harness only; the composition root always passes it): no check.
        self._principals = principals

    def sync_acls(self, connector: Connector) -> SyncReport:
        """The permission-only pass: re-stamp changed ACLs and remove vanished or unreadable documents,
        without reading content. Documents the index does not hold yet wait for the content sync."""
        started = time.perf_counter()
        report = SyncReport(connector.source)
        report.recovered = self._recover(connector.source)
        known = self._state.documents(connector.source)
        seen: set[str] = set()
        restamps: dict[str, AccessControl] = {}
        other_files: list[str] = []
        held = Held(self._batch_chunks, self._flush_seconds)
        items: Iterable[AclItem | FailedItem] = connector.scan_acls()
        for item in items:
            self._check_acl(connector.source, item, known, seen, restamps, other_files, report)
            if held.due(len(restamps) + len(other_files)):
                self._restamp(restamps, report)
                self._take_out(other_files, report)
        self._restamp(restamps, report)
        self._take_out(other_files, report)
        self._remove_gone(set(known) - seen, report)
        self._settle(report)
        report.seconds = time.perf_counter() - started
        return report

    def _check_acl(
        self,
        source: str,
        item: AclItem | FailedItem,
        known: dict[str, DocumentState],
        seen: set[str],
        restamps: dict[str, AccessControl],
        other_files: list[str],
        report: SyncReport,
    ) -> None:
        """One item of a permission pass: failed, unchanged, to re-stamp, or to take out (into the two)."""
        if isinstance(item, FailedItem):
            self._fail(source, item, report, set(), seen)
            return
        doc_id, raw, version = item if len(item) == 3 else (*item, "")
        previous = known.get(doc_id)
        if previous is None:
            return
        acl = self._admit(source, previous.source_uri, raw, report, set(), seen)
        if acl is None:
            return
        seen.add(doc_id)
        if previous.acl == acl:
            report.unchanged += 1
        elif version and previous.version and version != previous.version:
            other_files.append(doc_id)  # this ACL was decided for bytes the index does not hold
        else:
            restamps[doc_id] = acl

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
            doc_ids.clear()

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
