"""The SharePoint oracle on hand-built worlds: the research note's hard cases, one invariant each."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ragwarden.testing.microsoft.sharepoint import TOKEN_MODEL, Policy, World, can_read, readers, under_granted
from ragwarden.testing.microsoft.sharepoint.model import EVERYONE_LOGIN, eeeu_login
from tests.sharepoint.emulator_support import Tree, build_tree


@pytest.fixture
def world() -> World:
    return World(seed=7)


@pytest.fixture
def tree(world: World) -> Tree:
    return build_tree(world)


def _member(world: World, name: str, **kw: object) -> str:
    """A user in the site's Members group (write on every drive root)."""
    oid = world.add_user(name, **kw)  # type: ignore[arg-type]
    world.add_site_group_member(world.members_group, world.login_of(oid))
    return oid


def test_broken_inheritance_on_a_folder_decides_for_every_descendant(world: World, tree: Tree) -> None:
    member, auditor = _member(world, "member"), world.add_user("auditor")
    world.break_inheritance(tree.finance, copy=False)
    world.grant(tree.finance, "user", auditor, "read")
    for item in (tree.finance, tree.report, tree.q1, tree.numbers):
        assert can_read(world, auditor, item) and not can_read(world, member, item)
    assert can_read(world, member, tree.readme) and not can_read(world, auditor, tree.readme)


def test_restored_inheritance_gives_the_descendants_the_parents_permissions_again(world: World, tree: Tree) -> None:
    member, auditor = _member(world, "member"), world.add_user("auditor")
    world.break_inheritance(tree.finance, copy=False)
    world.grant(tree.finance, "user", auditor, "read")
    world.restore_inheritance(tree.finance)
    assert can_read(world, member, tree.numbers) and not can_read(world, auditor, tree.numbers)


def test_granting_on_an_inheriting_item_keeps_the_inherited_readers(world: World, tree: Tree) -> None:
    member, guest = _member(world, "member"), world.add_user("guest", guest=True)
    world.grant(tree.report, "user", guest, "read")
    assert can_read(world, member, tree.report) and can_read(world, guest, tree.report)
    assert not can_read(world, guest, tree.numbers)


def test_limited_access_on_a_parent_grants_nothing_below_it(world: World, tree: Tree) -> None:
    user = world.add_user("user")
    world.grant(tree.finance, "user", user, "limited")
    assert not can_read(world, user, tree.finance) and not can_read(world, user, tree.report)
    world.grant(tree.numbers, "user", user, "read")  # what SharePoint does when sharing a file below it
    assert can_read(world, user, tree.numbers) and not can_read(world, user, tree.q1)


def test_an_organization_link_grants_only_its_listed_people_unless_opted_in(world: World, tree: Tree) -> None:
    listed, other, guest = world.add_user("listed"), world.add_user("other"), world.add_user("g", guest=True)
    world.add_link(tree.report, "organization", identities=(listed,))
    assert can_read(world, listed, tree.report) and not can_read(world, other, tree.report)
    opted = Policy(organization_links=True)
    assert can_read(world, other, tree.report, opted) and not can_read(world, guest, tree.report, opted)


def test_an_anyone_link_grants_nobody_by_default(world: World, tree: Tree) -> None:
    user = world.add_user("user")
    world.add_link(tree.report, "anonymous")
    assert not can_read(world, user, tree.report)
    assert can_read(world, user, tree.report, Policy(anonymous_links=True))


def test_people_listed_on_an_anyone_link_are_a_documented_under_grant(world: World, tree: Tree) -> None:
    listed, guest = world.add_user("listed"), world.add_user("guest", guest=True)
    world.add_link(tree.report, "anonymous", identities=(listed, guest))
    assert can_read(world, listed, tree.report) and not can_read(world, listed, tree.report, TOKEN_MODEL)
    assert under_granted(world, listed, tree.report) and under_granted(world, guest, tree.report)
    opted = Policy(anonymous_links=True)  # the tenant token then reaches the listed member, never the guest
    assert can_read(world, listed, tree.report, replace(TOKEN_MODEL, anonymous_links=True))
    assert under_granted(world, guest, tree.report, opted) and not under_granted(world, listed, tree.report, opted)


def test_a_specific_people_link_reaches_people_added_later_and_nobody_else(world: World, tree: Tree) -> None:
    first, later, other = world.add_user("first"), world.add_user("later"), world.add_user("other")
    link = world.add_link(tree.finance, "users", identities=(first,))
    world.add_link_identity(tree.finance, link, later)
    assert readers(world, tree.numbers) >= {first, later} and other not in readers(world, tree.numbers)


def test_an_existing_access_link_grants_nothing_new(world: World, tree: Tree) -> None:
    user = world.add_user("user")
    world.add_link(tree.report, "existingAccess", identities=(user,))
    assert not can_read(world, user, tree.report)


