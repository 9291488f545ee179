"""An in-memory connector for tests of the layers above connectors (sync engine, services, API).

It fulfils the same contract as the real connectors (:class:`ragwarden.testing.contracts.connector.
ConnectorContract`), but it is a fake: a test that claims a real connector works uses the real one.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence, Set
from urllib.parse import quote

from ragwarden.core.errors import ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument

KIND_ACL = "acl"
KIND_UNREADABLE = "unreadable"


class MemoryConnector:
    """Documents from a dict ``path -> (bytes, AccessControl)``, read live: a test may change the dict
    between scans (and between a scan and a read, which then fails as a changed file does).

    ``broken`` maps paths to a reason: those files' ACLs cannot be read (a failed item in both passes).
    ``unreadable`` names paths whose content cannot be read (a failed item in :meth:`scan`, an
    :class:`ItemError` from :meth:`read`), while :meth:`scan_acls`, which reads no content, still yields them.
    Both are read live too. Documents have no :attr:`~SourceDocument.version` (the fake cannot tell a
    replaced file from a rewritten one), so :meth:`scan_acls` yields ``(doc_id, acl)`` pairs.
    """

    def __init__(
        self,
        documents: Mapping[str, tuple[bytes, AccessControl]],
        *,
        source: str = "memory",
        broken: Mapping[str, str] | None = None,
        unreadable: Set[str] = frozenset(),
    ) -> None:
        self._documents = documents
        self._source = source
        self._broken: Mapping[str, str] = broken if broken is not None else {}
        self._unreadable = unreadable
        self.reads = 0  # how many times read() returned content

    @property
    def source(self) -> str:
        return self._source

    def doc_id(self, path: str) -> str:
        return hashlib.sha256(f"{self._source}:{path}".encode()).hexdigest()[:32]

    def uri(self, path: str) -> str:
        return f"memory://{quote(self._source)}/{quote(path)}"

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        for path in sorted(self._documents):
            if path in self._broken:
                yield FailedItem(self.uri(path), self._broken[path], KIND_ACL)
            elif path in self._unreadable:
                yield FailedItem(self.uri(path), "content cannot be read", KIND_UNREADABLE)
            else:
                yield self._document(path)

    def scan_acls(self) -> Iterator[tuple[str, AccessControl] | FailedItem]:
        for path in sorted(self._documents):
            if path in self._broken:
                yield FailedItem(self.uri(path), self._broken[path], KIND_ACL)
            else:
                yield self.doc_id(path), self._documents[path][1]

    def read(self, document: SourceDocument) -> bytes:
        if document.source != self._source:
            raise ItemError(f"document {document.doc_id} belongs to source {document.source!r}")
        found = self._documents.get(document.path)
        if found is None or document.path in self._broken:
            raise ItemError(f"{document.path}: no longer there")
        if document.path in self._unreadable:
            raise ItemError(f"{document.path}: content cannot be read")
        if hashlib.sha256(found[0]).hexdigest() != document.content_hash:
            raise ItemError(f"{document.path}: changed since the scan; read again at the next sync")
        self.reads += 1
        return found[0]

    def _document(self, path: str) -> SourceDocument:
        content, acl = self._documents[path]
        name = path.rsplit("/", 1)[-1]
        stem, dot, suffix = name.rpartition(".")
        return SourceDocument(
            doc_id=self.doc_id(path),
            source=self._source,
            source_uri=self.uri(path),
            title=stem if dot else name,
            acl=acl,
            content_hash=hashlib.sha256(content).hexdigest(),
            size=len(content),
            file_type=suffix.lower() if dot else "",
            path=path,
        )


class MemoryWorld:
    """A :class:`~ragwarden.testing.contracts.connector.ConnectorWorld` over a :class:`MemoryConnector`."""

    principals: Sequence[str] = ("user:alice", "group:hr", "group:finance")

    def __init__(self, source: str = "memory") -> None:
        self.source = source
        self.documents: dict[str, tuple[bytes, AccessControl]] = {}
        self.broken: dict[str, str] = {}
        self.unreadable: set[str] = set()

    def create(self, path: str, content: bytes, acl: AccessControl) -> None:
        if path in self.documents:
            raise FileExistsError(path)
        self.documents[path] = (content, acl)

    def rewrite(self, path: str, content: bytes) -> None:
        self.documents[path] = (content, self.documents[path][1])

    def set_acl(self, path: str, acl: AccessControl) -> None:
        self.documents[path] = (self.documents[path][0], acl)

    def delete(self, path: str) -> None:
        del self.documents[path]
        self.broken.pop(path, None)

    def create_unindexable(self, path: str) -> None:
        self.create(path, b"no ACL can be read for this", AccessControl(frozenset({"user:nobody"})))
        self.broken[path] = "ACL cannot be read (simulated)"

    def reported_acl(self, acl: AccessControl) -> AccessControl:
        return acl

    def connector(self) -> MemoryConnector:
        return MemoryConnector(self.documents, source=self.source, broken=self.broken, unreadable=self.unreadable)

    @contextlib.contextmanager
    def content_unreadable(self) -> Iterator[None]:
        before = set(self.unreadable)
        self.unreadable.update(self.documents)
        try:
            yield
        finally:
            self.unreadable.intersection_update(before)
