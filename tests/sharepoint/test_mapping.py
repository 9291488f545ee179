"""SharePoint permissions to principal tokens: only what lets someone read grants, and only to whom it names.

The permission objects have the shapes of Microsoft Graph's ``permission`` resource (``grantedToV2`` with
``user``/``group``/``siteUser``/``siteGroup``, ``link`` with ``scope``, ``grantedToIdentitiesV2``,
``invitation``, ``expirationDateTime``, ``roles``) as SharePoint Online returns them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ragwarden.acl import tokens
from ragwarden.connectors.sharepoint.mapping import ItemAcl, MappingContext, item_acl, login_tokens
from ragwarden.core.errors import AccessControlError, DirectoryUnavailableError

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SITE = "E1B7A6F8-3C1D-4E5A-9B2C-7D8E9F0A1B2C"
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
ADELE = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"  # synced from AD
ADELE_SID = "S-1-5-21-1004336348-1177238915-682003330-1105"
MEGAN = "5bde3e51-d13b-4db1-9948-fe4b109d11a7"  # cloud only
HR = "02bd9fd6-8f93-4758-87c3-1fb73740a315"  # a synced security group
HR_SID = "S-1-5-21-1004336348-1177238915-682003330-4101"
TEAM = "f6e2a2d9-8a3b-4a5c-9d3e-1b2c3d4e5f60"  # a Microsoft 365 group
RAC = "0c4fa2a5-9a1f-4a38-8b3e-6a1d2c3b4a5f"


class Directory:
    """The directory as the mapper sees it: Graph objects by UPN and by id; ``down`` makes it fail."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {
            ADELE: {"id": ADELE, "onPremisesSecurityIdentifier": ADELE_SID, "userType": "Member"},
            MEGAN: {"id": MEGAN, "onPremisesSecurityIdentifier": None, "userType": "Member"},
            HR: {"id": HR, "onPremisesSecurityIdentifier": HR_SID},
            TEAM: {"id": TEAM, "onPremisesSecurityIdentifier": None},
            RAC: {"id": RAC},
        }
        self.upns = {"adelev@contoso.onmicrosoft.com": ADELE, "meganb@contoso.onmicrosoft.com": MEGAN}
        self.down = False
        self.asked: list[str] = []

    def user_by_upn(self, upn: str) -> dict[str, Any] | None:
        self.asked.append(upn)
        if self.down:
            raise DirectoryUnavailableError("Graph is down")
        oid = self.upns.get(upn.lower())
        return None if oid is None else self.by_id[oid]

    def object(self, object_id: str) -> dict[str, Any] | None:
        self.asked.append(object_id)
        if self.down:
            raise DirectoryUnavailableError("Graph is down")
        return self.by_id.get(object_id)


def ctx(**options: Any) -> MappingContext:
    return MappingContext(tenant_id=TENANT, site_collection_id=SITE, now=NOW, **options)


def mapped(*permissions: dict[str, Any], directory: Directory | None = None, **options: Any) -> ItemAcl:
    return item_acl(list(permissions), ctx(**options), directory or Directory())


def allowed(*permissions: dict[str, Any], **options: Any) -> frozenset[str]:
    result = mapped(*permissions, **options)
    return frozenset() if result.acl is None else result.acl.allow


def site_user(login: str, roles: tuple[str, ...] = ("read",), **extra: Any) -> dict[str, Any]:
    identity = {"siteUser": {"id": "14", "displayName": "x", "loginName": login}, **extra}
    return {"id": "aTowIy5m", "roles": list(roles), "grantedToV2": identity}


def user(oid: str, roles: tuple[str, ...] = ("write",), **extra: Any) -> dict[str, Any]:
    return {
        "id": f"perm-{oid[:4]}", "roles": list(roles),
        "grantedToV2": {
            "user": {"id": oid, "displayName": "Adele Vance", "email": "AdeleV@contoso.onmicrosoft.com"},
            "siteUser": {"id": "9", "displayName": "Adele Vance", "loginName": "i:0#.f|membership|adelev@contoso.com"},
        },
        **extra,
    }


SITE_GROUP_OWNERS = {"id": "T3duZXJz", "roles": ["owner"], "grantedToV2": {"siteGroup": {
    "id": "3", "displayName": "Marketing Owners", "loginName": "Marketing Owners"}}}
