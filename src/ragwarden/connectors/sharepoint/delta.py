"""One drive's Graph ``delta`` into the mirror: the changes since the last delta link, or a full enumeration.

A drive without a delta link (its first run), and a drive whose delta link expired (``410 Gone``), is enumerated
afresh into a new generation of the mirror, which replaces the old one only once the enumeration reached its
``@odata.deltaLink``: a run that fails half-way through deletes nothing (:mod:`.mirror`).
"""

from __future__ import annotations

import logging

from ragwarden.connectors.sharepoint.graph import ResyncRequired, SharePointClient
from ragwarden.connectors.sharepoint.mirror import Mirror
from ragwarden.core.errors import TransientError

log = logging.getLogger(__name__)


def sync_drive(client: SharePointClient, mirror: Mirror, drive_id: str, *, now: float) -> None:
    """Bring one drive of the mirror up to date with Graph (see the module docstring)."""
    drive = mirror.drive(drive_id)
    restart: str | None = None
    if drive.delta_link:
        try:
            _round(client, mirror, drive_id, drive.generation, drive.delta_link, now)
            return
        except ResyncRequired as gone:
            log.info("drive %s: the delta link expired (410); enumerating the drive afresh", drive_id)
            restart = gone.location
    fresh = client.delta_start(drive_id)
    for start in dict.fromkeys([restart or fresh, fresh]):  # Graph's Location first, then a plain enumeration
        generation = mirror.begin_enumeration(drive_id)
        try:
            _round(client, mirror, drive_id, generation, start, now)
            return
        except ResyncRequired:
            log.warning("drive %s: a fresh enumeration answered 410 too", drive_id)
    raise TransientError(f"drive {drive_id}: Graph keeps answering 410 to a fresh enumeration; nothing changed")


def _round(client: SharePointClient, mirror: Mirror, drive_id: str, generation: int, url: str, now: float) -> None:
    """Follow ``@odata.nextLink`` from ``url`` to the ``@odata.deltaLink``, page by page into ``generation``."""
    pages, listed = 0, set[str]()
    while True:
        page = client.delta_page(url)
        mirror.apply_page(drive_id, generation, page["value"], listed)
        pages += 1
        next_link = page.get("@odata.nextLink")
        if isinstance(next_link, str) and next_link:
            url = next_link
            continue
        delta_link = page.get("@odata.deltaLink")
        if not isinstance(delta_link, str) or not delta_link:
            raise TransientError(f"drive {drive_id}: a delta page had neither a next link nor a delta link")
        mirror.finish(drive_id, generation, delta_link, now=now)
        log.debug("drive %s: %d delta pages into generation %d", drive_id, pages, generation)
        return
