"""The SharePoint emulator answers as Graph and SharePoint REST document it: sites, drives, permissions,
``$batch``, content, directory objects, site groups, tokens, throttling. Delta is in ``test_emulator_delta``."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import SharePointEmulator, World
from ragwarden.testing.microsoft.sharepoint.model import eeeu_login
from ragwarden.testing.microsoft.sharepoint.render import quick_xor_hash
from tests.sharepoint.emulator_support import Caller, Tree, build_tree


@pytest.fixture
def world(ms: FakeMicrosoft) -> World:
    return World(tenant_id=ms.tenant_id, seed=3)


@pytest.fixture
def tree(world: World) -> Tree:
    return build_tree(world)


@pytest.fixture
def em(ms: FakeMicrosoft, world: World, tree: Tree, tmp_path: Path) -> Iterator[SharePointEmulator]:
    emulator = SharePointEmulator(tmp_path, world, ms)
    yield emulator
    emulator.stop()


@pytest.fixture
def graph(ms: FakeMicrosoft, em: SharePointEmulator) -> Caller:
    return Caller(ms, em, em.graph_scope)


def _site_id(world: World) -> str:
    return f"{world.host},{world.site_collection_id},{world.root_web}"


# -- sites, drives, tokens -------------------------------------------------------------------------------------
def test_a_site_is_found_by_host_and_path_and_its_web_url_leads_to_the_sharepoint_host(
    graph: Caller, em: SharePointEmulator, world: World
) -> None:
    for host in (world.host, em.host):
        answer = graph.get(f"/sites/{host}:/sites/team")
        assert answer.status_code == 200 and answer.json()["id"] == _site_id(world)
        assert answer.json()["webUrl"] == f"{em.origin}/sites/team"
    assert graph.get(f"/sites/{world.host}:/sites/elsewhere").status_code == 404
    assert em.source_url == f"sharepoint://{em.host}/sites/team"


def test_drives_and_subsites_of_a_site(graph: Caller, world: World) -> None:
    emea = world.add_subsite("emea")
    archive = world.add_drive("Archive", emea)
    drives = graph.get(f"/sites/{_site_id(world)}/drives").json()["value"]
    assert [(d["id"], d["name"], d["driveType"]) for d in drives] == [(world.drive, "Documents", "documentLibrary")]
    subsites = graph.get(f"/sites/{_site_id(world)}/sites").json()["value"]
    assert [s["id"] for s in subsites] == [f"{world.host},{world.site_collection_id},{emea}"]
    assert [d["id"] for d in graph.get(f"/sites/{subsites[0]['id']}/drives").json()["value"]] == [archive]


def test_graph_refuses_a_missing_token_and_a_token_for_another_resource(
    ms: FakeMicrosoft, em: SharePointEmulator, graph: Caller, world: World
) -> None:
    assert graph.get(f"/sites/{_site_id(world)}", token=False).status_code == 401
    rest_token = Caller(ms, em, em.sharepoint_scope).token
    assert graph.get(f"/sites/{_site_id(world)}", Authorization=f"Bearer {rest_token}").status_code == 401
    assert em.counts["unauthorized"] == 2


# -- permissions -------------------------------------------------------------------------------------------------
def test_permissions_of_an_inheriting_item_name_the_ancestor_they_come_from(
    graph: Caller, world: World, tree: Tree
) -> None:
    perms = graph.get(f"/drives/{world.drive}/items/{tree.numbers}/permissions").json()["value"]
    assert {p["grantedToV2"]["siteGroup"]["id"]: p["roles"] for p in perms} == {
        str(world.owners_group): ["owner"], str(world.members_group): ["write"], str(world.visitors_group): ["read"]}
    assert all(p["inheritedFrom"]["id"] == world.root() for p in perms)
    world.break_inheritance(tree.finance, copy=False)
    assert graph.get(f"/drives/{world.drive}/items/{tree.numbers}/permissions").json()["value"] == []


def test_permissions_write_every_kind_of_grant_as_graph_does(graph: Caller, world: World, tree: Tree) -> None:
    expiry = datetime(2027, 1, 1, tzinfo=UTC)
    user, group = world.add_user("ann", sid="S-1-5-21-1-2-3-1105"), world.add_group("Auditors")
    world.break_inheritance(tree.report, copy=False)
    world.grant(tree.report, "user", user, "write", expires=expiry)
    world.grant(tree.report, "group", group, "read")
    world.grant(tree.report, "eeeu", role="limited")
    world.add_link(tree.report, "organization", identities=(user,))
    world.invite(tree.report, "guest@partner.example")
    perms = graph.get(f"/drives/{world.drive}/items/{tree.report}/permissions").json()["value"]
    by_user, by_group, eeeu, link, invitation = perms
    assert by_user["grantedToV2"]["user"]["id"] == user and by_user["roles"] == ["write"]
    assert by_user["grantedToV2"]["siteUser"]["loginName"] == "i:0#.f|membership|ann@contoso.onmicrosoft.com"
    assert by_user["expirationDateTime"] == "2027-01-01T00:00:00Z" and "inheritedFrom" not in by_user
    assert by_group["grantedToV2"]["group"]["id"] == group
    assert by_group["grantedToV2"]["siteUser"]["loginName"] == f"c:0t.c|tenant|{group}"
    assert eeeu["grantedToV2"]["siteUser"]["loginName"] == eeeu_login(world.tenant_id)
    assert eeeu["roles"] == ["sp.limited access"]
    assert link["link"]["scope"] == "organization" and link["link"]["type"] == "view"
    assert [i["user"]["id"] for i in link["grantedToIdentitiesV2"]] == [user]
    assert invitation["invitation"]["email"] == "guest@partner.example" and "grantedToV2" not in invitation


def test_m365_owners_appear_by_login_name_only(graph: Caller, world: World, tree: Tree) -> None:
    team = world.add_group("Team", owners=(world.add_user("boss"),), unified=True)
    world.grant(tree.report, "owners", team, "read")
    perms = graph.get(f"/drives/{world.drive}/items/{tree.report}/permissions").json()["value"]
    owners = perms[-1]["grantedToV2"]
    assert owners == {"siteUser": {"displayName": "Team Owners",
                                   "loginName": f"c:0o.c|federateddirectoryclaimprovider|{team}_o"}}  # fmt: skip


def test_batch_answers_up_to_twenty_sub_requests_and_refuses_more(graph: Caller, world: World, tree: Tree) -> None:
    requests = [{"id": str(n), "method": "GET", "url": f"/drives/{world.drive}/items/{tree.report}/permissions"}
                for n in range(20)]  # fmt: skip
    answer = graph.post("/$batch", {"requests": requests})
    assert answer.status_code == 200
    assert {r["status"] for r in answer.json()["responses"]} == {200}
    assert len(answer.json()["responses"][0]["body"]["value"]) == 3
    assert graph.post("/$batch", {"requests": [*requests, requests[0]]}).status_code == 400


def test_batch_sub_requests_can_be_throttled_while_the_batch_succeeds(
    graph: Caller, em: SharePointEmulator, world: World, tree: Tree
) -> None:
    em.switches.batch_throttle = 2
    url = f"/drives/{world.drive}/items/{tree.report}/permissions"
    answer = graph.post("/$batch", {"requests": [{"id": str(n), "method": "GET", "url": url} for n in range(3)]})
    assert answer.status_code == 200
    statuses = [(r["status"], r.get("headers", {}).get("Retry-After")) for r in answer.json()["responses"]]
    assert statuses == [(429, "120"), (429, "120"), (200, None)]
    assert em.counts["batch_throttled"] == 2 and em.counts["permissions"] == 1


def test_whole_requests_are_throttled_or_refused_with_retry_after(
    graph: Caller, em: SharePointEmulator, world: World
) -> None:
    em.switches.throttle, em.switches.retry_after = 1, "7"
    first, second = graph.get(f"/sites/{_site_id(world)}"), graph.get(f"/sites/{_site_id(world)}")
    assert (first.status_code, first.headers["Retry-After"], second.status_code) == (429, "7", 200)
    em.switches.down = True
    down = graph.get(f"/sites/{_site_id(world)}")
    assert down.status_code == 503 and down.headers["Retry-After"] == "7"


def test_latency_delays_every_answer(graph: Caller, em: SharePointEmulator, world: World) -> None:
    em.switches.latency = 0.2
    started = time.monotonic()
    graph.get(f"/sites/{_site_id(world)}")
    assert time.monotonic() - started >= 0.2


# -- content -----------------------------------------------------------------------------------------------------
def test_content_redirects_to_a_pre_authenticated_url_on_another_origin(
    graph: Caller, em: SharePointEmulator, world: World, tree: Tree
) -> None:
    answer = graph.get(f"/drives/{world.drive}/items/{tree.readme}/content")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(em.origin) and not location.startswith(em.graph_url.removesuffix("/v1.0"))
    assert graph.get(location, token=False).content == b"hello"
    refused = graph.get(location)  # the Graph bearer forwarded across the redirect
    assert refused.status_code == 401 and em.counts["download_with_bearer"] == 1


def test_a_download_url_is_for_its_own_item_only(graph: Caller, world: World, tree: Tree) -> None:
    location = graph.get(f"/drives/{world.drive}/items/{tree.readme}/content").headers["Location"]
    assert graph.get(location.replace(tree.readme, tree.report), token=False).status_code == 401


# -- directory ---------------------------------------------------------------------------------------------------
def test_users_by_upn_or_id_with_the_selected_properties(graph: Caller, world: World) -> None:
    guest = world.add_user("visitor", guest=True, enabled=False)
    upn = world.users[guest].upn.replace("#", "%23")
    plain = graph.get(f"/users/{upn}").json()
    assert plain["id"] == guest and "accountEnabled" not in plain and "userType" not in plain
    chosen = graph.get(f"/users/{guest}?$select=id,accountEnabled,userType,onPremisesSecurityIdentifier").json()
    assert chosen == {"@odata.type": "#microsoft.graph.user", "id": guest, "accountEnabled": False,
                      "userType": "Guest", "onPremisesSecurityIdentifier": None}  # fmt: skip
    assert graph.get("/users/nobody@contoso.onmicrosoft.com").status_code == 404


def test_directory_objects_and_group_owners(graph: Caller, world: World) -> None:
    boss = world.add_user("boss")
    team = world.add_group("Team", owners=(boss,), unified=True, sid="S-1-5-21-1-2-3-2001")
    found = graph.get(f"/directoryObjects/{team}").json()
    assert found["@odata.type"] == "#microsoft.graph.group" and found["groupTypes"] == ["Unified"]
    assert found["onPremisesSecurityIdentifier"] == "S-1-5-21-1-2-3-2001"
    assert [o["id"] for o in graph.get(f"/groups/{team}/owners").json()["value"]] == [boss]


# -- SharePoint REST ---------------------------------------------------------------------------------------------
def test_site_groups_and_their_members_over_rest(ms: FakeMicrosoft, em: SharePointEmulator, world: World) -> None:
    rest = Caller(ms, em, em.sharepoint_scope, certificate=True)
    group = world.add_group("Auditors")
    world.add_site_group_member(world.members_group, world.login_of(group))
    world.add_site_group_member(world.members_group, world.login_of(world.add_user("ann")))
    accept = {"Accept": "application/json;odata=nometadata"}
    groups = rest.get(f"{em.origin}/sites/team/_api/web/sitegroups", **accept).json()["value"]
    defaults = [(3, "Team Owners"), (4, "Team Visitors"), (5, "Team Members")]
    assert [(g["Id"], g["Title"]) for g in groups][:3] == defaults
    members = rest.get(f"{em.origin}/sites/team/_api/web/sitegroups/getbyid(5)/users", **accept).json()["value"]
    assert [(m["LoginName"], m["PrincipalType"]) for m in members] == [
        (f"c:0t.c|tenant|{group}", 4), ("i:0#.f|membership|ann@contoso.onmicrosoft.com", 1)]
    verbose = rest.get(f"{em.origin}/sites/team/_api/web/sitegroups", Accept="application/json;odata=verbose")
    assert len(verbose.json()["d"]["results"]) == len(groups)
    assert rest.get(f"{em.origin}/sites/team/_api/web/sitegroups/getbyid(99)/users", **accept).status_code == 404


def test_rest_refuses_a_token_obtained_with_a_client_secret(
    ms: FakeMicrosoft, em: SharePointEmulator, graph: Caller
) -> None:
    secret = Caller(ms, em, em.sharepoint_scope, certificate=False)
    answer = secret.get(f"{em.origin}/sites/team/_api/web/sitegroups", Accept="application/json")
    assert answer.status_code == 401 and answer.json()["error_description"] == "Unsupported app only token."
    graph_token = graph.get(f"{em.origin}/sites/team/_api/web/sitegroups", Accept="application/json")
    assert graph_token.status_code == 401
    assert (em.counts["rest_secret_refused"], em.counts["rest_unauthorized"]) == (1, 1)


def test_sharing_links_appear_as_site_groups_with_their_people(
    ms: FakeMicrosoft, em: SharePointEmulator, world: World, tree: Tree
) -> None:
    ann = world.add_user("ann")
    link = world.add_link(tree.report, "users", identities=(ann,), expires=world.now() + timedelta(days=1))
    rest = Caller(ms, em, em.sharepoint_scope)
    groups = rest.get(f"{em.origin}/sites/team/_api/web/sitegroups", Accept="application/json").json()["value"]
    sharing = next(g for g in groups if g["Title"].startswith("SharingLinks."))
    assert sharing["Title"] == f"SharingLinks.{tree.report}.Flexible.{link}"
    url = f"{em.origin}/sites/team/_api/web/sitegroups/getbyid({sharing['Id']})/users"
    assert [m["LoginName"] for m in rest.get(url, Accept="application/json").json()["value"]] == [world.login_of(ann)]


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    (base64.b64decode("Sg=="), "SgAAAAAAAAAAAAAAAQAAAAAAAAA="),
    (base64.b64decode("0n7nl3YJtipy6yeUbVPWtc2h45WbF9u8hTz5tNwj3dZZwfXWkk+GN3g="), "YJLNK7JR64j9aODWfqDvEe/u6NU="),
])  # fmt: skip
def test_files_carry_onedrives_quick_xor_hash(data: bytes, expected: str) -> None:
    """Vectors from rclone's quickxorhash tests, which were checked against OneDrive."""
    assert quick_xor_hash(data) == expected
