"""The local folder connector: files under a root folder, each with an ACL from a JSON sidecar.

    hr/gehalt.pdf            the document
    hr/gehalt.pdf.acl.json   its own ACL: {"allow": ["group:hr"], "deny": ["user:bob"]}  (optional "share")
    hr/.acl.json             the ACL of every file in hr/ (and below) without its own sidecar

A file takes its own sidecar, else the nearest ``.acl.json`` in its folder or a parent folder up to the
root (never above it). Fail closed: a file with no ACL, or whose deciding sidecar cannot be read or is not
understood, is not a document but a :class:`FailedItem` with the reason; an invalid folder ACL fails every
file that would inherit it instead of falling through to a grandparent's, possibly wider, ACL.

No symbolic link is followed, inside the root or out of it: a link's own sidecar could grant wider access
than its target's (and a link out of the root would let anyone who can write here read anything the
service can). Links are reported as failed items; targets inside the root are indexed at their own path.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ragwarden.acl import tokens
from ragwarden.core.errors import (
    AccessControlError,
    ConfigurationError,
    DocumentTooLargeError,
    InvalidRequestError,
    ItemError,
)
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument

SIDECAR_SUFFIX = ".acl.json"
FOLDER_ACL = ".acl.json"
MAX_SIDECAR_BYTES = 1024 * 1024

# FailedItem.kind values this connector reports.
KIND_ACL = "acl"  # no ACL, or the deciding sidecar is invalid: never indexed
KIND_TOO_LARGE = "too_large"
KIND_UNREADABLE = "unreadable"  # the file (or its metadata) cannot be read
KIND_SYMLINK = "symlink"
KIND_SPECIAL = "special_file"  # fifo, socket, device: reading could block or never end
KIND_FOLDER = "folder"  # a folder that cannot be listed: nothing below it is reported as a document

_ACL_KEYS = frozenset({"allow", "deny", "share"})


@dataclass(frozen=True, slots=True)
class _AclSource:
    """The ACL that applies at some place, where it came from, or why there is none."""

    acl: AccessControl | None
    origin: str | None  # root-relative path of the deciding sidecar
    error: str | None


_NO_ACL = _AclSource(None, None, "no ACL: no sidecar and no .acl.json in any parent folder")


@dataclass(frozen=True, slots=True)
class _Candidate:
    path: Path
    rel: str
    info: os.stat_result
    acl: AccessControl


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

    def scan_acls(self) -> Iterator[tuple[str, AccessControl] | FailedItem]:
        """The permission-only pass: ``(doc_id, acl)`` per document that :meth:`scan` would yield,
        from sidecars and file metadata alone, without reading any content."""
        for item in self._candidates():
            yield item if isinstance(item, FailedItem) else (self.doc_id(item.rel), item.acl)

    def read(self, document: SourceDocument) -> bytes:
        """The document's bytes; raises :class:`ItemError` if it is gone, unreadable or now too large."""
        if document.source != self._source:
            raise ItemError(f"document {document.doc_id} belongs to source {document.source!r}")
        path = self._root / document.path
        if path.is_symlink() or not _is_within(path.resolve(), self._root):
            raise ItemError(f"{document.path}: not a regular file inside {self._root}")
        try:
            with _open_regular(path) as handle:
                data = handle.read(self._max_file_size + 1)
        except OSError as exc:
            raise ItemError(f"{document.path}: cannot be read: {exc.strerror or exc}") from exc
        if len(data) > self._max_file_size:
            raise DocumentTooLargeError(f"{document.path}: larger than {self._max_file_size} bytes")
        return data

    # -- the walk ------------------------------------------------------------------------------------

    def _candidates(self) -> Iterator[_Candidate | FailedItem]:
        """Files with their effective ACL; folder ACLs are parsed once per folder per scan."""
        if not self._root.is_dir():
            raise ConfigurationError(f"the folder {self._root} no longer exists or is not a folder")
        pending: list[tuple[Path, _AclSource]] = [(self._root, _NO_ACL)]
        while pending:
            folder, inherited = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as exc:
                yield FailedItem(folder.as_uri(), f"cannot list folder: {exc.strerror or exc}", KIND_FOLDER)
                continue
            names = {e.name for e in entries}
            here = self._sidecar_acl(folder / FOLDER_ACL) if FOLDER_ACL in names else inherited
            subfolders: list[Path] = []
            for entry in entries:
                if self._skipped(entry.name):
                    continue
                path = Path(entry.path)
                if entry.is_symlink():
                    yield self._symlink_failure(path)
                elif entry.is_dir(follow_symlinks=False):
                    subfolders.append(path)
                else:
                    yield self._candidate(path, names, here)
            pending.extend((sub, here) for sub in reversed(subfolders))

    def _skipped(self, name: str) -> bool:
        """Sidecars are never documents; hidden names only on request."""
        if name.endswith(SIDECAR_SUFFIX):
            return True
        return name.startswith(".") and not self._include_hidden

    def _candidate(self, path: Path, names: set[str], folder_acl: _AclSource) -> _Candidate | FailedItem:
        uri = path.as_uri()
        rel = path.relative_to(self._root).as_posix()
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            return FailedItem(uri, "file name is not valid UTF-8", KIND_UNREADABLE)
        sidecar = path.name + SIDECAR_SUFFIX
        source = self._sidecar_acl(path.with_name(sidecar)) if sidecar in names else folder_acl
        if source.acl is None:
            return FailedItem(uri, source.error or "no ACL", KIND_ACL)
        try:
            info = path.stat(follow_symlinks=False)
        except OSError as exc:
            return FailedItem(uri, f"cannot read file metadata: {exc.strerror or exc}", KIND_UNREADABLE)
        if not stat.S_ISREG(info.st_mode):
            return FailedItem(uri, "not a regular file (fifo, socket or device)", KIND_SPECIAL)
        if info.st_size > self._max_file_size:
            return FailedItem(
                uri, f"too large: {info.st_size} bytes (limit {self._max_file_size})", KIND_TOO_LARGE
            )
        return _Candidate(path, rel, info, source.acl)

    def _sidecar_acl(self, sidecar: Path) -> _AclSource:
        rel = sidecar.relative_to(self._root).as_posix()
        try:
            return _AclSource(_load_sidecar(sidecar), rel, None)
        except AccessControlError as exc:
            return _AclSource(None, rel, f"invalid ACL sidecar {rel}: {exc}")

    def _symlink_failure(self, path: Path) -> FailedItem:
        try:
            inside = _is_within(path.resolve(), self._root)
        except (OSError, RuntimeError):  # a link loop
            inside = False
        where = "inside the root; its target is indexed at its own path" if inside else "outside the root"
        return FailedItem(path.as_uri(), f"symbolic link not followed (points {where})", KIND_SYMLINK)

    def _document(self, item: _Candidate) -> SourceDocument | FailedItem:
        uri = item.path.as_uri()
        try:
            content_hash, size = _hash_file(item.path, self._max_file_size)
        except OSError as exc:
            return FailedItem(uri, f"cannot be read: {exc.strerror or exc}", KIND_UNREADABLE)
        except DocumentTooLargeError as exc:  # grew since it was listed
            return FailedItem(uri, f"too large: {exc}", KIND_TOO_LARGE)
        parts = item.rel.split("/")
        return SourceDocument(
            doc_id=self.doc_id(item.rel),
            source=self._source,
            source_uri=uri,
            title=prettify_title(item.path.stem) or item.path.name,
            acl=item.acl,
            content_hash=content_hash,
            modified=datetime.fromtimestamp(item.info.st_mtime, tz=UTC),
            size=size,
            file_type=item.path.suffix.lstrip(".").lower(),
            path=item.rel,
            metadata={"department": parts[0]} if len(parts) > 1 else {},
        )


