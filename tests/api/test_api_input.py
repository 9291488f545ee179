"""Bad requests get a 4xx with a message, never a 500 or a stack trace; a missing or wrong proxy
secret is 401."""

from __future__ import annotations

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


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["chunks"] > 0


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


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert "/v1/search" in client.get("/openapi.json").json()["paths"]