TENANT_TOKEN = tokens.entra(TENANT)
SPGROUP_3 = f"spgroup:{SITE.lower()}:3"


# --- who a grant names ----------------------------------------------------------------------------------


def test_a_synced_user_is_their_object_id_and_their_sid() -> None:
    assert allowed(user(ADELE)) == {tokens.entra(ADELE), tokens.sid(ADELE_SID)}


def test_a_cloud_only_user_is_their_object_id_alone() -> None:
    assert allowed(user(MEGAN)) == {tokens.entra(MEGAN)}


def test_an_entra_group_is_its_object_id_and_its_sid() -> None:
    permission = {"id": "Z3JvdXA", "roles": ["read"], "grantedToV2": {
        "group": {"id": HR, "displayName": "HR"},
        "siteUser": {"id": "11", "displayName": "HR", "loginName": f"c:0t.c|tenant|{HR}"}}}
    assert allowed(permission) == {tokens.entra(HR), tokens.sid(HR_SID)}


def test_a_site_group_is_an_spgroup_token_of_this_site_collection() -> None:
    assert allowed(SITE_GROUP_OWNERS) == {SPGROUP_3}
    zero_padded = {**SITE_GROUP_OWNERS, "grantedToV2": {"siteGroup": {"id": "03", "displayName": "x"}}}
    assert allowed(zero_padded) == {SPGROUP_3}  # the same group as REST's Id 3


def test_a_site_group_without_a_numeric_id_grants_nothing_and_says_so() -> None:
    result = mapped({**SITE_GROUP_OWNERS, "grantedToV2": {"siteGroup": {"id": "3; DROP", "displayName": "x"}}})
    assert result.acl is None and any("numeric id" in p for p in result.problems)


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ("i:0#.f|membership|AdeleV@contoso.onmicrosoft.com", {tokens.entra(ADELE), tokens.sid(ADELE_SID)}),
        ("i:0#.f|membership|meganb@contoso.onmicrosoft.com", {tokens.entra(MEGAN)}),
        (f"c:0t.c|tenant|{HR}", {tokens.entra(HR), tokens.sid(HR_SID)}),
        (f"c:0o.c|federateddirectoryclaimprovider|{TEAM}", {tokens.entra(TEAM)}),
        (f"c:0-.f|rolemanager|spo-grid-all-users/{TENANT}", {TENANT_TOKEN}),
        ("c:0(.s|true", {TENANT_TOKEN}),
    ],
    ids=["user-synced", "user-cloud", "security-group", "m365-members", "everyone-except-external", "everyone"],
)
def test_login_names_map_to_directory_tokens(login: str, expected: set[str]) -> None:
    assert login_tokens(login, ctx(), Directory()) == expected
    assert allowed(site_user(login)) == expected  # and a siteUser grant carrying it says the same


@pytest.mark.parametrize(
    "login",
    [
        "i:0#.f|membership|nobody@contoso.onmicrosoft.com",  # not in the directory
        f"c:0o.c|federateddirectoryclaimprovider|{TEAM}_o",  # the group's owners: not expanded
        f"c:0-.f|rolemanager|spo-grid-all-users/{RAC}",  # everyone except external users of another tenant
        "i:0#.w|contoso\\adele",  # a Windows claim (SharePoint Server)
        "c:0-.t|adfs|Finance Role",  # an ADFS role
        "Adele Vance",  # a display name where a claim should be
        "c:0t.c|tenant|not-a-guid",
        "i:0#.f|membership|../../groups@x",  # would change the Graph URL: never looked up
        "",
    ],
)
def test_login_names_that_name_no_directory_principal_grant_nothing_and_are_reported(login: str) -> None:
    directory = Directory()
    assert login_tokens(login, ctx(), directory) == frozenset()
    result = mapped(site_user(login), directory=directory)
    assert result.acl is None and len(result.problems) >= 2  # what was left out, and "not indexed"
    assert "../../groups@x" not in directory.asked


def test_m365_owners_grant_nothing_even_when_graph_also_names_the_group() -> None:
    """``_o`` is the owners: the group's own id would give its members what only its owners hold."""
    owners = site_user(f"c:0o.c|federateddirectoryclaimprovider|{TEAM}_o", group={"id": TEAM, "displayName": "Team"})
    result = mapped(owners)
    assert result.acl is None and any("owners" in p for p in result.problems)