def explain_acl_source(root: Path | str, file: Path | str) -> Path | None:
    """The sidecar that decides ``file``'s ACL (its own, else the nearest folder ``.acl.json`` up to
    ``root``), whether or not it is valid; ``None`` if there is none and the file is not indexed."""
    root = Path(root).resolve()
    path = Path(file) if Path(file).is_absolute() else root / file
    path = path.parent.resolve() / path.name  # resolve folders, keep a linked file's own name
    if not _is_within(path, root) or path == root:
        raise InvalidRequestError(f"{file} is not a file inside {root}")
    own = path.with_name(path.name + SIDECAR_SUFFIX)
    if os.path.lexists(own):
        return own
    folder = path.parent
    while True:
        if os.path.lexists(folder / FOLDER_ACL):
            return folder / FOLDER_ACL
        if folder == root:
            return None
        folder = folder.parent


def prettify_title(stem: str) -> str:
    """``gehalt_baender-2024`` → ``Gehalt baender 2024``: separators to spaces, first letter up."""
    words = stem.replace("_", " ").replace("-", " ").split()
    title = " ".join(words)
    if title and title == title.lower():
        title = title[0].upper() + title[1:]
    return title


def parse_acl(data: Any) -> AccessControl:
    """An ACL from a sidecar's parsed JSON; anything not understood raises :class:`AccessControlError`."""
    if not isinstance(data, Mapping):
        raise AccessControlError("expected a JSON object with 'allow' (and optional 'deny', 'share')")
    unknown = sorted(str(k) for k in data if k not in _ACL_KEYS)
    if unknown:
        raise AccessControlError(f"unknown keys {unknown} (allowed: allow, deny, share)")
    if "allow" not in data:
        raise AccessControlError("missing 'allow'")
    lists: dict[str, frozenset[str]] = {}
    for key in _ACL_KEYS:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise AccessControlError(f"'{key}' must be a list of tokens, got {type(value).__name__}")
        lists[key] = tokens.parse_all(value)
    return AccessControl(allow=lists["allow"], deny=lists["deny"], share=lists["share"])


def _load_sidecar(sidecar: Path) -> AccessControl:
    if sidecar.is_symlink():
        raise AccessControlError("is a symbolic link (not followed)")
    try:
        with _open_regular(sidecar) as handle:
            raw = handle.read(MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        raise AccessControlError(f"cannot be read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_SIDECAR_BYTES:
        raise AccessControlError(f"larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise AccessControlError(f"not valid JSON: {exc}") from exc
    return parse_acl(data)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of duplicate keys; two "allow" lists are ambiguous, so refuse them.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _hash_file(path: Path, limit: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with _open_regular(path) as handle:
        while block := handle.read(1 << 20):
            size += len(block)
            if size > limit:
                raise DocumentTooLargeError(f"{size}+ bytes (limit {limit})")
            digest.update(block)
    return digest.hexdigest(), size


def _open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading without following a link or blocking on a fifo that was
    swapped in after the folder was listed."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _existing_folder(root: Path) -> Path:
    resolved = root.expanduser().resolve()
    if not resolved.is_dir():
        raise ConfigurationError(f"the folder to ingest, {root}, does not exist or is not a folder")
    return resolved


def _is_within(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)
