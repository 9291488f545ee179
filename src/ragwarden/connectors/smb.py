"""The SMB file-share connector: files on ``\\\\server\\share\\root`` with ACLs from their NTFS security descriptors.

Each file's descriptor (owner, group, DACL, and what says whether a central access policy or an integrity
label applies) is read over SMB in one compound round trip and mapped by
:mod:`ragwarden.connectors.ntfs_acl`; files whose access cannot be mapped safely
(:mod:`ragwarden.connectors.smb_policy`) are failed items, never documents.

Share permissions are configuration, and must be said: ``share_allow`` lists the SIDs the share's
permission admits (they become ``acl_share``, which the access filter intersects with the NTFS allow set),
or ``["everyone"]``; see :mod:`ragwarden.connectors.smb_policy`.

Content and ACL describe the same file: the scan remembers each file's id, last-write time and size, and
:meth:`SmbConnector.read` takes the bytes and the descriptor through one open handle and fails the file for
this run if the file, its content or its ACL is not what the scan saw (:mod:`ragwarden.connectors.smb_io`).

Change detection: the scan does not read content; a file's ``content_hash`` fingerprints what SMB lists
for it (size, last-write time, file id), so a content change (which moves the last-write time) re-embeds,
an ACL change re-stamps, and a rename or move is a delete plus an add (ids derive from the path).
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ragwarden.connectors import smb_io
from ragwarden.connectors.local_folder import prettify_title
from ragwarden.connectors.ntfs_acl import sd_to_access
from ragwarden.connectors.smb_policy import refuse_beyond_dacl, share_tokens
from ragwarden.core.errors import AccessControlError, ConfigurationError, DocumentTooLargeError, ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.core.paths import outermost_paths

KIND_ACL = "acl"
KIND_TOO_LARGE = "too_large"
KIND_UNREADABLE = "unreadable"
KIND_FOLDER = "folder"
KIND_REPARSE = "reparse_point"  # symbolic links, junctions: not followed
KIND_CHANGED = "changed"  # the file changed between the scan and the read: retried next run


@dataclass(frozen=True, slots=True)
class _Entry:
    rel: str
    unc: str
    size: int
    modified: datetime
    file_id: int


def _secret(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


class SmbConnector:
    """A :class:`~ragwarden.core.ports.Connector` over an SMB share with NTFS permissions."""

    def __init__(
        self,
        server: str,
        share: str,
        root_path: str = "",
        *,
        username: str,
        password: Any,
        port: int = 445,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        max_file_size: int,
        share_allow: Sequence[str] = (),
        source: str | None = None,
        auth_protocol: str = "negotiate",
    ) -> None:
        if not server or not share or "\\" in share or "/" in share:
            raise ConfigurationError(f"invalid SMB server or share: {server!r} {share!r}")
        if max_file_size <= 0:
            raise ConfigurationError("max_file_size must be positive")
        self._server, self._share, self._port = server, share, port
        self._root = "/".join(p for p in root_path.replace("\\", "/").split("/") if p)
        self._username, self._password = username, password
        self._include, self._exclude = tuple(include), tuple(exclude)
        self._max_file_size = max_file_size
        self._share_tokens = share_tokens(share_allow)
        self._share_allow = tuple(share_allow)
        self._source = source or "/".join(p for p in ("smb", server, share, self._root) if p)
        if ":" in self._source:
            raise ConfigurationError(f"invalid connector source name {self._source!r}")
        self._auth_protocol = auth_protocol
        self._cache: dict[str, Any] = {}  # this connector's own SMB connections (credentials isolated)
        self._registered = False

    @property
    def source(self) -> str:
        return self._source

    @property
    def share_allow(self) -> tuple[str, ...]:
        """What the configuration said the share's permissions admit (recorded with the source)."""
        return self._share_allow

    def doc_id(self, rel_path: str) -> str:
        return hashlib.sha256(f"{self._source}:{rel_path}".encode()).hexdigest()[:32]

    def uri(self, rel_path: str) -> str:
        path = "/".join(p for p in (self._share, self._root, rel_path) if p)
        return f"smb://{self._server}/{quote(path)}"

    # -- the port ------------------------------------------------------------------------------------

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        return self._documents(self._walk())

    def scan_within(self, paths: Sequence[str]) -> Iterator[SourceDocument | FailedItem]:
        """What :meth:`scan` yields for these root-relative paths only (a folder: everything below it),
        for the paths a change notification names: on a share of many files, a notified change costs a
        listing of what changed, not of the whole share. A path that no longer exists yields nothing;
        a path below a reparse point yields a failed item, as the full walk never goes there."""
        return self._documents(self._walk(outermost_paths(paths)))

    def _documents(self, entries: Iterator[_Entry | FailedItem]) -> Iterator[SourceDocument | FailedItem]:
        for entry in entries:
            if isinstance(entry, FailedItem):
                yield entry
                continue
            read = self._acl(entry)
            yield read if isinstance(read, FailedItem) else self._document(entry, *read)

    def scan_acls(self) -> Iterator[tuple[str, AccessControl, str] | FailedItem]:
        """The permission-only pass: ``(doc_id, acl, version)`` per file, without reading content."""
        for entry in self._walk():
            if isinstance(entry, FailedItem):
                yield entry
                continue
            read = self._acl(entry)
            yield read if isinstance(read, FailedItem) else (self.doc_id(entry.rel), read[0], _version(entry))

    def read(self, document: SourceDocument) -> bytes:
        """The document's bytes, if the file is still the one the scan saw with the ACL it saw; otherwise
        an :class:`ItemError` fails it for this run (the next scan sees the file as it is then)."""
        if document.source != self._source:
            raise ItemError(f"document {document.doc_id} belongs to source {document.source!r}")
        self._connect()
        try:
            snapshot = smb_io.read_snapshot(self._unc(document.path), self._max_file_size + 1, **self._kwargs())
        except Exception as exc:  # noqa: BLE001 - any SMB failure is this item's failure
            raise ItemError(f"{document.path}: cannot be read: {_why(exc)}") from exc
        changed = self._changed_since_scan(document, snapshot)
        if changed:
            raise ItemError(f"{document.path}: {changed} since the scan; not indexed in this run")
        if len(snapshot.data) > self._max_file_size:
            raise DocumentTooLargeError(f"{document.path}: larger than {self._max_file_size} bytes")
        return snapshot.data

    def _changed_since_scan(self, document: SourceDocument, snapshot: smb_io.Snapshot) -> str:
        """Why the bytes read may not carry ``document.acl`` ("" when they may)."""
        before, after = snapshot.before, snapshot.after
        if before.attributes & smb_io.REPARSE_POINT:
            return "replaced by a reparse point (link or junction)"
        if before.file_id != document.metadata.get("file_id"):
            return "replaced by another file (its file id differs)"
        if (before.last_write, before.size) != (document.modified, document.size):
            return "content changed"
        if (after.file_id, after.last_write, after.size) != (before.file_id, before.last_write, before.size):
            return "content changed while it was read"
        # The raw descriptor, not document.acl: the engine may have narrowed that ACL after the scan.
        scanned = document.metadata.get("descriptor_sha256")
        return "" if hashlib.sha256(snapshot.descriptor).hexdigest() == scanned else "ACL changed"

    def open_root(self, connection_cache: dict[str, Any], *, timeout: float = 60.0) -> Any:
        """The root folder, opened for listing on a session in the caller's own ``connection_cache`` (never
        this connector's: the change watcher's long-pending requests must not block scans). Returns the open
        ``smbclient`` directory handle; the caller closes it and resets its cache."""
        from smbclient._io import SMBDirectoryIO

        self._register(connection_cache, connection_timeout=timeout)
        handle = SMBDirectoryIO(
            self._unc(""), mode="r", share_access="rwd", connection_cache=connection_cache, port=self._port
        )
        handle.open()
        return handle

    def close(self) -> None:
        from smbclient import reset_connection_cache

        reset_connection_cache(connection_cache=self._cache)
        self._registered = False

    # -- SMB -----------------------------------------------------------------------------------------

    def _kwargs(self) -> dict[str, Any]:
        return {"connection_cache": self._cache, "port": self._port}

    def _register(self, connection_cache: dict[str, Any], **options: Any) -> None:
        """A session with this connector's credentials in ``connection_cache``."""
        import smbclient

        smbclient.register_session(
            self._server,
            username=self._username,
            password=_secret(self._password),
            port=self._port,
            auth_protocol=self._auth_protocol,
            connection_cache=connection_cache,
            **options,
        )

    def _connect(self) -> None:
        if self._registered:
            return
        try:
            self._register(self._cache)
        except Exception as exc:  # noqa: BLE001 - a bad server or credentials stop the whole run
            raise ConfigurationError(f"cannot connect to \\\\{self._server}\\{self._share}: {_why(exc)}") from exc
        self._registered = True

    def _unc(self, rel: str) -> str:
        parts = [p for p in (self._root, rel) if p]
        tail = "\\".join(parts).replace("/", "\\")
        return f"\\\\{self._server}\\{self._share}" + (f"\\{tail}" if tail else "")

    def _walk(self, roots: Sequence[str] | None = None) -> Iterator[_Entry | FailedItem]:
        """Every file below the root, or below ``roots`` (root-relative paths of files or folders)."""
        import smbclient

        self._connect()
        try:
            smbclient.stat(self._unc(""), **self._kwargs())
        except Exception as exc:  # noqa: BLE001 - an empty scan would read as "everything was deleted"
            raise ConfigurationError(f"{self.uri('')} cannot be opened: {_why(exc)}") from exc
        pending = [""] if roots is None else []
        plain: set[str] = set()  # folders found not to be links, checked once for all roots
        for rel in roots or ():
            below: list[str] = []
            yield from self._named(rel, below, plain)
            pending.extend(reversed(below))
        while pending:
            folder = pending.pop()
            try:
                entries = sorted(smbclient.scandir(self._unc(folder), **self._kwargs()), key=lambda e: e.name)
            except Exception as exc:  # noqa: BLE001
                yield FailedItem(self.uri(folder), f"cannot list folder: {_why(exc)}", KIND_FOLDER)
                continue
            subfolders: list[str] = []
            for entry in entries:
                rel = f"{folder}/{entry.name}" if folder else entry.name
                item = self._entry(entry, rel, subfolders)
                if item is not None:
                    yield item
            pending.extend(reversed(subfolders))

    def _named(self, rel: str, subfolders: list[str], plain: set[str]) -> Iterator[_Entry | FailedItem]:
        """The file or folder at ``rel``, listed as the walk lists it (a folder goes to ``subfolders``);
        ``plain`` holds the folders already found not to be reparse points."""
        import smbclient

        parent, _, name = rel.rpartition("/")
        try:
            for ancestor in _ancestors(parent):  # the full walk never enters a link or junction
                if ancestor in plain:
                    continue
                if smbclient.lstat(self._unc(ancestor), **self._kwargs()).st_file_attributes & smb_io.REPARSE_POINT:
                    yield FailedItem(
                        self.uri(rel), "below a reparse point (link or junction); not followed", KIND_REPARSE
                    )
                    return
                plain.add(ancestor)
            # The name as the search pattern: the same listing, with the same fields, as the full walk's.
            found = [e for e in smbclient.scandir(self._unc(parent), search_pattern=name, **self._kwargs())]
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == errno.ENOENT:
                return  # gone (with its folder): the engine removes what it had there
            yield FailedItem(self.uri(rel), f"cannot list: {_why(exc)}", KIND_FOLDER)
            return
        for entry in found:
            if entry.name.casefold() == name.casefold():
                item = self._entry(entry, f"{parent}/{entry.name}" if parent else entry.name, subfolders)
                if item is not None:
                    yield item

    def _entry(self, entry: Any, rel: str, subfolders: list[str]) -> _Entry | FailedItem | None:
        info = entry.smb_info
        if info.file_attributes & smb_io.REPARSE_POINT:
            return FailedItem(self.uri(rel), "reparse point (link or junction) not followed", KIND_REPARSE)
        if entry.is_dir():
            subfolders.append(rel)
            return None
        if not self._selected(rel):
            return None
        if info.end_of_file > self._max_file_size:
            return FailedItem(
                self.uri(rel), f"too large: {info.end_of_file} bytes (limit {self._max_file_size})", KIND_TOO_LARGE
            )
        return _Entry(rel, self._unc(rel), info.end_of_file, info.last_write_time, info.file_id)

    def _selected(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]

        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)

        if self._include and not matches(self._include):
            return False
        return not matches(self._exclude)

    def _acl(self, entry: _Entry) -> tuple[AccessControl, bytes] | FailedItem:
        """The file's document ACL and the descriptor it comes from, or why it has none."""
        try:
            descriptor, file_id = smb_io.security_descriptor(entry.unc, **self._kwargs())
        except Exception as exc:  # noqa: BLE001 - cannot read the ACL: fail closed for this file
            return FailedItem(self.uri(entry.rel), f"cannot read the security descriptor: {_why(exc)}", KIND_ACL)
        if file_id != entry.file_id:  # the path names another file than the one listed
            return FailedItem(self.uri(entry.rel), "replaced while it was scanned", KIND_CHANGED)
        try:
            refuse_beyond_dacl(descriptor)
            return sd_to_access(descriptor, self._share_tokens), descriptor
        except AccessControlError as exc:
            return FailedItem(self.uri(entry.rel), f"ACL not indexed: {exc}", KIND_ACL)

    def _document(self, entry: _Entry, acl: AccessControl, descriptor: bytes) -> SourceDocument:
        fingerprint = _version(entry)
        name = entry.rel.rsplit("/", 1)[-1]
        stem, dot, suffix = name.rpartition(".")
        parts = entry.rel.split("/")
        return SourceDocument(
            doc_id=self.doc_id(entry.rel),
            source=self._source,
            source_uri=self.uri(entry.rel),
            title=prettify_title(stem if dot else name) or name,
            acl=acl,
            content_hash=hashlib.sha256(fingerprint.encode()).hexdigest(),
            version=fingerprint,
            modified=entry.modified,
            size=entry.size,
            file_type=suffix.lower() if dot else "",
            path=entry.rel,
            # read() checks that its bytes come from this very file, still with this descriptor
            metadata={
                "file_id": entry.file_id,
                "descriptor_sha256": hashlib.sha256(descriptor).hexdigest(),
                **({"department": parts[0]} if len(parts) > 1 else {}),
            },
        )


def _why(exc: BaseException) -> str:
    """A short reason without credentials (smbprotocol messages carry paths and NT status only)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _ancestors(folder: str) -> list[str]:
    parts = folder.split("/") if folder else []
    return ["/".join(parts[: n + 1]) for n in range(len(parts))]


def _version(entry: _Entry) -> str:
    """Which file, in which state: its id, size and last write, from the listing alone."""
    return f"{entry.size}:{entry.modified.isoformat()}:{entry.file_id}"
