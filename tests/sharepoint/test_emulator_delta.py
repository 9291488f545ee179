"""The emulator's ``/drives/{id}/root/delta``: paging, tokens, duplicates, 410 resync, the sharing annotations
under the ``Prefer`` header of each page, and each documented Graph defect on (the default) and off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import Defects, SharePointEmulator, World
from tests.sharepoint.emulator_support import Caller, Tree, build_tree

MARK = "@microsoft.graph.sharedChanged"
IDEAL = Defects(inheriting_children_omitted=False, no_shared_changed_on_removal=False,
                link_member_added_silent=False, folders_never_marked=False)  # fmt: skip


@pytest.fixture
def world(ms: FakeMicrosoft) -> World:
    return World(tenant_id=ms.tenant_id, seed=5)


@pytest.fixture
def tree(world: World) -> Tree:
    return build_tree(world)


@pytest.fixture
def em(ms: FakeMicrosoft, world: World, tree: Tree, tmp_path: Path) -> Iterator[SharePointEmulator]:
    emulator = SharePointEmulator(tmp_path, world, ms, page_size=5)
    yield emulator
    emulator.stop()


@pytest.fixture
def graph(ms: FakeMicrosoft, em: SharePointEmulator) -> Caller:
    return Caller(ms, em, em.graph_scope)


def _start(world: World) -> str:
    return f"/drives/{world.drive}/root/delta"


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in items}


def test_the_first_enumeration_pages_through_every_item_parents_first(
    graph: Caller, em: SharePointEmulator, world: World, tree: Tree
) -> None:
    items, delta_link, pages = graph.delta(_start(world))
    assert pages == 2 and em.counts["delta"] == 2 and "token=" in delta_link
    assert [i["id"] for i in items][0] == world.root() and "root" in items[0]
    assert {i["id"] for i in items} == {world.root(), *vars(tree).values()}
    seen: set[str] = set()
    for item in items:
        assert item.get("parentReference", {}).get("id", world.root()) in seen | {world.root()}
        assert "path" not in item["parentReference"] and MARK not in item
        seen.add(item["id"])
    readme = _by_id(items)[tree.readme]
    assert readme["name"] == "Grüße an O'Brien.txt" and readme["size"] == 5
    assert readme["file"]["hashes"]["quickXorHash"] and readme["cTag"].startswith('"c:{')


def test_a_delta_link_returns_each_changed_item_once_in_its_current_state(
    graph: Caller, world: World, tree: Tree
) -> None:
    _, delta_link, _ = graph.delta(_start(world))
    new = world.add_file(tree.public, "new.txt", b"new")
    world.set_content(tree.report, b"v2")
    world.set_content(tree.report, b"version 3")
    world.rename(tree.q1, "Q1 2026")
    world.move(tree.top, tree.public)
    world.delete(tree.finance)  # with report.docx and Q1 below it
    items, _, _ = graph.delta(delta_link)
    found = _by_id(items)
    assert set(found) == {new, tree.report, tree.q1, tree.top, tree.finance}
    assert all("deleted" in found[i] for i in (tree.finance, tree.report, tree.q1))
    assert found[tree.top]["parentReference"]["id"] == tree.public and found[new]["size"] == 3


def test_content_changes_move_the_ctag_and_the_hash(graph: Caller, world: World, tree: Tree) -> None:
    before, delta_link, _ = graph.delta(_start(world))
    world.set_content(tree.readme, b"changed")
    after, _, _ = graph.delta(delta_link)
    old, new = _by_id(before)[tree.readme], after[0]
    assert old["cTag"] != new["cTag"] and old["eTag"] != new["eTag"]
    assert old["file"]["hashes"] != new["file"]["hashes"]


def test_token_latest_starts_from_now(graph: Caller, world: World, tree: Tree) -> None:
    items, delta_link, _ = graph.delta(f"{_start(world)}?token=latest")
    assert items == []
    world.rename(tree.top, "renamed.txt")
    assert [i["name"] for i in graph.delta(delta_link)[0]] == ["renamed.txt"]


def test_top_asks_for_smaller_pages(graph: Caller, world: World) -> None:
    assert graph.delta(f"{_start(world)}?$top=2")[2] == 4


def test_duplicates_repeat_an_item_across_pages(graph: Caller, em: SharePointEmulator, world: World) -> None:
    em.delta.duplicates = True
    items, _, pages = graph.delta(_start(world))
    ids = [i["id"] for i in items]
    assert pages == 2 and len(ids) == len(set(ids)) + 1 and len(set(ids)) == 8


def test_an_expired_token_answers_410_with_a_location_for_a_fresh_enumeration(
    graph: Caller, em: SharePointEmulator, world: World
) -> None:
    _, delta_link, _ = graph.delta(_start(world))
    em.delta.expire()
    gone = graph.get(delta_link)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "resyncRequired"
    items, _, _ = graph.delta(gone.headers["Location"])
    assert len(items) == 8


def test_an_expiry_between_pages_answers_410_on_the_next_page(
    graph: Caller, em: SharePointEmulator, world: World
) -> None:
    first = graph.get(_start(world), Prefer="hierarchicalsharing").json()
    em.delta.expire(world.drive)
    assert graph.get(first["@odata.nextLink"]).status_code == 410


def test_a_permission_change_is_marked_only_when_every_page_asks_for_it(
    graph: Caller, world: World, tree: Tree
) -> None:
    items, delta_link, _ = graph.delta(_start(world))
    assert not any(MARK in i for i in items)  # never on the first enumeration
    files = [world.add_file(tree.public, f"f{n}.txt", b"x") for n in range(6)]
    _, delta_link, _ = graph.delta(delta_link)
    for f in files:
        world.grant(f, "user", world.add_user(f"u{f[-4:]}"), "read")
    first = graph.get(delta_link, Prefer="deltashowsharingchanges, deltashowremovedasdeleted, "
                      "deltatraversepermissiongaps").json()  # fmt: skip
    assert [MARK in i for i in first["value"]] == [True] * 5
    second = graph.get(first["@odata.nextLink"]).json()  # this page forgot the header
    assert [MARK in i for i in second["value"]] == [False]
    assert not any(MARK in i for i in graph.delta(delta_link, prefer="deltashowsharingchanges")[0])


def test_removed_access_comes_back_unmarked_unless_the_defect_is_off(
    graph: Caller, em: SharePointEmulator, world: World, tree: Tree
) -> None:
    grant = world.grant(tree.readme, "user", world.add_user("ann"), "read")
    _, delta_link, _ = graph.delta(_start(world))
    world.revoke(tree.readme, grant)
    assert [(i["id"], MARK in i) for i in graph.delta(delta_link)[0]] == [(tree.readme, False)]
    em.delta.defects = IDEAL
    assert [(i["id"], MARK in i) for i in graph.delta(delta_link)[0]] == [(tree.readme, True)]


def test_a_folder_permission_change_returns_the_folder_only_unless_the_defect_is_off(
    graph: Caller, em: SharePointEmulator, world: World, tree: Tree
) -> None:
    world.grant(tree.numbers, "user", world.add_user("own"), "read")  # numbers.xlsx keeps its own permissions
    _, delta_link, _ = graph.delta(_start(world))
    world.grant(tree.finance, "user", world.add_user("ann"), "read")
    assert [(i["id"], MARK in i) for i in graph.delta(delta_link)[0]] == [(tree.finance, False)]
    em.delta.defects = IDEAL
    marked = {i["id"]: MARK in i for i in graph.delta(delta_link)[0]}
    assert marked == {tree.finance: True, tree.report: True, tree.q1: True}


def test_adding_a_person_to_an_existing_link_is_silent_unless_the_defect_is_off(
    graph: Caller, em: SharePointEmulator, world: World, tree: Tree
) -> None:
    link = world.add_link(tree.readme, "users", identities=(world.add_user("ann"),))
    _, delta_link, _ = graph.delta(_start(world))
    world.add_link_identity(tree.readme, link, world.add_user("bob"))
    assert graph.delta(delta_link)[0] == []
    em.delta.defects = IDEAL
    assert [(i["id"], MARK in i) for i in graph.delta(delta_link)[0]] == [(tree.readme, True)]


def test_hierarchical_sharing_shows_the_shared_facet_on_permission_roots_only(
    graph: Caller, world: World, tree: Tree
) -> None:
    world.grant(tree.finance, "user", world.add_user("ann"), "read")
    hierarchical = _by_id(graph.delta(_start(world), prefer="hierarchicalsharing")[0])
    assert {i for i, item in hierarchical.items() if "shared" in item} == {tree.finance}
    flat = _by_id(graph.delta(_start(world), prefer=None)[0])
    assert {i for i, item in flat.items() if "shared" in item} == {tree.finance, tree.report, tree.q1, tree.numbers}


def test_a_malformed_token_is_a_bad_request(graph: Caller, world: World) -> None:
    assert graph.get(f"{_start(world)}?token=nonsense!").status_code == 400
