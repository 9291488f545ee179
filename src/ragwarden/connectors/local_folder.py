"""The local folder connector: files under a root folder, each with an ACL from a JSON sidecar.

    hr/gehalt.pdf            the document
    hr/gehalt.pdf.acl.json   its own ACL: {"allow": ["group:hr"], "deny": ["user:bob"]}  (optional "share")
    hr/.acl.json             the ACL of every file in hr/ (and below) without its own sidecar

A file takes its own sidecar, else the nearest ``.acl.json`` in its folder or a parent folder up to the
root (never above it); how sidecars are matched to names and compose down the tree (a sidecar replaces the
inherited allow list but keeps the inherited denies and share restriction) is in
:mod:`ragwarden.connectors.sidecars`. Fail closed: a file with no ACL, or whose deciding sidecar cannot be
read or is not understood, is not a document but a :class:`FailedItem` with the reason.

No symbolic link is followed, in any path component, inside the root or out of it: the walk opens every
folder and file relative to its parent's handle (:mod:`ragwarden.connectors.beneath`), so a folder swapped
for a link while the lazy scan is under way cannot bring another folder's bytes under this one's ACL. Links
are reported as failed items; targets inside the root are indexed at their own path. :meth:`read` opens the
same way, checks that it reached the very file the scan hashed (device and inode) and that the bytes hash
as they did when the ACL was decided; otherwise that document fails for this run.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ragwarden.connectors import sidecars
from ragwarden.connectors.beneath import FileId, hash_handle, open_beneath, open_file_at, read_all
from ragwarden.connectors.folder_walk import (
    KIND_FOLDER,
    KIND_ORPHAN_SIDECAR,
    KIND_SYMLINK,
    Entry,
    Frame,
    walk,
)
from ragwarden.connectors.sidecars import FOLDER_ACL, SIDECAR_SUFFIX, parse_acl
from ragwarden.core.errors import ConfigurationError, DocumentTooLargeError, InvalidRequestError, ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument

# FailedItem.kind values this connector reports (and KIND_SYMLINK, KIND_FOLDER, KIND_ORPHAN_SIDECAR).
KIND_ACL = "acl"  # no ACL, or the deciding sidecar is invalid or ambiguous: never indexed
KIND_TOO_LARGE = "too_large"
KIND_UNREADABLE = "unreadable"  # the file (or its metadata) cannot be read
KIND_SPECIAL = "special_file"  # fifo, socket, device: reading could block or never end

__all__ = [
    "FOLDER_ACL", "KIND_ACL", "KIND_FOLDER", "KIND_ORPHAN_SIDECAR", "KIND_SPECIAL", "KIND_SYMLINK", "KIND_TOO_LARGE",
    "KIND_UNREADABLE", "SIDECAR_SUFFIX", "LocalFolderConnector", "explain_acl_source", "parse_acl", "prettify_title",
]

# Scanned file identities kept for read(): the engine reads each changed document right after the scan
# yields it, so a bound this large is never reached by it; a document it forgot fails closed.
_REMEMBERED = 65_536


@dataclass(frozen=True, slots=True)
class _Candidate:
    folder: Frame
    name: str
    rel: str
    acl: AccessControl
    info: os.stat_result  # from the listing, not following links


def file_version(info: os.stat_result) -> str:
    """Which file, in which state, from its metadata alone (:attr:`SourceDocument.version`)."""
    return f"{info.st_dev}:{info.st_ino}:{info.st_mtime_ns}:{info.st_size}"


class LocalFolderConnector:
    """A :class:`~ragwarden.core.ports.Connector` over a folder tree with ACL sidecars."""

    def __init__(
        self, root: Path | str, *, source: str = "local", max_file_size: int, include_hidden: bool = False
    ) -> None:
        if not source or ":" in source:
            raise ConfigurationError(f"invalid connector source name {source!r}")
        if max_file_size <= 0:
            raise ConfigurationError("max_file_size must be positive")
        self._root = _existing_folder(Path(root))
        self._source = source
        self._max_file_size = max_file_size
        self._include_hidden = include_hidden
        self._scanned: OrderedDict[str, tuple[str, FileId]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def source(self) -> str:
        return self._source

    @property
    def root(self) -> Path:
        return self._root

    def doc_id(self, rel_path: str) -> str:
        """Deterministic, URL-safe id of the file at ``rel_path`` (root-relative, POSIX separators)."""
        return hashlib.sha256(f"{self._source}:{rel_path}".encode()).hexdigest()[:32]

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        """Every file in sorted depth-first order, as a document with ACL and content hash, or a failure.

        Raises :class:`ConfigurationError` if the root itself is gone: an empty scan would read as
        "everything was deleted".
        """
        for item in self._candidates():
            yield item if isinstance(item, FailedItem) else self._document(item)

    def scan_acls(self) -> Iterator[tuple[str, AccessControl, str] | FailedItem]:
        """The permission-only pass: ``(doc_id, acl, version)`` per document that :meth:`scan` would
        yield, from sidecars and file metadata alone, without reading any content."""
        for item in self._candidates():
            yield item if isinstance(item, FailedItem) else (self.doc_id(item.rel), item.acl, file_version(item.info))

    def read(self, document: SourceDocument) -> bytes:
        """The bytes the scan hashed and decided the ACL for; raises :class:`ItemError` if the file is gone,
        unreadable, now too large, reached through a link, or not the file or the bytes the scan saw."""
        if document.source != self._source:
            raise ItemError(f"document {document.doc_id} belongs to source {document.source!r}")
        with self._lock:
            scanned = self._scanned.get(document.doc_id)
        if scanned is None or scanned[0] != document.path:
            raise ItemError(f"{document.path}: not a file this connector's scan yielded; not read")
        data = self._read_checked(document.path, scanned[1])
        if len(data) > self._max_file_size:
            raise DocumentTooLargeError(f"{document.path}: larger than {self._max_file_size} bytes")
        if hashlib.sha256(data).hexdigest() != document.content_hash:
            raise ItemError(f"{document.path}: changed since the scan decided its ACL; read again at the next sync")
        return data

    def _read_checked(self, rel: str, expected: FileId) -> bytes:
        try:
            root_fd = _open_root(self._root)
            try:
                fd = open_beneath(root_fd, rel)
            finally:
                os.close(root_fd)
            try:
                if FileId.of(os.fstat(fd)) != expected:
                    raise ItemError(f"{rel}: replaced by another file since the scan decided its ACL")
                return read_all(fd, self._max_file_size)
            finally:
                os.close(fd)
        except OSError as exc:
            linked = exc.errno in (errno.ELOOP, errno.ENOTDIR)  # O_NOFOLLOW|O_DIRECTORY on a link: ENOTDIR
            why = "a symbolic link or non-folder in its path (not followed)" if linked else exc.strerror or exc
            raise ItemError(f"{rel}: cannot be read: {why}") from exc

    # -- the walk ------------------------------------------------------------------------------------

    def _candidates(self) -> Iterator[_Candidate | FailedItem]:
        """Files with their effective ACL; folder ACLs are parsed once per folder per scan."""
        try:
            root_fd = _open_root(self._root)
        except OSError as exc:
            raise ConfigurationError(f"the folder {self._root} no longer exists or is not a folder") from exc
        for frame, item in walk(root_fd, self._root, self._include_hidden):
            if isinstance(item, FailedItem):
                yield item
            else:
                yield self._candidate(frame, item)

    def _candidate(self, folder: Frame, entry: Entry) -> _Candidate | FailedItem:
        rel = folder.join(entry.name)
        uri = (self._root / rel).as_uri()
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            return FailedItem(uri, "file name is not valid UTF-8", KIND_UNREADABLE)
        if entry.is_symlink:
            return self._symlink_failure(self._root / rel)
        source = folder.acl_for(entry.name)
        if source.acl is None:
            return FailedItem(uri, source.error or "no ACL", KIND_ACL)
        if entry.info is None:
            return FailedItem(uri, f"cannot read file metadata: {entry.error}", KIND_UNREADABLE)
        if not stat.S_ISREG(entry.info.st_mode):
            return FailedItem(uri, "not a regular file (fifo, socket or device)", KIND_SPECIAL)
        if entry.info.st_size > self._max_file_size:
            return FailedItem(
                uri, f"too large: {entry.info.st_size} bytes (limit {self._max_file_size})", KIND_TOO_LARGE
            )
        return _Candidate(folder, entry.name, rel, source.acl, entry.info)

    def _symlink_failure(self, path: Path) -> FailedItem:
        try:
            inside = _is_within(path.resolve(), self._root)
        except (OSError, RuntimeError):  # a link loop
            inside = False
        where = "inside the root; its target is indexed at its own path" if inside else "outside the root"
        return FailedItem(path.as_uri(), f"symbolic link not followed (points {where})", KIND_SYMLINK)

    def _document(self, item: _Candidate) -> SourceDocument | FailedItem:
        path = self._root / item.rel
        uri = path.as_uri()
        try:
            fd = open_file_at(item.folder.fd, item.name)
        except OSError as exc:
            kind = KIND_SYMLINK if exc.errno == errno.ELOOP else KIND_UNREADABLE
            return FailedItem(uri, f"cannot be read: {exc.strerror or exc}", kind)
        try:
            info = os.fstat(fd)
            hashed = hash_handle(fd, self._max_file_size)
        except OSError as exc:
            return FailedItem(uri, f"cannot be read: {exc.strerror or exc}", KIND_UNREADABLE)
        finally:
            os.close(fd)
        if hashed is None:  # grew since it was listed
            return FailedItem(uri, f"too large: more than {self._max_file_size} bytes", KIND_TOO_LARGE)
        doc_id = self.doc_id(item.rel)
        self._remember(doc_id, item.rel, FileId.of(info))
        parts = item.rel.split("/")
        return SourceDocument(
            doc_id=doc_id,
            source=self._source,
            source_uri=uri,
            title=prettify_title(path.stem) or path.name,
            acl=item.acl,
            content_hash=hashed[0],
            modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
            size=hashed[1],
            file_type=path.suffix.lstrip(".").lower(),
            path=item.rel,
            metadata={"department": parts[0]} if len(parts) > 1 else {},
            version=file_version(info),
        )

    def _remember(self, doc_id: str, rel: str, file_id: FileId) -> None:
        with self._lock:
            self._scanned[doc_id] = (rel, file_id)
            self._scanned.move_to_end(doc_id)
            while len(self._scanned) > _REMEMBERED:
                self._scanned.popitem(last=False)


def explain_acl_source(root: Path | str, file: Path | str) -> Path | None:
    """The sidecar that decides ``file``'s ACL (its own, else the nearest folder ``.acl.json`` up to
    ``root``), whether or not it is valid; ``None`` if there is none and the file is not indexed."""
    root = Path(root).resolve()
    path = Path(file) if Path(file).is_absolute() else root / file
    path = path.parent.resolve() / path.name  # resolve folders, keep a linked file's own name
    if not _is_within(path, root) or path == root:
        raise InvalidRequestError(f"{file} is not a file inside {root}")
    own = _own_sidecar(path)
    if own is not None:
        return own
    folder = path.parent
    while True:
        if os.path.lexists(folder / FOLDER_ACL):
            return folder / FOLDER_ACL
        if folder == root:
            return None
        folder = folder.parent


def _own_sidecar(path: Path) -> Path | None:
    exact = path.with_name(path.name + SIDECAR_SUFFIX)
    if os.path.lexists(exact):
        return exact
    try:
        names = os.listdir(path.parent)
    except OSError:
        return None
    loose = [n for n in names if sidecars.is_sidecar(n) and sidecars.loose(n) == sidecars.loose(exact.name)]
    return path.with_name(loose[0]) if loose else None  # matched, or ambiguous: it decides (by failing)


def prettify_title(stem: str) -> str:
    """``gehalt_baender-2024`` → ``Gehalt baender 2024``: separators to spaces, first letter up."""
    words = stem.replace("_", " ").replace("-", " ").split()
    title = " ".join(words)
    if title and title == title.lower():
        title = title[0].upper() + title[1:]
    return title


def _open_root(root: Path) -> int:
    # The root itself is the operator's configuration (resolved once); everything below is opened beneath it.
    return os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))


def _existing_folder(root: Path) -> Path:
    resolved = root.expanduser().resolve()
    if not resolved.is_dir():
        raise ConfigurationError(f"the folder to ingest, {root}, does not exist or is not a folder")
    return resolved


def _is_within(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)

