"""Bad requests get a 4xx with a message, never a 500 or a stack trace; a missing or wrong proxy
secret is 401."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ragwarden.api.app import create_app
from tests.demo_fixtures import PROXY_SECRET, Demo

OK = {"X-Remote-User": "alice", "X-Proxy-Secret": PROXY_SECRET}


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.services), raise_server_exceptions=False) as c:
        yield c


def test_healthz_says_alive_and_nothing_about_the_index(client: TestClient) -> None:
    """Anyone may probe liveness; how much the index holds is for admins (/v1/admin/sources)."""
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "hdrs",
    [
        {},
        {"X-Remote-User": "alice"},
        {"X-Remote-User": "alice", "X-Proxy-Secret": "wrong"},
        {"X-Remote-User": "alice", "X-Proxy-Secret": PROXY_SECRET + "x"},
        {"X-Proxy-Secret": PROXY_SECRET},
        {"X-Remote-User": "   ", "X-Proxy-Secret": PROXY_SECRET},
    ],
)
def test_without_a_valid_proxy_secret_and_user_the_caller_is_401(client: TestClient, hdrs: dict) -> None:  # type: ignore[type-arg]
    r = client.post("/v1/search", json={"query": "Gehalt"}, headers=hdrs)
    assert r.status_code == 401 and "error" in r.json()
    assert client.get("/v1/documents/abc", headers=hdrs).status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"query": ""}, 422),
        ({"query": "   "}, 400),
        ({"query": "x", "limit": 0}, 422),
        ({"query": "x", "limit": 101}, 422),
        ({"query": "x", "limit": "many"}, 422),
        ({"query": 12}, 422),
        ({"limit": 5}, 422),
        ({"query": "x", "unexpected": 1}, 422),
        ({"query": "x" * 2001}, 422),
        ([1, 2], 422),
    ],
)
def test_bad_search_requests_are_4xx_with_a_message(client: TestClient, body: object, status: int) -> None:
    r = client.post("/v1/search", json=body, headers=OK)
    assert r.status_code == status, r.text
    assert r.json()["error"] and "Traceback" not in r.text


def test_malformed_json_is_422(client: TestClient) -> None:
    r = client.post("/v1/search", content=b"{not json", headers={**OK, "Content-Type": "application/json"})
    assert r.status_code == 422 and "error" in r.json()


def test_oversized_body_is_413(client: TestClient) -> None:
    r = client.post(
        "/v1/search", content=b"{" + b" " * 200_000 + b"}", headers={**OK, "Content-Type": "application/json"}
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    "hdrs",
    [
        [("X-Remote-User", "bob"), ("X-Remote-User", "alice"), ("X-Proxy-Secret", PROXY_SECRET)],
        [("X-Remote-User", "alice"), ("X-Remote-User", "alice"), ("X-Proxy-Secret", PROXY_SECRET)],
        [("X-Remote-User", "bob, alice"), ("X-Proxy-Secret", PROXY_SECRET)],  # the two, merged by a proxy
        [("X-Remote-User", "alice"), ("X-Proxy-Secret", PROXY_SECRET), ("X-Proxy-Secret", PROXY_SECRET)],
    ],
)
def test_a_repeated_user_or_secret_header_is_401_not_first_wins(
    client: TestClient, hdrs: list[tuple[str, str]]
) -> None:
    """Which of two X-Remote-User headers a proxy meant is unknowable (parsers disagree on first/last)."""
    r = client.post("/v1/search", json={"query": "Gehalt"}, headers=hdrs)
    assert r.status_code == 401 and "more than one" in r.json()["error"]


def test_unknown_document_is_404(client: TestClient) -> None:
    r = client.get("/v1/documents/does-not-exist", headers=OK)
    assert r.status_code == 404 and r.json() == {"error": "document not found"}


def test_search_results_have_the_documented_fields(client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": "Urlaub", "limit": 3}, headers=OK)
    assert r.status_code == 200
    results = r.json()["results"]
    assert 0 < len(results) <= 3
    for result in results:
        assert {"doc_id", "title", "source_uri", "snippet", "score"} <= set(result)
        assert result["source_uri"].startswith("file://")


def test_the_openapi_schema_is_served_but_the_cdn_docs_pages_are_not(client: TestClient) -> None:
    """Swagger UI and ReDoc load scripts from a CDN without our CSP: outside the loopback demo they are off."""
    assert "/v1/search" in client.get("/openapi.json").json()["paths"]
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path


def test_responses_carry_no_timings_unless_the_setting_says_so(client: TestClient, demo: Demo) -> None:
    """Stage times can tell a caller about work on documents they cannot see: off by default."""
    r = client.post("/v1/search", json={"query": "Urlaub"}, headers=OK)
    assert r.status_code == 200 and "server-timing" not in r.headers
    settings = demo.services.settings.model_copy(update={"expose_timings": True})
    with TestClient(create_app(dataclasses.replace(demo.services, settings=settings))) as timed:
        r = timed.post("/v1/search", json={"query": "Urlaub"}, headers=OK)
        assert r.status_code == 200 and r.headers["server-timing"].startswith("app;dur=")
