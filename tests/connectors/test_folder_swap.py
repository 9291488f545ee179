"""Issue 11, finding 1: what the scan decided an ACL for is what gets read, whatever happens to the tree
between the scan and the read (folders swapped for links, files replaced or rewritten).

The scan is lazy and the engine reads each document before it asks for the next, so these tests drive the
generator by hand and change the real file system between two items, the way an attacker with write access
to one folder would.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from ragwarden.connectors import beneath
from ragwarden.connectors.local_folder import KIND_SYMLINK, LocalFolderConnector
from ragwarden.core.errors import ItemError
from ragwarden.core.models import FailedItem, SourceDocument
from tests.connectors.test_local_folder import ALL, HR, folder_acl, put

HR_BYTES = b"Gehaltsbaender 2026: streng vertraulich"


@pytest.fixture(params=["openat2", "per-component"])
def opener(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with openat2 (where this kernel has it) and with the per-component fallback."""
    if request.param == "openat2":
        if not beneath.openat2.available:
            pytest.skip("openat2 is not available on this kernel")
    else:
        monkeypatch.setattr(beneath.openat2, "available", False)
    return str(request.param)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    folder_acl(root, "public", ALL)
    put(root, "public/x/a.txt", "public a")
    put(root, "public/x/gehalt.txt", "public gehalt")
    put(root, "public/z.txt", "public z")
    folder_acl(root, "hr", HR)
    put(root, "hr/gehalt.txt", HR_BYTES)
    return root


def _until(items: Iterator[SourceDocument | FailedItem], path: str) -> SourceDocument:
    for item in items:
        if isinstance(item, SourceDocument) and item.path == path:
            return item
    raise AssertionError(f"{path} never came")


def _public_bytes(source: LocalFolderConnector, items: Iterator[SourceDocument | FailedItem]) -> list[bytes]:
    """What the rest of the scan hands out under a public ACL, read as the engine reads it."""
    out: list[bytes] = []
    for item in items:
        if isinstance(item, SourceDocument) and "everyone" in item.acl.allow:
            try:
                out.append(source.read(item))
            except ItemError:
                continue
    return out


def _swap_for_link(root: Path, how: str = "rename") -> None:
    if how == "rename":  # the old folder lives on elsewhere, so its listed files can still be opened
        (root / "public/x").rename(root / "public/old")
    else:
        shutil.rmtree(root / "public/x")
    (root / "public/x").symlink_to("../hr", target_is_directory=True)


@pytest.mark.parametrize("how", ["rename", "rmtree"])
def test_a_folder_swapped_for_a_link_mid_folder_never_brings_hr_bytes_under_the_public_acl(
    tree: Path, opener: str, how: str
) -> None:
    """``public/x/`` becomes a link to ``../hr`` after ``public/x/a.txt`` was yielded and read: nothing
    that comes later with the public ACL carries HR's bytes (nor HR's content hash)."""
    source = LocalFolderConnector(tree, max_file_size=10_000)
    items = source.scan()
    first = _until(items, "public/x/a.txt")
    assert source.read(first) == b"public a"
    _swap_for_link(tree, how)
    rest = list(items)
    hr_hash = next(d for d in LocalFolderConnector(tree, max_file_size=10_000).scan()
                   if isinstance(d, SourceDocument) and d.path == "hr/gehalt.txt").content_hash
    for item in rest:
        if isinstance(item, SourceDocument) and item.path.startswith("public/"):
            assert item.content_hash != hr_hash and item.acl.allow == {"everyone"}
            with pytest.raises(ItemError, match="symbolic link"):
                source.read(item)  # the path now runs through the link: not followed
    assert HR_BYTES not in _public_bytes(source, iter(rest))


def test_a_folder_swapped_for_a_link_before_it_is_entered_is_a_reported_link(tree: Path, opener: str) -> None:
    """The swap happens while the scan is still in ``public/``: ``public/x`` is then opened without
    following links, reported, and nothing of HR comes with the public ACL."""
    source = LocalFolderConnector(tree, max_file_size=10_000)
    items = source.scan()
    _until(items, "public/z.txt")
    _swap_for_link(tree)
    rest = list(items)
    public = [i for i in rest if isinstance(i, SourceDocument) and i.path.startswith("public/")]
    assert public == []
    swapped = [i for i in rest if isinstance(i, FailedItem) and i.source_uri == (tree / "public/x").as_uri()]
    assert [i.kind for i in swapped] == [KIND_SYMLINK]


