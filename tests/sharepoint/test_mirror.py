"""The SharePoint mirror: delta pages in (upserts, moves, deletes with descendants, duplicates: the last wins),
paths from the parent chain, dirty marks where Graph does not report inheriting children, and generations that
replace each other only when an enumeration is complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.connectors.sharepoint.mirror import AclResult, Drive, Mirror
from ragwarden.core.models import AccessControl

ACL = AccessControl(frozenset({"entra:00000000-0000-0000-0000-00000000000a"}))


def root() -> dict[str, Any]:
    return {"id": "root", "root": {}, "folder": {}, "name": "root"}


def folder(item_id: str, parent: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"id": item_id, "name": name or item_id, "folder": {}, "parentReference": {"id": parent}}
    return {**body, "eTag": f"e-{item_id}", **extra}


def file(item_id: str, parent: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"id": item_id, "name": name or f"{item_id}.txt", "size": 10, "parentReference": {"id": parent}}
    return {**body, "eTag": f"e-{item_id}", "file": {"hashes": {"quickXorHash": f"h-{item_id}"}}, **extra}


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    m = Mirror(tmp_path / "mirror.sqlite")
    m.set_drives([Drive("d", "site", "Dokumente")])
    generation = m.begin_enumeration("d")
    m.apply_page("d", generation, [root(), folder("hr", "root"), folder("sub", "hr"), file("a", "sub")])
    m.apply_page("d", generation, [file("b", "root"), file("c", "hr")])
    m.finish("d", generation, "delta-1", now=1000.0)
    settle(m, ["a", "b", "c"])
    yield m
    m.close()


def settle(m: Mirror, ids: list[str]) -> None:
    m.store_acls("d", [AclResult(i, ACL, (), "fp") for i in ids])


def paths(m: Mirror) -> dict[str, str]:
    return {f.item_id: f.path for f in m.files()}


def incremental(m: Mirror, *pages: list[dict[str, Any]]) -> None:
    generation, listed = m.drive("d").generation, set[str]()
    for items in pages:
        m.apply_page("d", generation, items, listed)
    m.finish("d", generation, "delta-next", now=2000.0)


def test_a_full_enumeration_yields_every_file_with_its_path(mirror: Mirror) -> None:
    assert paths(mirror) == {"a": "hr/sub/a.txt", "b": "b.txt", "c": "hr/c.txt"}
    assert mirror.dirty_files("d", 1000) == []


def test_a_moved_folder_marks_every_descendant_dirty(mirror: Mirror) -> None:
    incremental(mirror, [folder("sub", "root", eTag="e-sub-2")])  # Graph lists the folder, not what is below it
    assert paths(mirror)["a"] == "sub/a.txt"
    assert mirror.dirty_files("d", 1000) == ["a"]


def test_a_renamed_folder_moves_paths_but_marks_nothing_dirty(mirror: Mirror) -> None:
    incremental(mirror, [folder("hr", "root", "Personal", eTag="e-hr-2")], [folder("hr", "root", "Personal",
                eTag="e-hr-2")])  # fmt: skip
    assert paths(mirror) == {"a": "Personal/sub/a.txt", "b": "b.txt", "c": "Personal/c.txt"}
    assert mirror.dirty_files("d", 1000) == []  # nor does the same folder repeated on the next page


def test_a_folder_listed_with_its_etag_unchanged_marks_its_descendants(mirror: Mirror) -> None:
    """What a folder permission change looks like with Graph's defects: the folder, unmarked, alone."""
    incremental(mirror, [folder("sub", "hr")])
    assert mirror.dirty_files("d", 1000) == ["a"]


def test_a_listed_file_is_read_again_even_without_a_sharing_mark(mirror: Mirror) -> None:
    """Graph does not mark a file whose access was removed (#1248): every listed file is dirty."""
    incremental(mirror, [file("b", "root")])
    assert mirror.dirty_files("d", 1000) == ["b"]


