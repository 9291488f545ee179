"""Permissions of a SharePoint source: item permissions of dirty files into the mirror, and the members of the
site collection's groups into the site-group store.

Item permissions come from Graph (``$batch`` of ``/permissions``) and are mapped by
:func:`~ragwarden.connectors.sharepoint.mapping.item_acl`; a file whose permissions cannot be read keeps no ACL
(it is a failed item, not a document) and stays dirty for the next run. Site groups come from SharePoint REST;
their members are stored per site collection in one transaction (:class:`~ragwarden.acl.site_groups.
SiteGroupStore`), and added to a caller's tokens at resolution time. Link groups (``SharingLinks.…``) are read
only when an ACL names them: a link grants the people listed on it, never its group.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ragwarden.acl import tokens
from ragwarden.acl.site_groups import SiteGroupStore
from ragwarden.connectors.sharepoint.graph import SharePointClient, Unreadable
from ragwarden.connectors.sharepoint.mapping import MappingContext, item_acl, login_tokens
from ragwarden.connectors.sharepoint.mirror import AclResult, Mirror
from ragwarden.core.errors import ConfigurationError

log = logging.getLogger(__name__)
_CHUNK = 100  # files whose permissions are read (in $batch requests of 20) before the mirror is written


class GraphDirectory:
    """The mapping's :class:`~ragwarden.connectors.sharepoint.mapping.DirectoryLookup` over Graph, remembered
    for one run (a site names the same people on many files)."""

    def __init__(self, client: SharePointClient) -> None:
        self._client = client
        self._users: dict[str, dict[str, Any] | None] = {}
        self._objects: dict[str, dict[str, Any] | None] = {}

    def user_by_upn(self, upn: str) -> dict[str, Any] | None:
        key = upn.lower()
        if key not in self._users:
            self._users[key] = self._client.user(upn)
        return self._users[key]

    def object(self, object_id: str) -> dict[str, Any] | None:
        key = object_id.lower()
        if key not in self._objects:
            self._objects[key] = self._client.directory_object(object_id)
        return self._objects[key]


def fingerprint(permissions: list[dict[str, Any]]) -> str:
    """A stable digest of an item's permission resources (order does not matter)."""
    canonical = sorted(json.dumps(p, sort_keys=True, separators=(",", ":")) for p in permissions)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()[:32]


def refresh_item_permissions(
    client: SharePointClient,
    mirror: Mirror,
    drive_id: str,
    ctx: MappingContext,
    lookup: GraphDirectory,
    *,
    max_size: int,
) -> int:
    """Read and map the permissions of every dirty file of the drive; returns how many were read."""
    dirty = mirror.dirty_files(drive_id, max_size)
    for start in range(0, len(dirty), _CHUNK):
        chunk = dirty[start : start + _CHUNK]
        answers = client.permissions(drive_id, chunk)
        results: list[AclResult] = []
        for item_id in chunk:
            answer = answers.get(item_id, Unreadable("no answer"))
            if isinstance(answer, Unreadable):
                reason = f"its permissions cannot be read ({answer.reason}): not indexed"
                results.append(AclResult(item_id, None, (reason,), "", settled=False))
                continue
            mapped = item_acl(answer, ctx, lookup)
            results.append(AclResult(item_id, mapped.acl, mapped.problems, fingerprint(answer)))
        mirror.store_acls(drive_id, results)
    return len(dirty)


def refresh_site_groups(
    client: SharePointClient,
    store_path: Path,
    site_url: str,
    ctx: MappingContext,
    lookup: GraphDirectory,
    wanted: Collection[str],
) -> int:
    """Replace the site collection's snapshot of site-group members; returns how many groups were read.

    A group whose members SharePoint will not show (a group visible to its members only) is stored without
    members: nobody reads through it (under-granted, reported), rather than guessing."""
    groups = client.rest_values(f"{site_url}/_api/web/sitegroups")
    if groups is None:
        raise ConfigurationError(
            f"SharePoint refuses to list the site groups of {site_url}: grant the app full control of the site"
        )
    members: dict[str, frozenset[str]] = {}
    for group in groups:
        group_id, title = group.get("Id"), str(group.get("Title") or "")
        if group_id is None:
            continue
        token = tokens.spgroup(ctx.site_collection_id, str(group_id))
        if title.startswith("SharingLinks.") and token not in wanted:
            continue
        users = client.rest_values(f"{site_url}/_api/web/sitegroups/getbyid({int(group_id)})/users")
        if users is None:
            log.warning("site group %r of %s: its members cannot be read; nobody reads through it", title, site_url)
            users = []
        found: set[str] = set()
        for user in users:
            found |= login_tokens(str(user.get("LoginName") or ""), ctx, lookup)
        members[token] = frozenset(found)
    store = SiteGroupStore(store_path)
    try:
        store.replace(ctx.site_collection_id, members)
    finally:
        store.close()
    return len(members)
