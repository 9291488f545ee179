"""Signing in to the search page with Entra ID: the authorization-code flow through msal against the
local Entra stand-in (real HTTPS, PKCE checked there), a server-side session behind an HttpOnly cookie,
groups resolved through Graph on every request, and CSRF defence for cookie-authenticated calls."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from ragwarden.acl import tokens
from tests.api.identity_world import IdentityWorld, assert_refused, finds, running_world
from tests.fixtures.samba import SambaDirectory

CALLBACK = "https://testserver/auth/callback"
PAGE = {"X-Requested-With": "ragwarden"}


@pytest.fixture(scope="module")
def world(samba_directory: SambaDirectory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityWorld]:
    with running_world(samba_directory, tmp_path_factory, "signin") as w:
        yield w


def browser(world: IdentityWorld, redirect_uri: str = CALLBACK) -> TestClient:
    from ragwarden.api.app import create_app

    services = world.services_with(auth_mode="entra", entra_redirect_uri=redirect_uri, **world.entra_settings())
    base = f"{urlsplit(redirect_uri).scheme}://{urlsplit(redirect_uri).netloc}"
    return TestClient(create_app(services), base_url=base, raise_server_exceptions=False, follow_redirects=False)


def at_entra(world: IdentityWorld, c: TestClient) -> dict[str, str]:
    """Start signing in; the browser goes to Entra, which posts back to the callback: the form fields."""
    start = c.get("/auth/login")
    assert start.status_code == 302, start.text
    auth_uri = start.headers["location"]
    assert auth_uri.startswith(world.ms.authority_host)
    query = parse_qs(urlsplit(auth_uri).query)
    assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"] == [CALLBACK]
    assert query["response_mode"] == ["form_post"]  # the code never travels in a URL
    page = httpx.get(auth_uri, verify=ssl.create_default_context(cafile=str(world.ms.ca_file)))
    assert page.status_code == 200 and page.json()["form_post"] == CALLBACK
    return dict(page.json()["fields"])


def back(c: TestClient, fields: dict[str, str]) -> httpx.Response:
    return c.post("/auth/callback", data=fields)


def sign_in(world: IdentityWorld, c: TestClient, oid: str) -> httpx.Response:
    world.ms.sign_in_as = oid
    return back(c, at_entra(world, c))


def test_a_signed_in_user_searches_with_their_entra_groups(world: IdentityWorld) -> None:
    with browser(world) as c:
        done = sign_in(world, c, world.entra["member"])
        assert done.status_code == 303 and done.headers["location"] == "/"
        session = next(v for v in done.headers.get_list("set-cookie") if v.startswith("__Host-ragwarden_session="))
        assert "httponly" in session.lower() and "samesite=lax" in session.lower()
        me = c.get("/v1/me", headers=PAGE)
        assert me.status_code == 200, me.text
        # named by object id (the conversation key), shown by display name
        assert me.json()["principal"] == tokens.entra(world.entra["member"])
        assert me.json()["display_name"] == "erika"
        assert finds(c, PAGE, "cloud")  # granted to an Entra cloud group, resolved through Graph


def test_a_signed_in_user_outside_the_group_does_not_find_it(world: IdentityWorld) -> None:
    with browser(world) as c:
        assert sign_in(world, c, world.entra["outsider"]).status_code == 303
        assert not finds(c, PAGE, "cloud")


def test_cookie_requests_without_the_csrf_header_are_refused(world: IdentityWorld) -> None:
    with browser(world) as c:
        sign_in(world, c, world.entra["member"])
        assert_refused(c.post("/v1/search", json={"query": "zentiphor"}), 401)
        assert_refused(c.get("/v1/me", headers={"X-Requested-With": "XMLHttpRequest"}), 401)


def test_sign_out_ends_the_session(world: IdentityWorld) -> None:
    with browser(world) as c:
        sign_in(world, c, world.entra["member"])
        assert c.post("/auth/logout").status_code == 401  # sign-out is CSRF-protected too
        assert c.post("/auth/logout", headers=PAGE).status_code == 204
        assert_refused(c.get("/v1/me", headers=PAGE), 401)


def test_a_forged_or_replayed_session_cookie_is_refused(world: IdentityWorld) -> None:
    with browser(world) as c:
        c.cookies.set("__Host-ragwarden_session", "made-up")
        assert_refused(c.get("/v1/me", headers=PAGE), 401)


@pytest.mark.parametrize(
    "claims",
    [{"aud": "someone-else"}, {"tid": "another-tenant"}, {"iss": "https://evil.example/v2.0"}, {"exp": 1}],
)
def test_an_id_token_for_another_app_tenant_or_issuer_or_expired_signs_nobody_in(
    world: IdentityWorld, claims: dict[str, object]
) -> None:
    world.ms.id_token_claims = claims
    try:
        with browser(world) as c:
            r = sign_in(world, c, world.entra["member"])
            assert_refused(r, 401)
            assert "ragwarden_session" not in r.headers.get("set-cookie", "")
            assert_refused(c.get("/v1/me", headers=PAGE), 401)
    finally:
        world.ms.id_token_claims = {}


def test_a_callback_not_started_here_or_with_a_wrong_state_or_a_reused_code_is_refused(world: IdentityWorld) -> None:
    world.ms.sign_in_as = world.entra["member"]
    with browser(world) as attacker, browser(world) as victim:
        fields = at_entra(world, attacker)
        assert_refused(back(victim, fields), 401)  # login CSRF: the victim never started this sign-in
    with browser(world) as c:
        fields = at_entra(world, c)
        assert_refused(back(c, {**fields, "state": fields["state"] + "x"}), 401)
    with browser(world) as c:
        fields = at_entra(world, c)
        assert back(c, fields).status_code == 303
        c.get("/auth/login")  # a new flow cookie, the old code again
        assert_refused(back(c, fields), 401)


def test_refusal_at_entra_signs_nobody_in(world: IdentityWorld) -> None:
    world.ms.sign_in_as = None
    with browser(world) as c:
        assert_refused(back(c, at_entra(world, c)), 401)


def _cookie_attributes(set_cookie: str) -> dict[str, str]:
    name, *attributes = (part.strip() for part in set_cookie.split(";"))
    return {"name": name.split("=", 1)[0]} | {k.lower(): v for k, _, v in (a.partition("=") for a in attributes)}


@pytest.mark.parametrize("redirect_uri", [CALLBACK, "http://localhost/auth/callback"])
def test_the_cookies_are_host_prefixed_secure_with_path_root_and_no_domain(
    world: IdentityWorld, redirect_uri: str
) -> None:
    """``__Host-`` cookies cannot be set or overwritten by a sibling host or a plain-http page on the
    network; browsers require (and keep) them Secure, which http://localhost still allows."""
    from ragwarden.api.signin import SessionStore

    with browser(world, redirect_uri=redirect_uri) as c:
        flow = _cookie_attributes(c.get("/auth/login").headers["set-cookie"])
        assert flow["name"] == "__Host-ragwarden_signin"
        assert "secure" in flow and flow["path"] == "/" and "domain" not in flow
        assert flow["samesite"].lower() == "none"  # Entra's cross-site form post carries it
        if redirect_uri == CALLBACK:
            done = sign_in(world, c, world.entra["member"])
            cookies = [_cookie_attributes(v) for v in done.headers.get_list("set-cookie")]
            session = next(a for a in cookies if a["name"] == "__Host-ragwarden_session")
            assert "secure" in session and session["path"] == "/" and "domain" not in session
            gone = c.post("/auth/logout", headers=PAGE).headers.get_list("set-cookie")
            ended = _cookie_attributes(gone[0])  # deleting a __Host- cookie needs the same attributes
            assert ended["name"] == "__Host-ragwarden_session" and "secure" in ended and ended["path"] == "/"
    assert SessionStore(ttl=60).pop_flow("unknown") is None


@pytest.mark.parametrize("uri", ["http://intranet.example/auth/callback", "ftp://x/auth/callback", "http:///x"])
def test_a_redirect_uri_on_plain_http_beyond_localhost_is_refused_at_start(world: IdentityWorld, uri: str) -> None:
    """A Secure cookie set over plain http is dropped by browsers (and Entra accepts http only on localhost)."""
    from ragwarden.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="REDIRECT_URI"):
        world.settings(auth_mode="entra", entra_redirect_uri=uri, **world.entra_settings())


def test_sign_in_needs_entra_mode_and_a_redirect_uri(world: IdentityWorld) -> None:
    with browser(world) as c:
        assert c.get("/auth/login").status_code == 302
    from ragwarden.api.app import create_app

    plain = TestClient(create_app(world.services), raise_server_exceptions=False)
    assert plain.get("/auth/login").status_code == 404