def test_a_sharing_change_on_a_folder_marks_the_descendants_it_does_not_list(mirror: Mirror) -> None:
    incremental(mirror, [folder("hr", "root", "hr", eTag="x", **{"@microsoft.graph.sharedChanged": "True"})])
    assert sorted(mirror.dirty_files("d", 1000)) == ["a", "c"]


def test_inheritance_broken_or_restored_on_a_folder_marks_the_descendants(mirror: Mirror) -> None:
    incremental(mirror, [folder("sub", "hr", "sub", eTag="x1", shared={"scope": "users"})])
    assert mirror.dirty_files("d", 1000) == ["a"]
    settle(mirror, ["a"])
    incremental(mirror, [folder("sub", "hr", "sub", eTag="x2")])  # the shared facet is gone: inherits again
    assert mirror.dirty_files("d", 1000) == ["a"]


def test_a_deleted_folder_takes_its_descendants_with_it(mirror: Mirror) -> None:
    incremental(mirror, [{"id": "hr", "deleted": {"state": "deleted"}, "parentReference": {"id": "root"}}])
    assert paths(mirror) == {"b": "b.txt"}


def test_an_item_listed_twice_across_pages_keeps_the_last_state(mirror: Mirror) -> None:
    incremental(
        mirror,
        [file("n", "root", "eins.txt"), {"id": "b", "deleted": {}}],
        [file("n", "hr", "zwei.txt"), file("b", "root")],
    )
    assert paths(mirror)["n"] == "hr/zwei.txt" and "b" in paths(mirror)
    assert sorted(mirror.dirty_files("d", 1000)) == ["b", "n"]  # b came back: read its permissions again


def test_a_new_generation_replaces_the_old_one_only_when_complete(mirror: Mirror) -> None:
    generation = mirror.begin_enumeration("d")
    mirror.apply_page("d", generation, [root(), file("z", "root")])
    assert set(paths(mirror)) == {"a", "b", "c"}  # half an enumeration changes nothing
    again = mirror.begin_enumeration("d")  # the run failed; the next one starts over
    assert again == generation
    mirror.apply_page("d", again, [root(), file("b", "root")])
    assert set(paths(mirror)) == {"a", "b", "c"}
    mirror.apply_page("d", again, [file("y", "root")])
    mirror.finish("d", again, "delta-2", now=3000.0)
    assert set(paths(mirror)) == {"b", "y"}
    assert sorted(mirror.dirty_files("d", 1000)) == ["b", "y"]  # permissions unknown after a resync


def test_a_reconcile_marks_every_file_once_per_interval(mirror: Mirror) -> None:
    assert not mirror.reconcile_due("d", 3600, now=1000.0 + 60)
    assert mirror.reconcile_due("d", 3600, now=1000.0 + 3600)
    assert sorted(mirror.dirty_files("d", 1000)) == ["a", "b", "c"]
    assert not mirror.reconcile_due("d", 3600, now=1000.0 + 3700)  # marked: a failed run does not restart it


def test_unreadable_permissions_keep_the_file_dirty_and_without_acl(mirror: Mirror) -> None:
    mirror.store_acls("d", [AclResult("a", None, ("HTTP 403",), "", settled=False)])
    found = {f.item_id: f for f in mirror.files()}
    assert found["a"].acl is None and found["a"].pending and found["a"].problems == ("HTTP 403",)
    assert mirror.dirty_files("d", 1000) == ["a"] and found["b"].acl == ACL


def test_files_over_the_size_limit_are_not_worth_a_permission_read(mirror: Mirror) -> None:
    incremental(mirror, [file("big", "root", size=5000)])
    assert mirror.dirty_files("d", 1000) == [] and "big" in paths(mirror)


def test_a_drive_that_is_gone_is_forgotten_with_its_items(mirror: Mirror) -> None:
    mirror.set_drives([Drive("e", "site", "Archiv")])
    assert paths(mirror) == {} and [d.drive_id for d in mirror.drives()] == ["e"]