def test_a_file_replaced_between_scan_and_read_fails_for_this_run(tree: Path, opener: str) -> None:
    """Another file (another inode) at the same path is not the file whose ACL was decided, even with
    the very same bytes; the next scan decides afresh."""
    source = LocalFolderConnector(tree, max_file_size=10_000)
    items = source.scan()
    doc = _until(items, "public/x/a.txt")
    replacement = tree / "public/x/a.txt.new"
    replacement.write_bytes(b"public a")
    os.replace(replacement, tree / "public/x/a.txt")
    with pytest.raises(ItemError, match="replaced by another file"):
        source.read(doc)
    assert _until(iter(source.scan()), "public/x/a.txt").content_hash == doc.content_hash


def test_a_file_rewritten_between_scan_and_read_fails_for_this_run(tree: Path, opener: str) -> None:
    """Same inode, other bytes: the bytes read must hash as the scan's, else they are not handed out."""
    source = LocalFolderConnector(tree, max_file_size=10_000)
    items = source.scan()
    doc = _until(items, "public/x/gehalt.txt")
    with open(tree / "public/x/gehalt.txt", "r+b") as handle:  # in place: the inode stays
        handle.write(HR_BYTES)
    with pytest.raises(ItemError, match="changed since the scan"):
        source.read(doc)


def test_read_only_reads_what_this_connectors_scan_yielded(tree: Path, opener: str) -> None:
    """A document from elsewhere (another instance, a forged path) has no scanned identity: refused."""
    scanned = _until(iter(LocalFolderConnector(tree, max_file_size=10_000).scan()), "public/x/a.txt")
    with pytest.raises(ItemError, match="not a file this connector's scan yielded"):
        LocalFolderConnector(tree, max_file_size=10_000).read(scanned)


@pytest.mark.parametrize("rel", ["../outside.txt", "/etc/passwd", "link/gehalt.txt", "a/../hr/gehalt.txt", ""])
def test_open_beneath_never_leaves_the_root_nor_follows_a_link(tmp_path: Path, opener: str, rel: str) -> None:
    root = tmp_path / "root"
    put(root, "hr/gehalt.txt", HR_BYTES)
    (root / "a").mkdir()
    (root / "link").symlink_to("hr", target_is_directory=True)
    put(tmp_path, "outside.txt", "outside")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(OSError):
            os.close(beneath.open_beneath(fd, rel))
        handle = beneath.open_beneath(fd, "hr/gehalt.txt")
        assert beneath.read_all(handle, 100) == HR_BYTES
        os.close(handle)
    finally:
        os.close(fd)


def test_a_sidecar_is_read_through_its_folders_handle(tree: Path, opener: str) -> None:
    """The folder ACL that decides for ``public/x/...`` is the one of the folder the files were listed
    in: a link swapped in afterwards cannot lend HR's sidecar to public files either."""
    folder_acl(tree, "public/x", {"allow": ["group:staff"]})
    source = LocalFolderConnector(tree, max_file_size=10_000)
    items = source.scan()
    first = _until(items, "public/x/a.txt")
    assert first.acl.allow == {"group:staff"}
    os.replace(tree / "public/x/.acl.json", tree / "public/x/old.acl")
    (tree / "public/x/.acl.json").symlink_to(tree / "hr/.acl.json")
    later = _until(items, "public/x/gehalt.txt")
    assert later.acl.allow == {"group:staff"}  # decided once per listed folder
    fresh = {i.source_uri: i for i in LocalFolderConnector(tree, max_file_size=10_000).scan()}
    failed = fresh[(tree / "public/x/a.txt").as_uri()]
    assert isinstance(failed, FailedItem) and "symbolic link" in failed.reason  # and never HR's ACL


def test_the_walk_holds_only_its_ancestors_handles_and_closes_them(tree: Path, opener: str) -> None:
    """Handles are per depth, not per folder, and none is left open after a scan, finished or abandoned."""
    for n in range(50):
        put(tree, f"public/many/f{n:02d}/doc.txt", f"doc {n}")
    before = len(os.listdir("/proc/self/fd"))
    source = LocalFolderConnector(tree, max_file_size=10_000)
    items = source.scan()
    assert isinstance(items, Generator)
    _until(items, "public/many/f10/doc.txt")
    assert len(os.listdir("/proc/self/fd")) - before <= 5  # root, public, many, f10 (+ the listing)
    items.close()
    assert len(os.listdir("/proc/self/fd")) == before
    assert len(list(source.scan())) > 50
    assert len(os.listdir("/proc/self/fd")) == before
