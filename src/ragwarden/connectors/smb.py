"""The SMB file-share connector: files on ``\\\\server\\share\\root`` with ACLs from their NTFS security descriptors.

Each file's descriptor (owner, group, DACL, and what says whether a central access policy or an integrity
label applies) is read over SMB in one compound per file (several sent before waiting) and mapped by
:mod:`ragwarden.connectors.ntfs_acl`; files whose access cannot be mapped safely
(:mod:`ragwarden.connectors.smb_policy`) are failed items, never documents. Which files there are (the
listing, reparse points, include/exclude, the size limit) is the walk's: :mod:`ragwarden.connectors.smb_walk`.

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

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from ragwarden.connectors import smb_io
from ragwarden.connectors.local_folder import prettify_title
from ragwarden.connectors.ntfs_acl import sd_to_access
from ragwarden.connectors.smb_policy import refuse_beyond_dacl, share_tokens
from ragwarden.connectors.smb_walk import ListedFile, ShareWalk, why
from ragwarden.core.errors import AccessControlError, ConfigurationError, DocumentTooLargeError, ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.core.paths import outermost_paths

# FailedItem.kind values this connector reports (and the walk's: KIND_FOLDER, KIND_REPARSE, KIND_TOO_LARGE).
KIND_ACL = "acl"
KIND_UNREADABLE = "unreadable"
KIND_CHANGED = "changed"  # the file changed between the scan and the read: retried next run
# Descriptor queries sent before the first answer is awaited (a pass is a round trip per file otherwise).
PIPELINE = 16

_WithAcl = tuple[ListedFile, AccessControl, bytes]  # a listed file, its document ACL, the descriptor it maps


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
        self._max_file_size = max_file_size
        self._share_tokens = share_tokens(share_allow)
        self._share_allow = tuple(share_allow)
        self._source = source or "/".join(p for p in ("smb", server, share, self._root) if p)
        if ":" in self._source:
            raise ConfigurationError(f"invalid connector source name {self._source!r}")
        self._auth_protocol = auth_protocol
        self._cache: dict[str, Any] = {}  # this connector's own SMB connections (credentials isolated)
        self._registered = False
        self._listing = ShareWalk(
            self._unc,
            self.uri,
            connection_cache=self._cache,
            port=port,
            include=include,
            exclude=exclude,
            max_file_size=max_file_size,
        )

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

    def _documents(self, entries: Iterator[ListedFile | FailedItem]) -> Iterator[SourceDocument | FailedItem]:
        for item in self._with_acls(entries):
            yield item if isinstance(item, FailedItem) else self._document(*item)

    def scan_acls(self) -> Iterator[tuple[str, AccessControl, str] | FailedItem]:
        """The permission-only pass: ``(doc_id, acl, version)`` per file, without reading content."""
        for item in self._with_acls(self._walk()):
            yield item if isinstance(item, FailedItem) else (self.doc_id(item[0].rel), item[1], _version(item[0]))

    def read(self, document: SourceDocument) -> bytes:
        """The document's bytes, if the file is still the one the scan saw with the ACL it saw; otherwise
        an :class:`ItemError` fails it for this run (the next scan sees the file as it is then)."""
        if document.source != self._source:
            raise ItemError(f"document {document.doc_id} belongs to source {document.source!r}")
        self._connect()
        try:
            snapshot = smb_io.read_snapshot(self._unc(document.path), self._max_file_size + 1, **self._kwargs())
        except Exception as exc:  # noqa: BLE001 - any SMB failure is this item's failure
            raise ItemError(f"{document.path}: cannot be read: {why(exc)}") from exc
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
            raise ConfigurationError(f"cannot connect to \\\\{self._server}\\{self._share}: {why(exc)}") from exc
        self._registered = True

    def _unc(self, rel: str) -> str:
        parts = [p for p in (self._root, rel) if p]
        tail = "\\".join(parts).replace("/", "\\")
        return f"\\\\{self._server}\\{self._share}" + (f"\\{tail}" if tail else "")

    def _walk(self, roots: Sequence[str] | None = None) -> Iterator[ListedFile | FailedItem]:
        """Every file below the root, or below ``roots`` (root-relative paths of files or folders)."""
        self._connect()
        yield from self._listing.files(roots)

    def _with_acls(self, entries: Iterator[ListedFile | FailedItem]) -> Iterator[_WithAcl | FailedItem]:
        """Each listed file with its ACL and descriptor, or why it has none (a failed listing item comes as
        it is); the descriptors are read :data:`PIPELINE` files at a time (:func:`smb_io.security_descriptors`)."""
        batch: list[ListedFile] = []
        for entry in entries:
            if isinstance(entry, FailedItem):
                yield entry
                continue
            batch.append(entry)
            if len(batch) >= PIPELINE:
                yield from self._acls(batch)
                batch = []
        yield from self._acls(batch)

    def _acls(self, batch: list[ListedFile]) -> Iterator[_WithAcl | FailedItem]:
        if batch:
            answers = smb_io.security_descriptors([entry.unc for entry in batch], **self._kwargs())
            for entry, answer in zip(batch, answers, strict=True):
                read = self._acl(entry, answer)
                yield read if isinstance(read, FailedItem) else (entry, *read)

    def _acl(
        self, entry: ListedFile, answer: tuple[bytes, int] | Exception
    ) -> tuple[AccessControl, bytes] | FailedItem:
        """The file's document ACL and the descriptor it comes from, or why it has none."""
        if isinstance(answer, Exception):  # cannot read the ACL: fail closed for this file
            return FailedItem(self.uri(entry.rel), f"cannot read the security descriptor: {why(answer)}", KIND_ACL)
        descriptor, file_id = answer
        if file_id != entry.file_id:  # the path names another file than the one listed
            return FailedItem(self.uri(entry.rel), "replaced while it was scanned", KIND_CHANGED)
        try:
            refuse_beyond_dacl(descriptor)
            return sd_to_access(descriptor, self._share_tokens), descriptor
        except AccessControlError as exc:
            return FailedItem(self.uri(entry.rel), f"ACL not indexed: {exc}", KIND_ACL)

    def _document(self, entry: ListedFile, acl: AccessControl, descriptor: bytes) -> SourceDocument:
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


def _version(entry: ListedFile) -> str:
    """Which file, in which state: its id, size and last write, from the listing alone."""
    return f"{entry.size}:{entry.modified.isoformat()}:{entry.file_id}"
