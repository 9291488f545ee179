"""The SharePoint Online connector: every file of every document library of a site (and, with ``subsites``, of
its subsites), with ACLs from Graph item permissions.

Each pass first brings the source's mirror up to date (:meth:`SharePointConnector.refresh`): Graph ``delta``
per drive (:mod:`.delta`), the permissions of every dirty file, and the members of the site collection's
groups (:mod:`.permissions`). Only then does it yield, from the mirror, **every** file: the sync engine removes
what a scan does not yield, so a scan of the changes alone would empty the index. If the refresh fails (Graph
down, a ``Retry-After`` over the cap), the scan raises before yielding anything and the engine changes nothing.

A file whose permissions cannot be read, that no permission lets a known principal read, or that is larger than
the limit, is a failed item (any indexed copy is removed by the engine). Ids derive from the drive and item ids,
so a rename or a move keeps the document; ``content_hash`` fingerprints the file's hash, size, path and URL
(a renamed folder re-indexes its files, so that no path or link in the index goes stale).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ragwarden.connectors.local_folder import prettify_title
from ragwarden.connectors.sharepoint.delta import sync_drive
from ragwarden.connectors.sharepoint.graph import SharePointClient
from ragwarden.connectors.sharepoint.mapping import MappingContext
from ragwarden.connectors.sharepoint.mirror import Drive, Mirror, MirroredFile
from ragwarden.connectors.sharepoint.mirror_tree import fields_of
from ragwarden.connectors.sharepoint.permissions import GraphDirectory, refresh_item_permissions, refresh_site_groups
from ragwarden.core.errors import ConfigurationError, ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.core.sources.spec import SourceSpec

log = logging.getLogger(__name__)
KIND_ACL = "acl"
KIND_TOO_LARGE = "too_large"
DEFAULT_RECONCILE_INTERVAL = 86400.0


@dataclass(frozen=True, slots=True)
class SiteOptions:
    """What a SharePoint source is and how its permissions are mapped (the sources file's options)."""

    host: str  # the tenant host, e.g. contoso.sharepoint.com
    site_path: str  # /sites/name
    tenant_id: str
    subsites: bool = False
    organization_links: bool = False
    anonymous_links: bool = False
    rac_groups: tuple[str, ...] = ()
    reconcile_interval: float = DEFAULT_RECONCILE_INTERVAL
    spec_options: Any = field(default_factory=lambda: MappingProxyType({}))  # recorded with the source

    @property
    def location(self) -> str:
        return f"sharepoint://{self.host}{self.site_path}"

    @property
    def site_url(self) -> str:
        return f"https://{self.host}{self.site_path}"


@dataclass
class RunFigures:
    """What the last refresh did (for logs and the benchmark)."""

    permission_reads: int = 0
    site_groups: int = 0
    drives: int = 0
    seconds: float = 0.0


class SharePointConnector:
    """A :class:`~ragwarden.core.ports.Connector` over one SharePoint Online site (see the module docstring)."""

    def __init__(
        self,
        client: SharePointClient,
        site: SiteOptions,
        *,
        source: str,
        mirror_path: Path,
        site_groups_path: Path,
        max_file_size: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_file_size <= 0:
            raise ConfigurationError("max_file_size must be positive")
        if ":" in source:
            raise ConfigurationError(f"invalid connector source name {source!r}")
        self._client, self._site, self._source = client, site, source
        self._mirror = Mirror(mirror_path)
        self._site_groups_path = site_groups_path
        self._max_file_size = max_file_size
        self._clock = clock
        self._drive_names: dict[str, str] = {}
        self.figures = RunFigures()

    @property
    def source(self) -> str:
        return self._source

    @property
    def client(self) -> SharePointClient:
        return self._client

    def source_spec(self) -> SourceSpec:
        """How a one-off ``ingest`` records this source (so a server can rebuild it)."""
        options = MappingProxyType(dict(self._site.spec_options))
        return SourceSpec(name=self._source, location=self._site.location, scheme="sharepoint", options=options)

    def doc_id(self, drive_id: str, item_id: str) -> str:
        return hashlib.sha256(f"{self._source}:{drive_id}:{item_id}".encode()).hexdigest()[:32]

    # -- the port ------------------------------------------------------------------------------------------

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        self.refresh()
        for file in self._mirror.files():
            problem = self._problem(file)
            yield problem if problem is not None else self._document(file)

    def scan_acls(self) -> Iterator[tuple[str, AccessControl, str] | FailedItem]:
        """The permission-only pass: the mirror refreshed (delta and permissions, never content), then
        ``(doc_id, acl, version)`` per file."""
        self.refresh()
        for file in self._mirror.files():
            problem = self._problem(file)
            if problem is not None:
                yield problem
            else:
                assert file.acl is not None  # _problem says so
                yield self.doc_id(file.drive_id, file.item_id), file.acl, _version(file)

    def read(self, document: SourceDocument) -> bytes:
        """The document's bytes, if the file is still the one the scan listed (and whose permissions it read);
        otherwise an :class:`ItemError` fails it for this run, and the next pass sees the file as it is then.

        The check follows the download: a file's eTag and hash change with every new version and never come
        back (a restored version is a new one), so a listing unchanged after the download means the bytes are
        the scanned version's, whenever a change would have fallen."""
        if document.source != self._source:
            raise ItemError(f"document {document.doc_id} belongs to source {document.source!r}")
        drive_id, item_id = document.metadata.get("drive_id"), document.metadata.get("item_id")
        if not isinstance(drive_id, str) or not isinstance(item_id, str):
            raise ItemError(f"document {document.doc_id} does not say which SharePoint item it is")
        data = self._client.download(drive_id, item_id, self._max_file_size)
        now = self._client.item(drive_id, item_id)
        if now is None or "deleted" in now:
            raise ItemError(f"{document.path}: deleted since the scan; not indexed in this run")
        fields = fields_of(now)
        if _listed(fields, item_id) != document.version:
            raise ItemError(f"{document.path}: changed since the scan; not indexed in this run")
        return data

    def close(self) -> None:
        self._mirror.close()
        self._client.close()

    # -- the refresh ---------------------------------------------------------------------------------------

    def refresh(self) -> RunFigures:
        """The mirror brought up to date: drives, delta, dirty permissions, site groups (raises, changing
        nothing the engine sees, when Graph or SharePoint cannot answer)."""
        started, now = time.perf_counter(), self._clock()
        site = self._client.site(self._site.host, self._site.site_path)
        site_id = str(site["id"])
        drives = self._drives([site_id, *self._subsites(site_id)])
        self._mirror.set_drives(drives)
        for drive in drives:
            sync_drive(self._client, self._mirror, drive.drive_id, now=now)
        ctx = self._context(site_id)
        lookup = GraphDirectory(self._client)
        reads = 0
        for drive in drives:
            if self._mirror.reconcile_due(drive.drive_id, self._site.reconcile_interval, now):
                log.info("source %s: full permission reconcile of drive %s", self._source, drive.name)
            reads += refresh_item_permissions(
                self._client, self._mirror, drive.drive_id, ctx, lookup, max_size=self._max_file_size
            )
        groups = refresh_site_groups(
            self._client, self._site_groups_path, self._site.site_url, ctx, lookup, self._mirror.acl_tokens()
        )
        self.figures = RunFigures(reads, groups, len(drives), time.perf_counter() - started)
        return self.figures

    def _subsites(self, site_id: str) -> list[str]:
        if not self._site.subsites:
            return []
        found: list[str] = []
        todo = [site_id]
        while todo and len(found) < 10_000:
            for sub in self._client.subsites(todo.pop()):
                if isinstance(sub.get("id"), str) and sub["id"] not in found:
                    found.append(sub["id"])
                    todo.append(sub["id"])
        return found

    def _drives(self, site_ids: Sequence[str]) -> list[Drive]:
        drives = []
        for site_id in site_ids:
            for d in self._client.drives(site_id):
                if isinstance(d.get("id"), str):
                    drives.append(Drive(d["id"], site_id, str(d.get("name") or ""), str(d.get("webUrl") or "")))
        self._drive_names = {d.drive_id: d.name for d in drives}
        return drives

    def _context(self, site_id: str) -> MappingContext:
        return MappingContext(
            tenant_id=self._site.tenant_id,
            site_collection_id=site_id.split(",")[1],
            organization_links=self._site.organization_links,
            anonymous_links=self._site.anonymous_links,
            now=datetime.now(UTC),
            rac_groups=self._site.rac_groups,
        )

    # -- documents -----------------------------------------------------------------------------------------

    def _uri(self, file: MirroredFile) -> str:
        if file.web_url.startswith("https://"):
            return file.web_url
        return f"{self._site.location}/{file.drive_id}/{file.path}"

    def _problem(self, file: MirroredFile) -> FailedItem | None:
        if file.size > self._max_file_size:
            reason = f"too large: {file.size} bytes (limit {self._max_file_size})"
            return FailedItem(self._uri(file), reason, KIND_TOO_LARGE)
        if file.acl is None or file.pending:
            reason = "; ".join(file.problems) or "its permissions have not been read: not indexed"
            return FailedItem(self._uri(file), reason, KIND_ACL)
        return None

    def _document(self, file: MirroredFile) -> SourceDocument:
        assert file.acl is not None
        stem, dot, suffix = file.name.rpartition(".")
        library = self._drive_names.get(file.drive_id, "")
        basis = file.hash or file.ctag or file.etag or file.modified
        return SourceDocument(
            doc_id=self.doc_id(file.drive_id, file.item_id),
            source=self._source,
            source_uri=self._uri(file),
            title=prettify_title(stem if dot else file.name) or file.name,
            acl=file.acl,
            # The path, not just the name: a renamed or moved folder must not leave its files' paths and links
            # stale in the index (the engine updates those only with the content).
            content_hash=hashlib.sha256(f"{basis}|{file.size}|{file.path}|{file.web_url}".encode()).hexdigest(),
            version=_version(file),
            modified=_when(file.modified),
            size=file.size,
            file_type=suffix.lower() if dot else "",
            path=file.path,
            metadata={"drive_id": file.drive_id, "item_id": file.item_id, "library": library,
                      **({"department": library} if library else {})},  # fmt: skip
        )


def _version(file: MirroredFile) -> str:
    """Which file, in which state, from the listing alone."""
    return f"{file.size}:{file.modified}:{file.hash or file.ctag or file.etag}:{file.item_id}"


def _listed(fields: dict[str, Any], item_id: str) -> str:
    """:func:`_version` of an item as Graph lists it (:func:`~.mirror_tree.fields_of`)."""
    return f"{fields['size']}:{fields['modified']}:{fields['hash'] or fields['ctag'] or fields['etag']}:{item_id}"


def _when(value: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)
