"""SharePoint site groups: who is in them, stored per site, and added to a caller's scope at resolution.

A SharePoint site group is not a directory object: no directory puts ``spgroup:<siteCollectionId>:<id>``
into anyone's scope. The SharePoint connector reads each site's groups and their members (as principal
tokens: ``entra:``, ``sid:``, the tenant token) and hands the whole snapshot to :meth:`SiteGroupStore.replace`.
:class:`SiteGroupResolver` wraps the directory's resolver and adds every site group that has one of the
caller's tokens as a member: T ∪ {g : members(g) ∩ T ≠ ∅}. SharePoint groups do not nest, so one step is all.

The store is a SQLite file beside the sync state, written by syncs and read by every resolution (other
processes included): a snapshot is replaced in one transaction, so a reader sees the old one or the new one,
never half. A store that cannot be read raises :class:`DirectoryUnavailableError` (503), like a directory
that is down: a caller's scope without their site groups would be a guess.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ragwarden.acl import tokens
from ragwarden.acl.principals import Emittable, emittable_of
from ragwarden.core.errors import AccessControlError, DirectoryUnavailableError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver

_SCHEMA = """
CREATE TABLE IF NOT EXISTS site_group_members (
    site TEXT NOT NULL,
    site_group TEXT NOT NULL,
    member TEXT NOT NULL,
    PRIMARY KEY (site, site_group, member)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS site_group_members_by_member ON site_group_members (member, site_group);
"""
SITE_GROUPS_FILE = "site_groups.sqlite"  # the store's name in the data dir, beside the sync state
_CHUNK = 500  # host parameters per query, well under SQLite's limit
SPGROUP = Emittable(kinds=frozenset({"spgroup"}))


class SiteGroupStore:
    """Site group memberships in a SQLite file: one snapshot per site collection."""

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def replace(self, site_collection_id: str, members: Mapping[str, frozenset[str]]) -> None:
        """Make ``members`` (spgroup token -> its members' tokens) the whole snapshot of the site, at once."""
        site, rows = _rows(site_collection_id, members)
        with self._transaction("BEGIN IMMEDIATE") as db:
            db.execute("DELETE FROM site_group_members WHERE site = ?", (site,))
            db.executemany("INSERT OR IGNORE INTO site_group_members VALUES (?, ?, ?)", rows)

    def groups_of(self, principal_tokens: frozenset[str]) -> frozenset[str]:
        """Every spgroup token with a member in ``principal_tokens`` (of any site)."""
        wanted = sorted(principal_tokens)
        found: set[str] = set()
        with self._transaction("BEGIN") as db:  # one read snapshot across the chunks
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT DISTINCT site_group FROM site_group_members WHERE member IN ({marks})"  # noqa: S608
                found.update(row[0] for row in db.execute(query, chunk))
        return frozenset(found)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                db = self._connect()
                db.execute(begin)
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._drop()  # the next call opens the file afresh (it may have been repaired)
                problem = f"the SharePoint site group store {self.path} is unusable: {exc}"
                raise DirectoryUnavailableError(problem) from exc

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
            except sqlite3.Error:
                db.close()
                raise
            self._connection = db
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except sqlite3.Error:
                pass
            self._connection = None


def _rows(site_collection_id: str, members: Mapping[str, frozenset[str]]) -> tuple[str, list[tuple[str, str, str]]]:
    """Validated rows: every group is a group of this site, every member a canonical non-group token."""
    site = tokens.name_of(tokens.entra(site_collection_id))
    rows: list[tuple[str, str, str]] = []
    for group, group_members in members.items():
        canonical = tokens.parse(group)
        if tokens.kind_of(canonical) != "spgroup" or not canonical.startswith(f"spgroup:{site}:"):
            raise AccessControlError(f"{group!r} is not a site group of site collection {site}")
        if isinstance(group_members, str):
            raise AccessControlError(f"the members of {group} must be a set of tokens, not a string")
        for member in group_members:
            token = tokens.parse(member)
            if tokens.kind_of(token) == "spgroup":
                raise AccessControlError(f"SharePoint groups do not nest: {token} cannot be a member of {group}")
            rows.append((site, canonical, token))
    return site, rows


class SiteGroupResolver(PrincipalResolver):
    """Another resolver's scope plus the caller's SharePoint site groups (see the module docstring)."""

    def __init__(self, inner: PrincipalResolver, store: SiteGroupStore) -> None:
        self.inner = inner
        self.store = store

    def resolve(self, user: str) -> AccessScope:
        scope = self.inner.resolve(user)
        if scope.is_empty:
            return scope  # unknown or disabled: no site group makes that somebody
        groups = self.store.groups_of(scope.tokens)
        return scope if not groups else AccessScope(principal=scope.principal, tokens=scope.tokens | groups)

    def describe(self, token: str) -> str:
        return self.inner.describe(token)

    def emittable(self) -> Emittable:
        return emittable_of([self.inner]) | SPGROUP

    def close(self) -> None:
        self.store.close()
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