def test_everyone_is_the_tenant_token_and_reports_that_guests_are_under_granted() -> None:
    result = mapped(site_user("c:0(.s|true"))
    assert result.acl is not None and result.acl.allow == {TENANT_TOKEN}
    assert any("guests" in p for p in result.problems)


def test_a_grant_with_a_user_without_an_object_id_falls_back_to_the_login_name() -> None:
    """An external user's ``user`` facet carries an e-mail address, no id; the claim names them."""
    permission = site_user("i:0#.f|membership|meganb@contoso.onmicrosoft.com", user={"email": "m@x.example"})
    assert allowed(permission) == {tokens.entra(MEGAN)}


def test_a_user_id_that_is_not_an_entra_object_id_grants_nothing() -> None:
    assert mapped(user("5D33DD65C6932946")).acl is None  # a consumer OneDrive id


def test_an_object_the_directory_does_not_know_keeps_its_entra_token_without_a_sid() -> None:
    ghost = "11111111-2222-3333-4444-555555555555"
    assert allowed(user(ghost)) == {tokens.entra(ghost)}


def test_an_unusable_sid_in_the_directory_leaves_the_sid_out_and_says_so() -> None:
    directory = Directory()
    directory.by_id[ADELE] = {"id": ADELE, "onPremisesSecurityIdentifier": "S-1-5-21-1105"}
    result = mapped(user(ADELE), directory=directory)
    assert result.acl is not None and result.acl.allow == {tokens.entra(ADELE)}
    assert any("SID" in p for p in result.problems)


def test_a_directory_that_fails_raises_instead_of_mapping_a_partial_acl() -> None:
    directory = Directory()
    directory.down = True
    with pytest.raises(DirectoryUnavailableError):
        mapped(user(ADELE), directory=directory)


# --- roles ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["read", "write", "owner", "Read"])
def test_read_write_and_owner_grant(role: str) -> None:
    assert allowed(user(MEGAN, roles=(role,))) == {tokens.entra(MEGAN)}


@pytest.mark.parametrize("roles", [["sp.limited access"], ["limitedAccess"], ["sp.restricted view"], [], "read"])
def test_limited_access_and_every_other_role_grant_nothing(roles: Any) -> None:
    result = mapped({**user(MEGAN), "roles": roles})
    assert result.acl is None and any("do not let anyone read" in p for p in result.problems)


def test_a_granting_permission_is_not_undone_by_a_limited_access_one() -> None:
    limited = {**SITE_GROUP_OWNERS, "roles": ["sp.limited access"]}
    result = mapped(limited, user(MEGAN))
    assert result.acl is not None and result.acl.allow == {tokens.entra(MEGAN)}


# --- sharing links --------------------------------------------------------------------------------------


def link(scope: str | None, *people: str, **extra: Any) -> dict[str, Any]:
    listed = [{"user": {"id": oid, "displayName": "p"}, "siteUser": {"id": "7", "loginName": "p"}} for oid in people]
    facet = {"type": "view", "webUrl": "https://contoso.sharepoint.com/:w:/s/mkt/EaBc"}
    facet |= {"scope": scope} if scope else {}
    return {"id": "bGluaw", "roles": ["read"], "link": facet, "grantedToIdentitiesV2": listed,
            "grantedToV2": {"siteGroup": {"id": "12", "displayName": "SharingLinks.abc.OrganizationView.def"}},
            "shareId": "u!aHR0cHM", "expirationDateTime": "0001-01-01T00:00:00Z", **extra}


def test_a_specific_people_link_grants_exactly_the_people_on_it() -> None:
    assert allowed(link("users", ADELE, MEGAN)) == {tokens.entra(ADELE), tokens.sid(ADELE_SID), tokens.entra(MEGAN)}


def test_an_organization_link_grants_only_its_listed_people_by_default() -> None:
    """Not the tenant, and not the link's SharingLinks site group (whoever once opened the link)."""
    assert allowed(link("organization", MEGAN)) == {tokens.entra(MEGAN)}
    assert mapped(link("organization")).acl is None


def test_an_organization_link_grants_the_tenant_when_opted_in() -> None:
    assert allowed(link("organization", MEGAN), organization_links=True) == {tokens.entra(MEGAN), TENANT_TOKEN}
    assert allowed(link("organization"), organization_links=True) == {TENANT_TOKEN}


