"""The SMB connector's walk: which files lie below the share's root folder, as one listing sees them.

Apart from :mod:`ragwarden.connectors.smb` (which maps each listed file to a document and its ACL, and reads
it) because listing a share has rules of its own: folders are walked in name order, a reparse point (a
symbolic link or junction) is reported and never followed, a file over the size limit is reported without
being opened, and the include/exclude patterns choose the rest. A scan limited to the paths a change
notification names (:meth:`ShareWalk.files` with ``roots``) lists each one through its parent folder, so it
sees the same fields as the full walk and never reaches below a reparse point the full walk would not enter.
"""

from __future__ import annotations

import errno
import fnmatch
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ragwarden.connectors import smb_io
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import FailedItem

# FailedItem.kind values the walk reports (the connector reports its own, in smb.py).
KIND_TOO_LARGE = "too_large"
KIND_FOLDER = "folder"
KIND_REPARSE = "reparse_point"  # symbolic links, junctions: not followed


@dataclass(frozen=True, slots=True)
class ListedFile:
    """A file as the listing shows it: its root-relative path and UNC name, size, last write and file id."""

    rel: str
    unc: str
    size: int
    modified: datetime
    file_id: int


class ShareWalk:
    """Lists the files below a share folder; ``unc`` and ``uri`` name a root-relative path for SMB and for
    reports, and ``connection_cache`` holds the sessions of the connector that owns this walk."""

    def __init__(
        self,
        unc: Callable[[str], str],
        uri: Callable[[str], str],
        *,
        connection_cache: dict[str, Any],
        port: int,
        include: Sequence[str],
        exclude: Sequence[str],
        max_file_size: int,
    ) -> None:
        self._unc, self.uri = unc, uri
        self._cache, self._port = connection_cache, port
        self._include, self._exclude = tuple(include), tuple(exclude)
        self._max_file_size = max_file_size

    def _kwargs(self) -> dict[str, Any]:
        return {"connection_cache": self._cache, "port": self._port}

    def files(self, roots: Sequence[str] | None = None) -> Iterator[ListedFile | FailedItem]:
        """Every file below the root, or below ``roots`` (root-relative paths of files or folders)."""
        import smbclient

        try:
            smbclient.stat(self._unc(""), **self._kwargs())
        except Exception as exc:  # noqa: BLE001 - an empty scan would read as "everything was deleted"
            raise ConfigurationError(f"{self.uri('')} cannot be opened: {why(exc)}") from exc
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
                yield FailedItem(self.uri(folder), f"cannot list folder: {why(exc)}", KIND_FOLDER)
                continue
            subfolders: list[str] = []
            for entry in entries:
                rel = f"{folder}/{entry.name}" if folder else entry.name
                item = self._entry(entry, rel, subfolders)
                if item is not None:
                    yield item
            pending.extend(reversed(subfolders))

    def _named(self, rel: str, subfolders: list[str], plain: set[str]) -> Iterator[ListedFile | FailedItem]:
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
            yield FailedItem(self.uri(rel), f"cannot list: {why(exc)}", KIND_FOLDER)
            return
        for entry in found:
            if entry.name.casefold() == name.casefold():
                item = self._entry(entry, f"{parent}/{entry.name}" if parent else entry.name, subfolders)
                if item is not None:
                    yield item

    def _entry(self, entry: Any, rel: str, subfolders: list[str]) -> ListedFile | FailedItem | None:
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
        return ListedFile(rel, self._unc(rel), info.end_of_file, info.last_write_time, info.file_id)

    def _selected(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]

        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)

        if self._include and not matches(self._include):
            return False
        return not matches(self._exclude)


def why(exc: BaseException) -> str:
    """A short reason without credentials (smbprotocol messages carry paths and NT status only)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _ancestors(folder: str) -> list[str]:
    parts = folder.split("/") if folder else []
    return ["/".join(parts[: n + 1]) for n in range(len(parts))]
