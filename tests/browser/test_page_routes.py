"""The page's server side without a browser: /v1/ui/config reveals the demo users only in local mode
and offers sign-in only where it is served; every response carries the security headers (the API docs,
served in the loopback demo only, keep theirs without the CSP)."""

from __future__ import annotations

import dataclasses

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ragwarden.api.app import create_app
from ragwarden.api.page import CONTENT_SECURITY_POLICY, install_page
from tests.demo_fixtures import PROXY_SECRET, Demo


def _config(demo: Demo, modes: tuple[str, ...], sign_in: bool = False) -> dict:
    app = FastAPI()
    if sign_in:  # what ragwarden.api.signin installs (before the page) when Entra sign-in is configured
        app.get("/auth/login")(lambda: None)
    install_page(app, demo.services, modes)
    with TestClient(app) as client:
        r = client.get("/v1/ui/config")
    assert r.status_code == 200
    return r.json()


def test_ui_config_lists_the_demo_users_only_in_local_mode(demo: Demo) -> None:
    local = _config(demo, ("local",))
    assert {"id": "alice", "name": "Alice Adler"} in local["users"]
    assert local["sign_in_url"] is None and local["auth_modes"] == ["local"]
    assert _config(demo, ("trusted-header",))["users"] == []
    entra = _config(demo, ("entra", "trusted-header"), sign_in=True)
    assert entra["users"] == [] and entra["sign_in_url"] == "/auth/login"
    assert _config(demo, ("entra",))["sign_in_url"] is None  # bearer tokens only: no sign-in page to send people to


def test_create_app_serves_the_page_with_its_mode_from_the_settings(demo: Demo) -> None:
    with TestClient(create_app(demo.services)) as client:
        page = client.get("/")
        assert page.status_code == 200 and 'role="search"' in page.text
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert client.get("/v1/ui/config").json()["users"] == []  # the demo fixture is trusted-header
        logo = client.get("/static/logo.svg")
        assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")
        assert client.get("/static/../page.py").status_code == 404


def test_api_responses_carry_the_security_headers_and_no_server_timing_by_default(demo: Demo) -> None:
    with TestClient(create_app(demo.services)) as client:
        r = client.post(
            "/v1/search",
            json={"query": "Urlaub"},
            headers={"X-Remote-User": "alice", "X-Proxy-Secret": PROXY_SECRET},
        )
        assert r.status_code == 200
        for name in ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"):
            assert name in r.headers, name
        assert "server-timing" not in r.headers  # RAGWARDEN_EXPOSE_TIMINGS is off
        assert client.get("/v1/search").status_code == 405  # a query never travels in a URL
        assert client.get("/docs").status_code == 404  # CDN scripts without our CSP: the demo only


def test_the_loopback_demo_serves_the_api_docs_without_the_csp(demo: Demo) -> None:
    local = dataclasses.replace(
        demo.services, settings=demo.services.settings.model_copy(update={"auth_mode": "local"})
    )
    with TestClient(create_app(local), base_url="http://localhost", client=("127.0.0.1", 50000)) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert "content-security-policy" not in docs.headers and docs.headers["x-frame-options"] == "DENY"


def test_local_users_list_skips_a_non_local_directory(demo: Demo) -> None:
    class Other:
        def resolve(self, user: str) -> None: ...
        def describe(self, token: str) -> str:
            return token

    other = dataclasses.replace(demo.services, directory=Other())
    app = FastAPI()
    install_page(app, other, ("local",))
    with TestClient(app) as client:
        assert client.get("/v1/ui/config").json()["users"] == []
