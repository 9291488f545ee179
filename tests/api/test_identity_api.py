"""Who is asking, end to end through the REST API, against real identity servers.

Real parts: a Samba AD domain controller (``tests.fixtures.samba``, LDAPS with the DC's own CA), the
local HTTPS Entra authority and Graph emulator (``ragwarden.testing.microsoft.entra``), Qdrant Edge, the sync
engine over a folder whose ``.acl.json`` sidecars grant ``sid:<SID of a DC group>`` and
``entra:<group objectId>`` tokens, and apps composed from settings by ``build_services`` /
``build_directory`` / ``build_authenticator``. The embedder is the ``CountingEmbedder`` fake, because
embeddings are not under test here; searches run in BM25 (sparse) mode on made-up keywords.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ragwarden import cli
from ragwarden.acl import tokens
from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.acl.site_groups import SiteGroupResolver, SiteGroupStore
from tests.api.identity_world import (
    BAD_TOKENS,
    SP_SITE,
    TTL,
    IdentityWorld,
    TcpRelay,
    assert_refused,
    bad_token,
    bearer,
    client,
    close_directory,
    closed_port,
    finds,
    new_oid,
    proxy,
    running_world,
)
from tests.fixtures.samba import NESTED, SambaDirectory

REVOCATION_MARGIN = 1.5  # seconds over the TTL: one directory round trip, one search, a loaded machine
REVOCATION_ROUNDS = 4


@pytest.fixture(scope="module")
def world(samba_directory: SambaDirectory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityWorld]:
    with running_world(samba_directory, tmp_path_factory, "identity-api") as w:
        yield w


@pytest.fixture(scope="module")
def ad_client(world: IdentityWorld) -> Iterator[TestClient]:
    with client(world.services) as c:
        yield c


# --- trusted header + Active Directory -----------------------------------------------------------------


def test_the_app_resolves_callers_through_the_domain_controller(world: IdentityWorld) -> None:
    directory = world.services.directory
    assert isinstance(directory, SiteGroupResolver)  # the caller's SharePoint site groups, around the cache
    assert isinstance(directory.inner, CachingResolver) and directory.inner.ttl == TTL
    assert tokens.spgroup(SP_SITE, "3") in directory.emittable()


def test_a_member_of_a_three_level_nested_group_finds_its_document(ad_client: TestClient) -> None:
    """alice is in L1, L1 in L2, L2 in L3; the document is granted to L3 only."""
    assert finds(ad_client, proxy("alice"), "nested")
    assert finds(ad_client, proxy("CORP\\alice"), "nested")
    assert finds(ad_client, proxy("alice@corp.example"), "nested")


def test_a_user_outside_the_nested_group_does_not_find_it(ad_client: TestClient) -> None:
    assert not finds(ad_client, proxy("bob"), "nested")
    assert finds(ad_client, proxy("bob"), "public")  # bob's search works: it is the ACL that hides


def test_a_deny_for_a_group_reached_through_nesting_wins(ad_client: TestClient) -> None:
    assert not finds(ad_client, proxy("alice"), "denied")  # alice reaches L2 through L1
    assert finds(ad_client, proxy("bob"), "denied")


@pytest.mark.parametrize("user", ["dave", "nobody-here", "*)(objectClass=*"])
def test_disabled_unknown_and_hostile_names_see_nothing(ad_client: TestClient, user: str) -> None:
    for label in ("nested", "public", "denied"):
        assert not finds(ad_client, proxy(user), label)


def test_me_lists_the_resolved_sids_with_names(world: IdentityWorld, ad_client: TestClient) -> None:
    r = ad_client.get("/v1/me", headers=proxy("alice"))
    assert r.status_code == 200, r.text
    body = r.json()
    names = {t["token"]: t["name"] for t in body["tokens"]}
    assert body["principal"] == "alice"
    assert len(names) == len(body["tokens"])  # each token once
    # the directory's own view of alice's token (tokenGroups read from its database) plus her own SID, but
    # not the DC's BUILTIN groups: a file server decides those itself (RAGWARDEN_AD_BUILTIN_SIDS)
    groups = {g for g in world.directory.token_groups("alice") if not g.startswith("S-1-5-32-")}
    expected = groups | {world.directory.sid_of("alice")}
    assert {tokens.name_of(t) for t in names} >= expected
    for level in NESTED:
        assert names[tokens.sid(world.sids[level])] == f"CORP\\{level}"
    assert names[tokens.sid(world.directory.sid_of("alice"))] == "CORP\\alice"
    assert names[tokens.SID_EVERYONE] == "Everyone"
    assert names[tokens.SID_AUTHENTICATED_USERS] == "NT AUTHORITY\\Authenticated Users"
    assert tokens.sid(world.sids["RW-Unrelated"]) not in names


# --- revocation --------------------------------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "condition not reached in time"
        time.sleep(0.05)
    return time.monotonic() - start


def _revoke_while_polling(world: IdentityWorld, c: TestClient) -> float:
    """Poll /v1/search as the revocation user without pause (so the cache entry is refreshed whenever it
    expires, and the removal lands at a random moment of its life) while ``samba-tool`` removes the user
    from the bottom group in another thread. The latency runs from samba-tool's return to the end of
    the first search that no longer returns the document (0 when it vanished while samba-tool ran: the
    change is committed before the command exits)."""
    rev, dc = world.rev, world.directory.dc
    started: list[float] = []
    removed: list[float] = []

    def remove() -> None:
        time.sleep(random.uniform(0, TTL))
        started.append(time.monotonic())
        dc.samba_tool("group", "removemembers", rev["team"], rev["user"])
        removed.append(time.monotonic())

    remover = threading.Thread(target=remove)
    remover.start()
    try:
        while True:
            visible = finds(c, proxy(rev["user"]), "revoked")
            assert visible or started, "the document vanished before the removal"
            if removed and not visible:
                latency = max(0.0, time.monotonic() - removed[0])
                break
            assert not removed or time.monotonic() - removed[0] < TTL + 10, "the revoked group outlived the TTL"
            time.sleep(0.02)
    finally:
        remover.join()
    for _ in range(5):  # and it stays gone
        assert not finds(c, proxy(rev["user"]), "revoked")
    return latency


def test_removing_a_user_from_a_nested_group_hides_the_document_within_the_ttl(
    world: IdentityWorld, ad_client: TestClient
) -> None:
    """``samba-tool group removemembers`` (the user leaves the bottom of three nested groups, the
    document is granted to the top one): /v1/search stops returning it within the principal-cache
    TTL plus a small margin; measured over several removals."""
    rev, dc = world.rev, world.directory.dc
    uncached = world.directory.resolver()
    top = tokens.sid(world.sids[rev["top"]])
    latencies = []
    for _ in range(REVOCATION_ROUNDS):
        _wait_for(lambda: finds(ad_client, proxy(rev["user"]), "revoked"), TTL + 5)
        latencies.append(_revoke_while_polling(world, ad_client))
        assert top not in uncached.resolve(rev["user"]).tokens  # the directory's own view agrees
        assert finds(ad_client, proxy("alice"), "nested")  # nobody else lost anything
        dc.samba_tool("group", "addmembers", rev["team"], rev["user"])
    uncached.close()
    shown = ", ".join(f"{s:.2f}" for s in latencies)
    print(f"\nrevocation latency through /v1/search, TTL {TTL} s: {shown} s (max {max(latencies):.2f} s)")
    assert max(latencies) <= TTL + REVOCATION_MARGIN, latencies
    # a re-added user gets the document back within the TTL as well
    _wait_for(lambda: finds(ad_client, proxy(rev["user"]), "revoked"), TTL + REVOCATION_MARGIN)


# --- directory down --------------------------------------------------------------------------------------


def test_a_directory_on_a_closed_port_is_503_and_never_results(world: IdentityWorld) -> None:
    services = world.services_with(ad_host="127.0.0.1", ad_port=closed_port())
    with client(services) as c:
        for user in ("alice", "bob"):
            start = time.monotonic()
            r = c.post("/v1/search", json={"query": "quorvandel lumenkorb"}, headers=proxy(user))
            assert_refused(r, 503)
            assert "unavailable" in r.json()["error"] and "127.0.0" not in r.json()["error"]
            assert time.monotonic() - start < 10
        assert_refused(c.get("/v1/me", headers=proxy("alice")), 503)
    close_directory(services)


def test_a_warm_entry_is_served_while_fresh_and_503_once_older_than_the_ttl(world: IdentityWorld) -> None:
    relay = TcpRelay((world.directory.dc.ip, 636))
    services = world.services_with(ad_host="127.0.0.1", ad_port=relay.port)
    wrapped = services.directory
    assert isinstance(wrapped, SiteGroupResolver)
    cache = wrapped.inner
    assert isinstance(cache, CachingResolver)
    with client(services) as c:
        assert finds(c, proxy("alice"), "nested")  # resolved through the relay, now cached
        relay.close()  # the directory goes away
        age = cache.age("alice")
        assert age is not None and age < TTL - 0.5, "too slow to test the fresh entry"
        assert finds(c, proxy("alice"), "nested")  # a fresh entry is still served
        time.sleep(max(0.0, TTL - (cache.age("alice") or 0.0)) + 0.1)
        for _ in range(3):  # and never again once it is older than the TTL
            r = c.post("/v1/search", json={"query": "quorvandel"}, headers=proxy("alice"))
            assert_refused(r, 503)
        assert_refused(c.post("/v1/search", json={"query": "lumenkorb"}, headers=proxy("bob")), 503)
    wrapped.close()


# --- Entra ID bearer tokens ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entra_client(world: IdentityWorld) -> Iterator[TestClient]:
    services = world.services_with(auth_mode="entra", **world.entra_settings())
    with client(services) as c:
        yield c
    close_directory(services)


def test_an_entra_caller_finds_documents_by_synced_sid_and_by_group_object_id(
    world: IdentityWorld, entra_client: TestClient
) -> None:
    """Graph says the user is in a group synced from AD (its onPremisesSecurityIdentifier is the DC's
    SID of RW-Staff-L3) and in a cloud group: both the SID-ACL'd and the entra-ACL'd documents match."""
    token = world.ms.issue(oid=world.entra["member"], preferred_username="erika@corp.example")
    for label in ("nested", "cloud", "public"):
        assert finds(entra_client, bearer(token), label), label
    assert not finds(entra_client, bearer(token), "revoked")


def test_an_entra_caller_in_no_group_finds_neither(world: IdentityWorld, entra_client: TestClient) -> None:
    token = world.ms.issue(oid=world.entra["outsider"])
    for label in ("nested", "cloud", "public"):
        assert not finds(entra_client, bearer(token), label), label


def test_me_shows_an_entra_callers_groups_with_names(world: IdentityWorld, entra_client: TestClient) -> None:
    token = world.ms.issue(oid=world.entra["member"], preferred_username="erika@corp.example")
    r = entra_client.get("/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    names = {t["token"]: t["name"] for t in r.json()["tokens"]}
    assert r.json()["principal"] == tokens.entra(world.entra["member"]) and r.json()["display_name"] == "erika"
    assert names[tokens.entra(world.entra["cloud"])] == "Cloud Roadmap Team"
    assert names[tokens.entra(world.entra["member"])] == "erika"
    assert names[tokens.sid(world.sids[NESTED[2]])] == f"CORP\\{NESTED[2]}"  # the directory's name first


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_bearer_token_is_401_and_never_results(world: IdentityWorld, entra_client: TestClient, kind: str) -> None:
    headers = bearer(bad_token(world, kind))
    assert_refused(entra_client.post("/v1/search", json={"query": "quorvandel"}, headers=headers), 401)
    assert_refused(entra_client.get("/v1/me", headers=headers), 401)


@pytest.mark.parametrize("headers", [{}, proxy("alice"), {"Authorization": "Basic YWxpY2U6eA=="}])
def test_entra_mode_without_a_bearer_token_is_401(entra_client: TestClient, headers: dict[str, str]) -> None:
    """No credentials, or credentials of a mode that is not configured (a proxy header is no login)."""
    assert_refused(entra_client.post("/v1/search", json={"query": "quorvandel"}, headers=headers), 401)


def test_graph_down_is_503_for_an_entra_caller_not_yet_cached(world: IdentityWorld, entra_client: TestClient) -> None:
    oid = world.ms.add_user(name="late")
    world.ms.faults.down = True
    try:
        r = entra_client.post("/v1/search", json={"query": "lumenkorb"}, headers=bearer(world.ms.issue(oid=oid)))
    finally:
        world.ms.faults.down = False
    assert_refused(r, 503)


def test_combined_mode_accepts_entra_tokens_and_proxy_headers(world: IdentityWorld) -> None:
    services = world.services_with(auth_mode="entra,trusted-header", **world.entra_settings())
    token = world.ms.issue(oid=world.entra["member"])
    with client(services) as c:
        assert finds(c, bearer(token), "nested") and finds(c, bearer(token), "cloud")
        assert finds(c, proxy("alice"), "nested") and not finds(c, proxy("alice"), "cloud")
        assert not finds(c, proxy("bob"), "nested")
        assert_refused(c.post("/v1/search", json={"query": "quorvandel"}), 401)
        bad_secret = {"X-Remote-User": "alice", "X-Proxy-Secret": "not-the-proxy-secret"}
        assert_refused(c.post("/v1/search", json={"query": "quorvandel"}, headers=bad_secret), 401)
        expired = bad_token(world, "expired")
        assert_refused(c.post("/v1/search", json={"query": "quorvandel"}, headers=bearer(expired)), 401)
        # a bad bearer token is refused even next to valid proxy headers: it is never skipped over
        both = {**bearer(expired), **proxy("alice")}
        assert_refused(c.post("/v1/search", json={"query": "quorvandel"}, headers=both), 401)
    close_directory(services)


def test_an_entra_callers_conversation_is_keyed_by_object_id_not_by_the_changeable_user_name(
    world: IdentityWorld,
) -> None:
    """preferred_username changes (renames) and passes to someone else: keyed by it, a newcomer holding
    a former colleague's name would continue that colleague's conversation (its questions feed follow-ups)."""
    from ragwarden.testing.fakes.chat import ScriptedChatModel

    entra = world.services_with(auth_mode="entra", **world.entra_settings())
    services = dataclasses.replace(entra, extras={"chat_model": ScriptedChatModel()})  # answers: not under test
    member, outsider = world.entra["member"], world.entra["outsider"]
    before = world.ms.issue(oid=member, preferred_username="erika@corp.example")
    renamed = world.ms.issue(oid=member, preferred_username="erika.muster@corp.example")
    same_name = world.ms.issue(oid=outsider, preferred_username="erika@corp.example")
    with client(services) as c:
        ask = {"question": "What is the quorvandel procedure?"}
        first = c.post("/v1/answer", json=ask, headers=bearer(before))
        assert first.status_code == 200, first.text
        cid = first.json()["conversation_id"]
        for token in (renamed, same_name):
            r = c.post("/v1/answer", json={**ask, "conversation_id": cid}, headers=bearer(token))
            assert r.status_code == 200, r.text
        store = services.answerer().conversations
        assert len(store.turns(tokens.entra(member), cid)) == 2  # the same person, renamed
        assert len(store.turns(tokens.entra(outsider), cid)) == 1  # another person, same old name
    close_directory(services)


def test_an_unused_object_id_in_a_valid_token_sees_nothing(world: IdentityWorld, entra_client: TestClient) -> None:
    token = world.ms.issue(oid=new_oid())  # signed by the tenant, but Graph does not know the user
    for label in ("nested", "public"):
        assert not finds(entra_client, bearer(token), label)


# --- the CLI -------------------------------------------------------------------------------------------


def _env(monkeypatch: pytest.MonkeyPatch, world: IdentityWorld, tmp_path: Path, **extra: object) -> None:
    for key, value in {**world.base, "data_dir": tmp_path, **extra}.items():
        monkeypatch.setenv(f"RAGWARDEN_{key.upper()}", str(value))


def test_whoami_prints_the_sids_with_names(
    world: IdentityWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, world, tmp_path)
    assert cli.main(["whoami", "--as", "alice"]) == 0
    out = capsys.readouterr().out
    for level in NESTED:
        assert f"sid:{world.sids[level]}" in out and f"CORP\\{level}" in out
    assert "Everyone" in out and "CORP\\alice" in out

    assert cli.main(["whoami", "--as", "alice", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    names = {t["token"]: t["name"] for t in info["tokens"]}
    assert info["principal"] == "alice" and names[tokens.sid(world.sids[NESTED[2]])] == f"CORP\\{NESTED[2]}"

    assert cli.main(["whoami", "--as", "dave"]) == 0
    assert "0 tokens (unknown or disabled)" in capsys.readouterr().out


def test_whoami_with_the_directory_down_is_an_error(
    world: IdentityWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, world, tmp_path, ad_host="127.0.0.1", ad_port=closed_port())
    assert cli.main(["whoami", "--as", "alice"]) == 2
    captured = capsys.readouterr()
    assert "unreachable" in captured.err and "sid:" not in captured.out


# --- SharePoint site groups, expanded at resolution ------------------------------------------------------


def test_site_group_members_find_its_document_through_ad_and_through_the_entra_tenant_token(
    world: IdentityWorld, ad_client: TestClient, entra_client: TestClient
) -> None:
    """The document is granted to a SharePoint site group only. Its members are AD callers in the nested
    group, then "Everyone except external users" (the tenant token): every resolution reads the store
    afresh, so a changed membership applies at the next request, not after the principal cache's TTL."""
    store = SiteGroupStore(world.services.settings.data_dir / "site_groups.sqlite")
    site_group = {tokens.spgroup(SP_SITE, "3"): frozenset({tokens.sid(world.sids[NESTED[2]])})}
    erika = bearer(world.ms.issue(oid=world.entra["member"]))
    try:
        assert not finds(ad_client, proxy("alice"), "sitegroup")  # nothing stored yet
        store.replace(SP_SITE, site_group)
        assert finds(ad_client, proxy("alice"), "sitegroup")  # alice -> L1 -> L2 -> L3, a member
        assert not finds(ad_client, proxy("bob"), "sitegroup")
        assert finds(entra_client, erika, "sitegroup")  # erika's synced group carries L3's SID
        store.replace(SP_SITE, {tokens.spgroup(SP_SITE, "3"): frozenset({tokens.entra(world.ms.tenant_id)})})
        assert not finds(ad_client, proxy("alice"), "sitegroup")  # an AD caller holds no tenant token
        assert finds(entra_client, bearer(world.ms.issue(oid=world.entra["outsider"])), "sitegroup")
        guest = world.ms.add_user(name="gast", guest=True)
        assert not finds(entra_client, bearer(world.ms.issue(oid=guest)), "sitegroup")  # guests: under-granted
    finally:
        store.replace(SP_SITE, {})
        store.close()