def test_an_anyone_link_grants_nothing_unless_opted_in_and_then_says_what_it_did() -> None:
    assert mapped(link("anonymous", MEGAN)).acl is None
    assert allowed(link("organization"), anonymous_links=True) == frozenset()  # the one option does not the other
    result = mapped(link("anonymous"), anonymous_links=True)
    assert result.acl is not None and result.acl.allow == {TENANT_TOKEN}
    assert any("anyone link" in p for p in result.problems)


@pytest.mark.parametrize("scope", ["existingAccess", None, "blocksDownload"])
def test_existing_access_and_unknown_link_scopes_grant_nothing(scope: str | None) -> None:
    assert mapped(link(scope, MEGAN), organization_links=True, anonymous_links=True).acl is None


# --- expiry and invitations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "grants"),
    [
        ((NOW - timedelta(seconds=1)).isoformat().replace("+00:00", "Z"), False),
        (NOW.isoformat(), False),  # at the moment of expiry it has expired
        ("2026-12-05T09:59:59.1234567Z", False),  # Graph's seven fractional digits
        ("2026-12-05T10:00:01Z", True),
        ("0001-01-01T00:00:00Z", True),  # DateTime.MinValue: no expiration set
        (None, True),
        ("next tuesday", False),  # unreadable: treated as expired
    ],
)
def test_an_expired_grant_grants_nothing(expires: str | None, grants: bool) -> None:
    assert bool(allowed(user(MEGAN, expirationDateTime=expires))) is grants
    assert bool(allowed(link("users", MEGAN, expirationDateTime=expires))) is grants


def test_a_naive_now_is_taken_as_utc() -> None:
    context = MappingContext(tenant_id=TENANT, site_collection_id=SITE, now=NOW.replace(tzinfo=None))
    assert context.now == NOW
    assert item_acl([user(MEGAN, expirationDateTime="2026-12-05T09:00:00Z")], context, Directory()).acl is None


def test_a_pending_invitation_grants_nothing_and_a_redeemed_one_grants_its_user() -> None:
    invitation = {"email": "jd@gmail.com", "signInRequired": True}
    pending = {"id": "1", "roles": ["write"], "invitation": invitation, "shareId": "FWxc1l"}
    result = mapped(pending)
    assert result.acl is None and any("pending invitation" in p for p in result.problems)
    assert allowed(user(MEGAN, invitation=invitation)) == {tokens.entra(MEGAN)}


# --- the item as a whole --------------------------------------------------------------------------------


def test_grants_add_up_and_problems_name_the_permission() -> None:
    result = mapped(user(ADELE), SITE_GROUP_OWNERS, site_user("c:0-.t|adfs|Finance"), link("anonymous"))
    assert result.acl is not None
    assert result.acl.allow == {tokens.entra(ADELE), tokens.sid(ADELE_SID), SPGROUP_3}
    assert result.acl.deny == frozenset()  # SharePoint Online has no deny
    assert any(p.startswith("permission aTowIy5m:") and "adfs" in p for p in result.problems)
    assert any(p.startswith("permission bGluaw:") for p in result.problems)


def test_restricted_access_control_groups_become_the_share_set() -> None:
    directory = Directory()
    directory.by_id[RAC] = {"id": RAC, "onPremisesSecurityIdentifier": HR_SID}
    result = mapped(user(MEGAN), directory=directory, rac_groups=(RAC.upper(),))
    assert result.acl is not None
    assert result.acl.allow == {tokens.entra(MEGAN)} and result.acl.share == {tokens.entra(RAC), tokens.sid(HR_SID)}
    assert mapped(user(MEGAN)).acl.share == frozenset()  # type: ignore[union-attr]


def test_an_item_nobody_may_read_is_not_indexed_and_says_why() -> None:
    for permissions in ([], [{"id": "x"}], ["not an object"], [{"id": "y", "roles": ["read"]}]):
        result = item_acl(permissions, ctx(), Directory())  # type: ignore[arg-type]
        assert result.acl is None and result.problems[-1].endswith("not indexed")


@pytest.mark.parametrize(
    "bad",
    [{"tenant_id": "contoso"}, {"site_collection_id": "contoso.sharepoint.com"}, {"rac_groups": ("Finance",)}],
)
def test_invalid_ids_in_the_configuration_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(AccessControlError):
        MappingContext(**{"tenant_id": TENANT, "site_collection_id": SITE, "now": NOW, **bad})
