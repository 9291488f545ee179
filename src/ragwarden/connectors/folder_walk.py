"""The folder connector's walk: every folder opened beneath its parent's handle, its sidecars matched to
its names, its ACL composed with the inherited one.

Depth-first and sorted; only the handles of the current folder and its ancestors are open at a time. A
folder is listed and planned once; its files are then judged, and read, through that folder's handle, so
whatever happens to the path meanwhile (a folder renamed, swapped for a link) cannot change which folder's
sidecars decide for which bytes.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ragwarden.connectors.beneath import FileId, open_dir_at
from ragwarden.connectors.sidecars import (
    FOLDER_ACL,
    NO_ACL,
    SIDECAR_SUFFIX,
    AclSource,
    FolderPlan,
    Match,
    compose,
    is_sidecar,
    plan_folder,
    read_acl,
)
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import FailedItem

KIND_SYMLINK = "symlink"
KIND_FOLDER = "folder"  # a folder that cannot be listed: nothing below it is reported as a document
KIND_ORPHAN_SIDECAR = "orphan_sidecar"  # a sidecar whose file does not exist (by exact name)


@dataclass(frozen=True, slots=True)
class Entry:
    """A non-folder name of a listing: a file, a link or a special file (``info`` is its lstat)."""

    name: str
    is_symlink: bool
    info: os.stat_result | None
    error: str | None = None


class Frame:
    """One open folder of the walk: its handle, its root-relative path and its ACL decisions."""

    def __init__(self, fd: int, rel: str, inherited: AclSource) -> None:
        self.fd = fd
        self.rel = rel
        self.here = inherited  # the ACL of a file here without its own sidecar
        self.plan = FolderPlan(Match(), {}, {})
        self.pending: list[str] | None = None  # subfolders still to walk (reversed), once listed

    def join(self, name: str) -> str:
        return f"{self.rel}/{name}" if self.rel else name

    def acl_for(self, name: str) -> AclSource:
        """The effective ACL of the file ``name`` in this folder."""
        match = self.plan.files.get(name, Match())
        if match.error is not None:  # not the folder's ACL instead: it may be wider than the one meant
            return AclSource(None, self.join(name), f"ambiguous ACL sidecar: {match.error}")
        if match.sidecar is None:
            return self.here
        return self._read(match.sidecar, self.here)

    def subfolder_acl(self, name: str) -> AclSource:
        match = self.plan.subfolders.get(name)
        if match is not None and match.error is not None:
            return AclSource(None, self.join(name), match.error)
        return self.here

    def settle(self, plan: FolderPlan) -> None:
        """Take the listing's plan; the folder's own ``.acl.json`` decides for everything below."""
        self.plan = plan
        if plan.folder_acl.error is not None:
            self.here = AclSource(None, self.join(FOLDER_ACL), f"ambiguous folder ACL in {self.rel or '.'}: "
                                                                f"{plan.folder_acl.error}")
        elif plan.folder_acl.sidecar is not None:
            self.here = self._read(plan.folder_acl.sidecar, self.here)

    def _read(self, sidecar: str, inherited: AclSource) -> AclSource:
        rel = self.join(sidecar)
        try:
            own = read_acl(self.fd, sidecar, rel)
        except AccessControlError as exc:
            return AclSource(None, rel, f"invalid ACL sidecar {rel}: {exc}")
        return compose(inherited, own, rel)


def walk(root_fd: int, root: Path, include_hidden: bool) -> Iterator[tuple[Frame, Entry | FailedItem]]:
    """Every entry to judge under the root (whose handle the walk takes over and closes), with its folder."""
    stack = [Frame(root_fd, "", NO_ACL)]
    try:
        while stack:
            top = stack[-1]
            if top.pending is None:
                yield from ((top, item) for item in _enter(top, root, include_hidden))
                continue
            if not top.pending:
                os.close(stack.pop().fd)
                continue
            name = top.pending.pop()
            rel = top.join(name)
            try:
                fd = open_dir_at(top.fd, name)
            except OSError as exc:
                yield top, _folder_failure(root, rel, exc)
                continue
            stack.append(Frame(fd, rel, top.subfolder_acl(name)))
    finally:
        for frame in stack:
            os.close(frame.fd)


def _enter(frame: Frame, root: Path, include_hidden: bool) -> Iterator[Entry | FailedItem]:
    """List a folder, plan its sidecars, and give its files (then its orphan sidecars)."""
    frame.pending = []
    try:
        with os.scandir(frame.fd) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield FailedItem((root / frame.rel).as_uri(), f"cannot list folder: {exc.strerror or exc}", KIND_FOLDER)
        return
    files: list[Entry] = []
    folders: list[str] = []
    side: list[str] = []
    for entry in entries:
        if is_sidecar(entry.name):
            side.append(entry.name)  # never a document, never walked into, whatever it is
        elif _is_folder(entry):
            folders.append(entry.name)
        else:
            files.append(_entry(entry))
    probe = _case_probe(frame.fd, [e.name for e in entries])
    frame.settle(plan_folder([f.name for f in files], folders, side, probe))
    frame.pending = [name for name in reversed(folders) if include_hidden or not name.startswith(".")]
    yield from (f for f in files if include_hidden or not f.name.startswith("."))
    for orphan in frame.plan.orphans:
        yield _orphan(root, frame, orphan, folders)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return not entry.is_symlink() and entry.is_dir(follow_symlinks=False)
    except OSError:  # gone or unreadable: judged (and reported) as a file
        return False


def _entry(entry: os.DirEntry[str]) -> Entry:
    try:
        return Entry(entry.name, entry.is_symlink(), entry.stat(follow_symlinks=False))
    except OSError as exc:
        return Entry(entry.name, False, None, str(exc.strerror or exc))


def _orphan(root: Path, frame: Frame, sidecar: str, folders: list[str]) -> FailedItem:
    stem = sidecar[: -len(SIDECAR_SUFFIX)] if sidecar.endswith(SIDECAR_SUFFIX) else sidecar
    if stem in folders:
        why = f"{stem} is a folder; a folder's ACL is {stem}/{FOLDER_ACL}, so its files are not indexed"
    else:
        why = (f"no file named exactly {stem!r} here; it decides nothing, and a file it matches only after "
               "Unicode normalisation or case-folding is not indexed")
    return FailedItem((root / frame.join(sidecar)).as_uri(), f"orphan ACL sidecar: {why}", KIND_ORPHAN_SIDECAR)


def _folder_failure(root: Path, rel: str, exc: OSError) -> FailedItem:
    uri = (root / rel).as_uri()
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
        return FailedItem(uri, "symbolic link not followed (swapped in after its folder was listed)", KIND_SYMLINK)
    return FailedItem(uri, f"cannot open folder: {exc.strerror or exc}", KIND_FOLDER)


def _case_probe(dir_fd: int, names: list[str]) -> Callable[[], bool]:
    """Asked only when a sidecar matches a file in case-folding alone: does this folder open a name
    under another case? (Case-insensitivity can differ per folder: ext4's per-directory casefold.)"""
    answer: list[bool] = []

    def case_insensitive() -> bool:
        if not answer:
            answer.append(_probe(dir_fd, names))
        return answer[0]

    return case_insensitive


def _probe(dir_fd: int, names: list[str]) -> bool:
    present = set(names)
    for name in names:
        other = name.swapcase()
        if other == name or other in present:
            continue
        try:
            mine = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            theirs = os.stat(other, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            return False  # the other case does not exist: case-sensitive
        return FileId.of(mine) == FileId.of(theirs)
    return False  # nothing to tell by: stay strict, so a case-only match fails closed
