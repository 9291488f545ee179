"""``/v1/search`` for the search page: paging, the caller's own filters, and filter options (facets)
that never name a value only hidden documents carry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ragwarden.api.app import create_app
from tests.api.test_access_matrix import oracle_allows
from tests.demo_fixtures import PROXY_SECRET, Demo


def headers(user: str) -> dict[str, str]:
    return {"X-Remote-User": user, "X-Proxy-Secret": PROXY_SECRET}


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.services), raise_server_exceptions=False) as c:
        yield c


def search(client: TestClient, user: str, **body: object) -> dict:  # type: ignore[type-arg]
    r = client.post("/v1/search", json={"query": "Urlaub vacation Gehalt", **body}, headers=headers(user))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_pages_are_consecutive_slices_of_one_ranking(client: TestClient) -> None:
    # Pages of two: with the relevance floors a search lists what is relevant, not a full page; alice
    # has five documents about "Gehalt".
    whole = [r["doc_id"] for r in search(client, "alice", query="Gehalt", limit=4)["results"]]
    first = search(client, "alice", query="Gehalt", limit=2)
    second = search(client, "alice", query="Gehalt", limit=2, offset=2)
    assert [r["doc_id"] for r in first["results"] + second["results"]] == whole and len(whole) == 4
    assert first["has_more"] and first["offset"] == 0 and second["offset"] == 2


def test_file_type_and_date_filters_narrow_the_results(client: TestClient) -> None:
    # a query with PDFs among its relevant documents (the travel policy, the works council's minutes)
    only_pdf = search(client, "alice", query="Reisekosten Betriebsrat Urlaub", filters={"file_types": ["pdf"]})
    assert only_pdf["results"] and all(r["file_type"] == "pdf" for r in only_pdf["results"])
    future = search(client, "alice", filters={"modified_from": "2999-01-01"})["results"]
    assert future == []
    past = search(client, "alice", filters={"modified_to": "2999-12-31"})["results"]
    assert past


def test_facets_name_only_values_of_documents_the_caller_may_see(demo: Demo, client: TestClient) -> None:
    for user in demo.users:
        visible_types = {
            d["path"].rsplit(".", 1)[1] for d in demo.indexed if oracle_allows(demo.directory, user, d["path"])
        }
        facets = search(client, user)["facets"]
        assert set(facets["file_type"]) == visible_types, user
        if visible_types:
            assert set(facets["source"]) == {"demo"}


def test_results_carry_source_and_department(client: TestClient) -> None:
    result = search(client, "alice", limit=1)["results"][0]
    assert result["source"] == "demo" and "department" in result and result["modified"]


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 51},
        {"offset": -1},
        {"offset": 101},
        {"filters": {"file_types": "pdf"}},
        {"filters": {"file_types": [""]}},
        {"filters": {"modified_from": "yesterday"}},
        {"filters": {"modified_from": "2026-02-01", "modified_to": "2026-01-01"}},
        {"filters": {"owner": ["x"]}},
    ],
)
def test_bad_filters_and_paging_are_4xx_with_a_message(client: TestClient, body: dict) -> None:  # type: ignore[type-arg]
    r = client.post("/v1/search", json={"query": "Urlaub", **body}, headers=headers("alice"))
    assert r.status_code in (400, 422) and "error" in r.json()
