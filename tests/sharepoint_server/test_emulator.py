"""The SharePoint Server emulator itself, over HTTPS with NTLM: it signs a connection in only with the right
password *and* channel bindings, keeps it signed in, pages items by ID under the list view threshold, answers
``getChanges`` by the query's flags, refuses a token older than its change log, refuses a folder moved below itself,
and its oracle follows SharePoint's inheritance and read rules."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ragwarden.connectors.sharepoint_server.auth import WindowsAuth
from ragwarden.testing.microsoft.sharepoint_server import EVERYONE, SharePointServerEmulator, World, can_read

JSON = {"Accept": "application/json;odata=nometadata"}


@pytest.fixture
def em(tmp_path: Path) -> Iterator[SharePointServerEmulator]:
    world = World()
    library = world.add_library("Dokumente")
    for n in range(7):
        world.add_file(library, f"datei-{n}.txt", b"x")
    emulator = SharePointServerEmulator(tmp_path, world, page_size=3)
    yield emulator
    emulator.stop()


def _client(em: SharePointServerEmulator, password: str | None = None, *, bindings: bool = True) -> httpx.Client:
    auth = WindowsAuth(em.service_login, password or em.service_password, channel_bindings=bindings)
    return httpx.Client(auth=auth, verify=ssl.create_default_context(cafile=str(em.ca_file)), headers=JSON)


def _api(em: SharePointServerEmulator, path: str) -> str:
    return f"{em.base_url}{em.world.site_path}/_api/{path}"


def test_a_connection_signs_in_once_with_ntlm_and_channel_bindings(em: SharePointServerEmulator) -> None:
    with _client(em) as client:
        assert client.get(_api(em, "web")).status_code == 200
        assert client.get(_api(em, "site")).json()["Id"] == em.world.site_id
    assert em.signed_in == [em.service_login] and em.counts["unauthorized"] == 2  # one handshake, two legs


def test_a_wrong_password_or_missing_channel_bindings_are_refused(em: SharePointServerEmulator) -> None:
    with _client(em, "wrong") as client:
        assert client.get(_api(em, "web")).status_code == 401
    with _client(em, bindings=False) as client:
        assert client.get(_api(em, "web")).status_code == 401
    assert em.signed_in == [] and "no channel bindings" in em.acceptor.failures
    assert httpx.get(_api(em, "web"), verify=str(em.ca_file)).headers.get_list("WWW-Authenticate") == [
        "Negotiate", "NTLM"]  # fmt: skip


def test_items_page_by_id_and_a_page_over_the_threshold_is_refused(em: SharePointServerEmulator) -> None:
    guid = next(iter(em.world.libraries))
    with _client(em) as client:
        url = _api(em, f"web/lists(guid'{guid}')/items")
        assert client.get(url, params={"$top": "5001"}).status_code == 500
        ids, pages, next_url = [], 0, url + "?$top=5000&$orderby=Id&$filter=Id gt 0"
        while next_url:
            page = client.get(next_url).json()
            ids += [v["Id"] for v in page["value"]]
            next_url, pages = page.get("odata.nextLink"), pages + 1
    assert ids == list(range(1, 8)) and pages == 3


def test_get_changes_follows_the_query_flags_and_refuses_a_token_too_old(em: SharePointServerEmulator) -> None:
    world = em.world
    start = world.token()
    key = world.files()[0]
    world.set_content(key, b"neu")
    world.grant(key, EVERYONE, "Read")  # ScopeAdd, then the assignment
    with _client(em) as client:
        url = _api(em, "site/getChanges")
        only_updates = {"Item": True, "Update": True, "ChangeTokenStart": {"StringValue": start}}
        found = client.post(url, json={"query": only_updates}).json()["value"]
        assert [c["ChangeType"] for c in found] == [2] and found[0]["ItemId"] == 1
        security = {
            "Item": True,
            "SecurityPolicy": True,
            "RoleAssignmentAdd": True,
            "ChangeTokenStart": {"StringValue": start},
        }
        assert [c["ChangeType"] for c in client.post(url, json={"query": security}).json()["value"]] == [17, 11]
        world.expire_changes()
        refused = client.post(url, json={"query": only_updates})
        assert refused.status_code == 500 and "change log" in refused.text


def test_the_oracle_follows_the_nearest_unique_scope_the_read_bit_and_nested_groups() -> None:
    world = World()
    alice, bob = world.add_user("alice"), world.add_user("bob")
    inner = world.add_group("Inner", alice)
    outer = world.add_group("Outer", inner)
    library = world.add_library("Dokumente")
    folder = world.add_folder(library, "Ordner")
    file = world.add_file(folder, "a.txt", b"a")
    assert not can_read(world, alice, file)  # the web's site groups are empty
    world.break_inheritance(folder, copy=False)
    world.grant(folder, outer, "Read")
    world.grant(folder, bob, "Limited Access")
    assert can_read(world, alice, file) and not can_read(world, bob, file)
    world.restore_inheritance(folder)
    assert not can_read(world, alice, file)


def test_a_folder_cannot_be_moved_into_itself_or_below_itself() -> None:
    """As SharePoint refuses it; a world that allowed it had a parent cycle, and every URL built from it looped
    until memory ran out (two CI runs of 2026-12-05)."""
    world = World()
    library = world.add_library("Dokumente")
    outer = world.add_folder(library, "Außen")
    inner = world.add_folder(outer, "Innen")
    for target in (outer, inner):
        with pytest.raises(ValueError, match="into itself"):
            world.move(outer, target)
    world.move(inner, library)
    assert world.url_of(inner).endswith("/Dokumente/Innen")
