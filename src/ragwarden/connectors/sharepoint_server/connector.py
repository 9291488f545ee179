"""The SharePoint Server (on-premises) connector: every file of every document library of one site, with
ACLs from SharePoint's role assignments, over REST with Windows sign-in.

Each pass first refreshes the mirror (:mod:`.refresh`: full or from the change token) and the members of the
site's SharePoint groups (into the :class:`~ragwarden.acl.site_groups.SiteGroupStore`); only then does it yield,
from the mirror, **every** file: the sync engine removes what a scan does not yield. If the refresh fails
(credentials refused, the server down), the scan raises before yielding anything and the engine changes
nothing. A file whose nearest permission scope could not be read, or that grants nobody a directory can
emit, is a failed item with the reason. ``content_hash`` fingerprints ETag, length and URL: a permission-only
change re-stamps the chunks without embedding them again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ragwarden.acl import tokens
from ragwarden.acl.site_groups import SiteGroupStore
from ragwarden.connectors.local_folder import prettify_title
from ragwarden.connectors.sharepoint_server import mirror
from ragwarden.connectors.sharepoint_server.client import ChangeTokenTooOld, ServerClient
from ragwarden.connectors.sharepoint_server.mapping import principal_tokens
from ragwarden.connectors.sharepoint_server.mirror import Entry, Scope
from ragwarden.connectors.sharepoint_server.refresh import NeedsFullRun, full, incremental
from ragwarden.core.errors import ConfigurationError, ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.core.sources.spec import SourceSpec

log = logging.getLogger(__name__)
KIND_ACL = "acl"
KIND_TOO_LARGE = "too_large"
DEFAULT_RECONCILE_INTERVAL = 86400.0


@dataclass(frozen=True)
class ServerSite:
    location: str  # sharepoint+ntlm://host/sites/name
    site_url: str  # https://host/sites/name
    reconcile_interval: float = DEFAULT_RECONCILE_INTERVAL
    spec_options: Any = field(default_factory=lambda: MappingProxyType({}))  # recorded with the source
    username_env: str | None = None
    password_env: str | None = None


@dataclass
class RunFigures:
    """What the last refresh did (logs, tests and benchmarks)."""

    mode: str = ""  # full, incremental, full (token too old), full (reconcile)
    changes: int = 0
    requests: int = 0
    site_groups: int = 0
    seconds: float = 0.0


class SharePointServerConnector:
    """A :class:`~ragwarden.core.ports.Connector` over one on-premises SharePoint site (see the module docstring)."""

    def __init__(
        self,
        client: ServerClient,
        site: ServerSite,
        *,
        source: str,
        mirror_path: Path,
        site_groups_path: Path,
        max_file_size: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_file_size <= 0:
            raise ConfigurationError("max_file_size must be positive")
        self._client, self._site, self._source = client, site, source
        self._mirror_path, self._site_groups_path = mirror_path, site_groups_path
        self._max_file_size, self._clock = max_file_size, clock
        self._state = mirror.State()
        self.figures = RunFigures()

    @property
    def source(self) -> str:
        return self._source

    def source_spec(self) -> SourceSpec:
        """How a one-off ``ingest`` records this source (so that a server can rebuild it)."""
        options = MappingProxyType(dict(self._site.spec_options))
        return SourceSpec(name=self._source, location=self._site.location, scheme="sharepoint+ntlm", options=options,
                          username_env=self._site.username_env, password_env=self._site.password_env)  # fmt: skip

    def doc_id(self, list_id: str, item_id: int) -> str:
        return hashlib.sha256(f"{self._source}:{list_id}:{item_id}".encode()).hexdigest()[:32]

    # -- the port ------------------------------------------------------------------------------------------
    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        self.refresh()
        for entry, key, scope in self._state.files():
            problem = self._problem(entry, key, scope)
            yield problem if problem is not None else self._document(entry, scope)

    def scan_acls(self) -> Iterator[tuple[str, AccessControl, str] | FailedItem]:
        self.refresh()
        for entry, key, scope in self._state.files():
            problem = self._problem(entry, key, scope)
            if problem is not None:
                yield problem
            else:
                yield self.doc_id(entry.list_id, entry.item_id), _acl(scope), _version(entry)

    def read(self, document: SourceDocument) -> bytes:
        if document.source != self._source:
            raise ItemError(f"document {document.doc_id} belongs to source {document.source!r}")
        url = document.metadata.get("url")
        if not isinstance(url, str) or not url.startswith("/"):
            raise ItemError(f"document {document.doc_id} does not say which SharePoint file it is")
        return self._client.download(url, self._max_file_size)

    def close(self) -> None:
        self._client.http.close()

    # -- the refresh ---------------------------------------------------------------------------------------
    def refresh(self) -> RunFigures:
        started, now, requests = time.perf_counter(), self._clock(), self._client.requests
        state, changes = mirror.load(self._mirror_path), 0
        mode = "full" if state.token is None else ""
        if state.token is not None and now - state.reconciled >= self._site.reconcile_interval:
            mode = "full (reconcile)"
        if not mode:
            try:
                changes, mode = incremental(self._client, state), "incremental"
            except ChangeTokenTooOld as exc:
                log.warning("source %s: %s; enumerating the site afresh", self._source, exc)
                mode = "full (token too old)"
            except NeedsFullRun as exc:
                log.info("source %s: %s; enumerating the site afresh", self._source, exc)
                mode = "full (unknown change)"
        if mode != "incremental":
            state = full(self._client, now)
        groups = self._refresh_site_groups(state.site_id)
        mirror.save(self._mirror_path, state)
        self._state = state
        self.figures = RunFigures(
            mode, changes, self._client.requests - requests, groups, time.perf_counter() - started
        )
        return self.figures

    def _refresh_site_groups(self, site_id: str) -> int:
        """Replace the site's snapshot of site-group members (members mapped like role assignment members)."""
        members: dict[str, frozenset[str]] = {}
        for group in self._client.values("web/sitegroups"):
            gid = group.get("Id")
            if not isinstance(gid, int):
                continue
            users = self._client.get(f"web/sitegroups/getbyid({gid})/users", missing_ok=True)
            if users is None:
                log.warning("site group %r: its members cannot be read; nobody reads through it", group.get("Title"))
            found: set[str] = set()
            for user in (users or {}).get("value") or ():
                granted, problems = principal_tokens(user, site_id) if isinstance(user, dict) else (frozenset(), ())
                found |= {t for t in granted if tokens.kind_of(t) != "spgroup"}
                for problem in problems:
                    log.warning("site group %r: %s", group.get("Title"), problem)
            members[tokens.spgroup(site_id, str(gid))] = frozenset(found)
        store = SiteGroupStore(self._site_groups_path)
        try:
            store.replace(site_id, members)
        finally:
            store.close()
        return len(members)

    # -- documents -----------------------------------------------------------------------------------------
    def _uri(self, entry: Entry) -> str:
        origin = self._site.site_url.split("/", 3)
        return f"{origin[0]}//{origin[2]}{entry.url}"

    def _problem(self, entry: Entry, key: str, scope: Scope | None) -> FailedItem | None:
        if entry.length > self._max_file_size:
            reason = f"too large: {entry.length} bytes (limit {self._max_file_size})"
            return FailedItem(self._uri(entry), reason, KIND_TOO_LARGE)
        if scope is None or scope.tokens is None:
            why = "; ".join(scope.problems) if scope else "they have not been read"
            return FailedItem(
                self._uri(entry), f"the permissions of {key} cannot be read ({why}): not indexed", KIND_ACL
            )
        if not scope.tokens:
            why = "; ".join(scope.problems) or "no role assignment lets anyone read"
            return FailedItem(self._uri(entry), f"nobody a directory knows may read it ({why}): not indexed", KIND_ACL)
        return None

    def _document(self, entry: Entry, scope: Scope | None) -> SourceDocument:
        stem, dot, suffix = entry.name.rpartition(".")
        library = str((self._state.libraries.get(entry.list_id) or {}).get("title") or "")
        return SourceDocument(
            doc_id=self.doc_id(entry.list_id, entry.item_id),
            source=self._source,
            source_uri=self._uri(entry),
            title=prettify_title(stem if dot else entry.name) or entry.name,
            acl=_acl(scope),
            # the URL too: a renamed or moved file re-indexes, so that no path or link in the index goes stale
            content_hash=hashlib.sha256(f"{entry.etag}|{entry.length}|{entry.url}".encode()).hexdigest(),
            version=_version(entry),
            modified=_when(entry.modified),
            size=entry.length,
            file_type=suffix.lower() if dot else "",
            path=_path(entry.url, self._state.libraries.get(entry.list_id)),
            metadata={
                "url": entry.url,
                "list_id": entry.list_id,
                "item_id": entry.item_id,
                "library": library,
                **({"department": library} if library else {}),
            },  # fmt: skip
        )


def _acl(scope: Scope | None) -> AccessControl:
    assert scope is not None and scope.tokens  # _problem says so
    return AccessControl(allow=frozenset(scope.tokens))


def _path(url: str, library: dict[str, Any] | None) -> str:
    """The path inside the library, with the library's title in front (``Dokumente/Finanzen/a.txt``)."""
    root = str((library or {}).get("url") or "")
    inside = url[len(root) :].lstrip("/") if root and url.startswith(root + "/") else url.lstrip("/")
    title = str((library or {}).get("title") or "")
    return f"{title}/{inside}" if title else inside


def _version(entry: Entry) -> str:
    return f"{entry.length}:{entry.modified}:{entry.etag}:{entry.item_id}"


def _when(value: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)
