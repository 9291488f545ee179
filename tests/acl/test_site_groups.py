"""SharePoint site groups: a caller holds ``spgroup:`` tokens exactly for the site groups that name one of
their tokens, from a store that is replaced a whole site at a time and that fails closed when unreadable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.acl.principals import emittable_of
from ragwarden.acl.site_groups import SiteGroupResolver, SiteGroupStore
from ragwarden.core.errors import AccessControlError, DirectoryUnavailableError
from ragwarden.testing.fakes.directory import ALICE_SID, STAFF_SID, ScriptedDirectory

SITE_A = "e1b7a6f8-3c1d-4e5a-9b2c-7d8e9f0a1b2c"
SITE_B = "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a"
BOB_SID = "sid:S-1-5-21-1-2-3-1002"
ADELE = tokens.entra("87d349ed-44d7-43e1-9a83-5f2406dee5bd")
TENANT = tokens.entra("72f988bf-86f1-41af-91ab-2d7cd011db47")


def group(site: str, gid: int) -> str:
    return tokens.spgroup(site, str(gid))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SiteGroupStore]:
    s = SiteGroupStore(tmp_path / "site_groups.sqlite")
    yield s
    s.close()


# --- the store ------------------------------------------------------------------------------------------


def test_groups_of_is_every_group_with_a_member_among_the_tokens(store: SiteGroupStore) -> None:
    store.replace(SITE_A, {
        group(SITE_A, 3): frozenset({STAFF_SID, ADELE}),
        group(SITE_A, 4): frozenset({BOB_SID}),
        group(SITE_A, 5): frozenset(),
    })
    assert store.groups_of(frozenset({ALICE_SID, STAFF_SID})) == {group(SITE_A, 3)}
    assert store.groups_of(frozenset({ADELE, BOB_SID})) == {group(SITE_A, 3), group(SITE_A, 4)}
    assert store.groups_of(frozenset({"sid:S-1-5-21-9-9-9-999"})) == frozenset()
    assert store.groups_of(frozenset()) == frozenset()


def test_a_new_snapshot_replaces_the_whole_site(store: SiteGroupStore) -> None:
    store.replace(SITE_A, {group(SITE_A, 3): frozenset({STAFF_SID}), group(SITE_A, 4): frozenset({BOB_SID})})
    store.replace(SITE_A, {group(SITE_A, 3): frozenset({ADELE})})
    assert store.groups_of(frozenset({STAFF_SID, BOB_SID})) == frozenset()  # removed member, removed group
    assert store.groups_of(frozenset({ADELE})) == {group(SITE_A, 3)}
    store.replace(SITE_A, {})
    assert store.groups_of(frozenset({ADELE})) == frozenset()


def test_two_sites_do_not_overwrite_each_other(store: SiteGroupStore) -> None:
    """Group ids are per site: group 3 of one site is not group 3 of another."""
    store.replace(SITE_A, {group(SITE_A, 3): frozenset({STAFF_SID})})
    store.replace(SITE_B, {group(SITE_B, 3): frozenset({BOB_SID, STAFF_SID})})
    assert store.groups_of(frozenset({STAFF_SID})) == {group(SITE_A, 3), group(SITE_B, 3)}
    store.replace(SITE_B, {})
    assert store.groups_of(frozenset({STAFF_SID, BOB_SID})) == {group(SITE_A, 3)}


def test_the_snapshot_is_on_disk_for_other_processes(store: SiteGroupStore, tmp_path: Path) -> None:
    store.replace(SITE_A.upper(), {group(SITE_A, 3): frozenset({TENANT})})
    other = SiteGroupStore(tmp_path / "site_groups.sqlite")
    try:
        assert other.groups_of(frozenset({TENANT})) == {group(SITE_A, 3)}
    finally:
        other.close()


def test_many_tokens_are_asked_in_chunks(store: SiteGroupStore) -> None:
    many = frozenset(tokens.sid(f"S-1-5-21-1-2-3-{5000 + n}") for n in range(1300))
    store.replace(SITE_A, {group(SITE_A, 7): frozenset({tokens.sid("S-1-5-21-1-2-3-6299")})})
    assert store.groups_of(many) == {group(SITE_A, 7)}


@pytest.mark.parametrize(
    "members",
    [
        {group(SITE_B, 3): frozenset({STAFF_SID})},  # a group of another site
        {"group:hr": frozenset({STAFF_SID})},  # not a site group
        {group(SITE_A, 3): frozenset({group(SITE_A, 4)})},  # SharePoint groups do not nest
        {group(SITE_A, 3): frozenset({"sid:not-a-sid"})},
        {group(SITE_A, 3): "sid:S-1-5-21-1-2-3-1001"},  # a string is not a set of members
    ],
)
def test_an_invalid_snapshot_is_refused_and_the_old_one_stays(store: SiteGroupStore, members: dict) -> None:
    store.replace(SITE_A, {group(SITE_A, 3): frozenset({STAFF_SID})})
    with pytest.raises(AccessControlError):
        store.replace(SITE_A, members)
    assert store.groups_of(frozenset({STAFF_SID})) == {group(SITE_A, 3)}


def test_a_reader_never_sees_half_a_snapshot(tmp_path: Path) -> None:
    """Another connection reads while the snapshot flips between two sets of 400 groups."""
    path = tmp_path / "site_groups.sqlite"
    writer, reader = SiteGroupStore(path), SiteGroupStore(path)
    first = {group(SITE_A, n): frozenset({STAFF_SID}) for n in range(400)}
    second = {group(SITE_A, n): frozenset({STAFF_SID}) for n in range(1000, 1400)}
    writer.replace(SITE_A, first)
    stop, seen, flips = threading.Event(), [], [0]

    def flip() -> None:
        while not stop.is_set():
            writer.replace(SITE_A, second)
            writer.replace(SITE_A, first)
            flips[0] += 1

    thread = threading.Thread(target=flip)
    thread.start()
    try:
        for _ in range(150):
            seen.append(reader.groups_of(frozenset({STAFF_SID})))
    finally:
        stop.set()
        thread.join()
        writer.close()
        reader.close()
    assert flips[0] > 0  # the snapshot did change under the reader
    assert all(s in (set(first), set(second)) for s in seen), {len(s) for s in seen}


def test_a_corrupt_store_is_unavailable_not_empty(tmp_path: Path) -> None:
    path = tmp_path / "site_groups.sqlite"
    path.write_bytes(b"this is not a SQLite database " * 200)
    store = SiteGroupStore(path)
    with pytest.raises(DirectoryUnavailableError):
        store.groups_of(frozenset({STAFF_SID}))
    with pytest.raises(DirectoryUnavailableError):
        store.replace(SITE_A, {group(SITE_A, 3): frozenset({STAFF_SID})})
    path.unlink()  # repaired: the next call opens the file afresh
    store.replace(SITE_A, {group(SITE_A, 3): frozenset({STAFF_SID})})
    assert store.groups_of(frozenset({STAFF_SID})) == {group(SITE_A, 3)}
    store.close()


def test_an_unreadable_store_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "site_groups.sqlite"
    path.mkdir()  # a folder where the file should be: cannot be opened, whoever runs the test
    with pytest.raises(DirectoryUnavailableError):
        SiteGroupStore(path).groups_of(frozenset({STAFF_SID}))


# --- the resolver ---------------------------------------------------------------------------------------


@pytest.fixture
def resolver(store: SiteGroupStore) -> SiteGroupResolver:
    directory = ScriptedDirectory()
    directory.groups |= {"bob": {BOB_SID}, "dave": {STAFF_SID}}
    directory.disabled.add("dave")
    store.replace(SITE_A, {group(SITE_A, 3): frozenset({STAFF_SID}), group(SITE_A, 4): frozenset({BOB_SID})})
    store.replace(SITE_B, {group(SITE_B, 9): frozenset({ALICE_SID})})
    return SiteGroupResolver(directory, store)


def test_a_caller_gets_the_site_groups_they_are_a_member_of_and_no_others(resolver: SiteGroupResolver) -> None:
    scope = resolver.resolve("alice")
    assert scope.principal == "alice"
    assert scope.tokens == {ALICE_SID, STAFF_SID, group(SITE_A, 3), group(SITE_B, 9)}
    assert resolver.resolve("bob").tokens == {BOB_SID, group(SITE_A, 4)}


def test_an_empty_scope_stays_empty_whatever_the_store_holds(resolver: SiteGroupResolver) -> None:
    resolver.store.replace(SITE_B, {group(SITE_B, 1): frozenset({TENANT, STAFF_SID})})
    assert resolver.resolve("dave").is_empty  # disabled
    assert resolver.resolve("nobody").is_empty


def test_the_resolver_fails_closed_when_the_store_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"\x00garbage" * 512)
    with pytest.raises(DirectoryUnavailableError):
        SiteGroupResolver(ScriptedDirectory(), SiteGroupStore(path)).resolve("alice")


def test_a_directory_outage_is_raised_as_it_is(resolver: SiteGroupResolver) -> None:
    assert isinstance(resolver.inner, ScriptedDirectory)
    resolver.inner.failure = DirectoryUnavailableError("down")
    with pytest.raises(DirectoryUnavailableError):
        resolver.resolve("alice")


def test_describe_is_the_inner_resolvers(resolver: SiteGroupResolver) -> None:
    assert resolver.describe(ALICE_SID) == "CORP\\alice"


def test_it_emits_site_groups_besides_what_the_wrapped_directory_emits(store: SiteGroupStore) -> None:
    local = LocalDirectory.from_mapping({"users": {"alice": {"groups": ["hr"]}}, "groups": {"hr": {}}})
    wrapped = SiteGroupResolver(CachingResolver(local, ttl=60), store)
    can = wrapped.emittable()
    assert "group:hr" in can and group(SITE_A, 3) in can and "sid:S-1-5-21-1-2-3-1001" not in can
    assert emittable_of([wrapped]) == can
    assert emittable_of([SiteGroupResolver(ScriptedDirectory(), store)]).kinds == {"spgroup"}


# --- the wiring -----------------------------------------------------------------------------------------


def test_site_groups_are_emittable_for_entra_callers_and_never_for_local_directory_names(tmp_path: Path) -> None:
    """A local directory's ``user:``/``group:`` names are never site group members: it is not wrapped, and an
    ``spgroup:`` grant fails to index instead of being indexed for nobody. Entra callers get site groups."""
    from typing import Any, cast

    from ragwarden.core.settings import load_settings
    from ragwarden.services import Services, build_directory

    (tmp_path / "directory.yaml").write_text("users:\n  hanna: {groups: [hr]}\ngroups:\n  hr: {}\n")
    plain = {"data_dir": tmp_path / "data", "directory_file": tmp_path / "directory.yaml", "proxy_secret": "x" * 20}
    settings = load_settings(**plain)
    directory = build_directory(settings)
    assert isinstance(directory, LocalDirectory)
    nothing = cast(Any, None)  # principals() reads the settings and the directory only
    local = Services(settings, nothing, nothing, nothing, directory, nothing)
    assert group(SITE_A, 3) not in local.principals()
    entra = {"auth_mode": "trusted-header,entra", "entra_tenant_id": TENANT.partition(":")[2],
             "entra_audience": ["api://x"]}
    with_entra = Services(load_settings(**plain, **entra), nothing, nothing, nothing, directory, nothing)
    assert group(SITE_A, 3) in with_entra.principals() and TENANT in with_entra.principals()