def test_expired_links_and_grants_grant_nothing(world: World, tree: Tree) -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    world.clock = lambda: now
    by_link, by_grant = world.add_user("bylink"), world.add_user("bygrant")
    world.add_link(tree.report, "users", identities=(by_link,), expires=now - timedelta(minutes=1))
    world.grant(tree.report, "user", by_grant, "read", expires=now - timedelta(seconds=1))
    assert not can_read(world, by_link, tree.report) and not can_read(world, by_grant, tree.report)
    world.clock = lambda: now - timedelta(hours=1)
    assert can_read(world, by_link, tree.report) and can_read(world, by_grant, tree.report)


def test_a_pending_invitation_grants_nothing_until_redeemed(world: World, tree: Tree) -> None:
    guest = world.add_user("ext", guest=True)
    invitation = world.invite(tree.report, "ext@partner.example")
    assert readers(world, tree.report) == set()
    world.redeem(tree.report, invitation, guest)
    assert readers(world, tree.report) == {guest}


def test_everyone_except_external_users_excludes_guests_and_everyone_includes_them(world: World, tree: Tree) -> None:
    member, guest = world.add_user("member"), world.add_user("guest", guest=True)
    world.grant(tree.report, "eeeu", role="read")
    world.grant(tree.readme, "everyone", role="read")
    assert can_read(world, member, tree.report) and not can_read(world, guest, tree.report)
    assert can_read(world, member, tree.readme) and can_read(world, guest, tree.readme)
    token_model = Policy(guests_in_everyone=False)
    assert not can_read(world, guest, tree.readme, token_model)
    assert under_granted(world, guest, tree.readme) and not under_granted(world, member, tree.readme)
    assert not under_granted(world, guest, tree.report)


def test_everyone_claims_as_site_group_members(world: World, tree: Tree) -> None:
    member, guest = world.add_user("member"), world.add_user("guest", guest=True)
    world.add_site_group_member(world.visitors_group, eeeu_login(world.tenant_id))
    assert can_read(world, member, tree.top) and not can_read(world, guest, tree.top)
    world.add_site_group_member(world.visitors_group, EVERYONE_LOGIN)
    assert can_read(world, guest, tree.top) and under_granted(world, guest, tree.top)


def test_a_site_group_reaches_the_members_of_a_nested_entra_group(world: World, tree: Tree) -> None:
    user, outsider = world.add_user("nested"), world.add_user("outsider")
    inner = world.add_group("inner", members=(user,))
    outer = world.add_group("outer", members=(inner,))
    auditors = world.add_site_group("Auditors", (world.login_of(outer),))
    world.break_inheritance(tree.finance, copy=False)
    world.grant(tree.finance, "siteGroup", auditors, "read")
    assert can_read(world, user, tree.numbers) and not can_read(world, outsider, tree.numbers)
    world.remove_group_member(inner, user)
    assert not can_read(world, user, tree.numbers)


def test_removing_a_member_from_a_site_group_takes_access_away(world: World, tree: Tree) -> None:
    member = _member(world, "member")
    world.remove_site_group_member(world.members_group, world.login_of(member))
    assert not can_read(world, member, tree.top)


def test_m365_owners_grant_reaches_owners_not_members(world: World, tree: Tree) -> None:
    owner, member = world.add_user("owner"), world.add_user("member")
    team = world.add_group("Team", members=(member,), owners=(owner,), unified=True)
    world.grant(tree.report, "owners", team, "read")
    world.add_site_group_member(world.visitors_group, world.login_of(team))
    assert can_read(world, owner, tree.report) and not can_read(world, owner, tree.top)
    assert can_read(world, member, tree.top) and can_read(world, member, tree.report)  # visitors inherited
    assert not can_read(world, owner, tree.report, TOKEN_MODEL) and under_granted(world, owner, tree.report)


def test_restricted_access_control_needs_membership_in_a_rac_group(world: World, tree: Tree) -> None:
    inside, outside = _member(world, "inside"), _member(world, "outside")
    world.set_rac(world.add_group("Finance team", members=(inside,)))
    assert can_read(world, inside, tree.top) and not can_read(world, outside, tree.top)
    world.set_rac()
    assert can_read(world, outside, tree.top)


def test_disabled_and_deleted_users_read_nothing(world: World, tree: Tree) -> None:
    disabled, deleted = _member(world, "disabled"), _member(world, "deleted")
    world.disable_user(disabled)
    world.delete_user(deleted)
    assert not can_read(world, disabled, tree.top) and not can_read(world, deleted, tree.top)


def test_deleted_items_are_read_by_nobody(world: World, tree: Tree) -> None:
    member = _member(world, "member")
    world.delete(tree.finance)
    assert not can_read(world, member, tree.numbers) and can_read(world, member, tree.top)


def test_a_file_moved_into_a_restricted_folder_takes_its_permissions(world: World, tree: Tree) -> None:
    member = _member(world, "member")
    world.break_inheritance(tree.finance, copy=False)
    world.grant(tree.finance, "user", world.add_user("cfo"), "read")
    world.move(tree.top, tree.q1)
    assert not can_read(world, member, tree.top)
