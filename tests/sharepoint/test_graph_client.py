"""The SharePoint connector's HTTP layer against ``httpx.MockTransport`` doubles: throttling pauses the whole
source (also for 429s inside a ``$batch`` that answers 200), a ``Retry-After`` over the cap fails the run, the
resource-unit budget paces calls, 410 asks for a resync, one token refresh on 401, and the token never leaves
Graph and the tenant host (the ``/content`` redirect is followed without it)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ragwarden.connectors.sharepoint.build import build_sharepoint, parse_location
from ragwarden.connectors.sharepoint.graph import DELTA_PREFER, ResyncRequired, SharePointClient, Unreadable
from ragwarden.core.errors import ConfigurationError, DocumentTooLargeError, ItemError, TransientError
from ragwarden.core.sources.spec import SourceSpec
from tests.sharepoint.graph_double import GRAPH, HOST, FakeTime, Handler, sharepoint_client


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def client(
    handler: Handler, *, cap: float = 120.0, units: float = 60_000.0
) -> tuple[SharePointClient, Recorder, FakeTime]:
    time, recorder = FakeTime(), Recorder(handler)
    return sharepoint_client(recorder, cap=cap, units=units, time=time), recorder, time


def page(value: list[dict[str, object]], **links: str) -> httpx.Response:
    return httpx.Response(200, json={"value": value, **{f"@odata.{k}": v for k, v in links.items()}})


# -- throttling -----------------------------------------------------------------------------------------------


def test_a_429_pauses_the_whole_source_not_just_the_request() -> None:
    """A Retry-After seen by the Graph client also holds back the next SharePoint REST request."""
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), page([{"id": "1"}], deltaLink="d")])

    def handler(request: httpx.Request) -> httpx.Response:
        return page([{"Id": 3}]) if request.url.host == HOST else next(answers)

    sp, _, time = client(handler)
    assert sp.delta_page(f"{GRAPH}/drives/d/root/delta")["value"] == [{"id": "1"}]
    assert time.sleeps == [7.0]
    sp.pacer.pause(5)  # a pause taken by one client now ...
    sp.rest_values(f"https://{HOST}/sites/x/_api/web/sitegroups")
    assert time.sleeps == [7.0, 5.0]  # ... is waited for by the other


def test_a_retry_after_over_the_cap_fails_the_run_with_a_transient_error() -> None:
    sp, recorder, time = client(lambda r: httpx.Response(429, headers={"Retry-After": "300"}), cap=120)
    with pytest.raises(TransientError, match="300s"):
        sp.delta_page(f"{GRAPH}/drives/d/root/delta")
    assert len(recorder.requests) == 1 and time.sleeps == []  # not retried, not waited for


def test_503_with_retry_after_is_waited_for_and_retried() -> None:
    answers = iter([httpx.Response(503, headers={"Retry-After": "2"}), page([], deltaLink="x")])
    sp, _, time = client(lambda r: next(answers))
    sp.delta_page(f"{GRAPH}/drives/d/root/delta")
    assert time.sleeps == [2.0]


def test_the_resource_unit_budget_paces_calls() -> None:
    """60 units a minute: a first enumeration's pages cost 2, later pages 1; past the minute's units, calls
    wait for the budget to refill."""
    sp, recorder, time = client(lambda r: page([], deltaLink="x"), units=60)
    for _ in range(40):
        sp.delta_page(f"{GRAPH}/drives/d/root/delta")  # 2 units each: 80 units
    assert sp.pacer.units == 80 and sp.pacer.calls == 40
    # a burst of 5 (a twelfth), the other 55 a minute refilled: 75 units wait at 55/60 a second, so that no
    # sliding minute spends more than 60 (Graph's own count)
    assert sum(time.sleeps) == pytest.approx(75 / (55 / 60))
    for _ in range(10):
        sp.delta_page(f"{GRAPH}/drives/d/root/delta?token=abc")
    assert sp.pacer.units == 90 and sum(time.sleeps) == pytest.approx(85 / (55 / 60))  # 10 more, 1 unit each
    assert len(recorder.requests) == 50


def test_429_inside_a_batch_retries_only_the_throttled_sub_requests_after_the_pause() -> None:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        answers = []
        for sub in body["requests"]:
            throttled = len(bodies) == 1 and sub["id"] in ("1", "2")
            answers.append(
                {"id": sub["id"], "status": 429, "headers": {"Retry-After": "4" if sub["id"] == "1" else "9"}}
                if throttled
                else {"id": sub["id"], "status": 200, "body": {"value": [{"id": f"perm-{sub['url']}"}]}}
            )
        return httpx.Response(200, json={"responses": answers})

    sp, _, time = client(handler)
    found = sp.permissions("drv", ["a", "b", "c"])
    assert [sorted(s["id"] for s in b["requests"]) for b in bodies] == [["0", "1", "2"], ["1", "2"]]
    assert time.sleeps == [9.0]  # the longest Retry-After, once, for the whole source
    assert found["b"] == [{"id": "perm-/drives/drv/items/b/permissions"}]
    assert sp.pacer.units == 5 * 3 + 5 * 2  # 5 units per permission read, retried ones again


def test_429_inside_a_batch_over_the_cap_fails_the_run() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        subs = json.loads(request.content)["requests"]
        answer = {"status": 429, "headers": {"Retry-After": "3600"}}
        return httpx.Response(200, json={"responses": [{"id": s["id"], **answer} for s in subs]})

    sp, _, time = client(handler)
    with pytest.raises(TransientError, match="3600s"):
        sp.permissions("drv", ["a"])
    assert time.sleeps == []


def test_a_batch_of_more_than_20_is_split_and_a_refused_sub_request_is_unreadable() -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        subs = json.loads(request.content)["requests"]
        sizes.append(len(subs))
        return httpx.Response(200, json={"responses": [
            {"id": s["id"], "status": 403 if "/x7/" in s["url"] else 200, "body": {"value": []}} for s in subs
        ]})  # fmt: skip

    sp, _, _ = client(handler)
    found = sp.permissions("drv", [f"x{n}" for n in range(45)])
    assert sizes == [20, 20, 5]
    assert found["x7"] == Unreadable("HTTP 403") and found["x8"] == []


# -- delta, tokens, origins ---------------------------------------------------------------------------------------


def test_every_delta_page_carries_the_prefer_header_and_410_asks_for_a_resync() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Prefer"] == DELTA_PREFER
        return httpx.Response(410, headers={"Location": f"{GRAPH}/drives/d/root/delta?token=fresh"})

    sp, _, _ = client(handler)
    with pytest.raises(ResyncRequired) as gone:
        sp.delta_page(f"{GRAPH}/drives/d/root/delta?token=old")
    assert gone.value.location == f"{GRAPH}/drives/d/root/delta?token=fresh"


def test_a_401_refreshes_the_token_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401) if len(seen) == 1 else page([], deltaLink="x")

    sp, _, _ = client(handler)
    sp.delta_page(f"{GRAPH}/drives/d/root/delta")
    assert seen == ["Bearer graph-1", "Bearer graph-2"]
    sp_always, _, _ = client(lambda r: httpx.Response(401))
    with pytest.raises(TransientError, match="401"):
        sp_always.delta_page(f"{GRAPH}/drives/d/root/delta")


def test_a_next_link_to_another_origin_is_refused_without_sending_the_token() -> None:
    sp, recorder, _ = client(lambda r: page([], nextLink="https://evil.test/v1.0/drives/d/root/delta"))
    with pytest.raises(TransientError, match="refusing to send the token"):
        list(sp.graph.pages("/sites/s/drives"))
    assert {r.url.host for r in recorder.requests} == {"graph.test"}


def test_the_content_redirect_is_followed_without_the_authorization_header() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.test":
            return httpx.Response(302, headers={"Location": "https://files.test/download?sig=abc"})
        return httpx.Response(200, content=b"Gehalt \xc3\xa4")

    sp, recorder, _ = client(handler)
    assert sp.download("d", "i", limit=100) == "Gehalt ä".encode()
    graph_call, download = recorder.requests
    assert graph_call.headers["Authorization"] == "Bearer graph-1"
    assert "Authorization" not in download.headers and download.url.host == "files.test"
    with pytest.raises(DocumentTooLargeError):
        sp.download("d", "i", limit=3)


def test_a_content_redirect_to_plain_http_is_not_followed() -> None:
    sp, recorder, _ = client(lambda r: httpx.Response(302, headers={"Location": "http://files.test/x"}))
    with pytest.raises(ItemError, match="not https"):
        sp.download("d", "i", limit=100)
    assert len(recorder.requests) == 1


def test_sharepoint_rest_gets_its_own_token_and_a_refusal_is_none() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer rest-1"
        assert request.headers["Accept"].startswith("application/json")
        return httpx.Response(403) if "getbyid" in request.url.path else page([{"Id": 3, "Title": "Members"}])

    sp, _, _ = client(handler)
    assert sp.rest_values(f"https://{HOST}/sites/x/_api/web/sitegroups") == [{"Id": 3, "Title": "Members"}]
    assert sp.rest_values(f"https://{HOST}/sites/x/_api/web/sitegroups/getbyid(3)/users") is None


# -- configuration --------------------------------------------------------------------------------------------------


def spec(**options: object) -> SourceSpec:
    base = {"tenant_id": "2f6c0e2a-0000-4000-8000-000000000001", "client_id": "app", "certificate_env": "SP_CERT"}
    return SourceSpec("sp", "sharepoint://contoso.sharepoint.com/sites/hr", "sharepoint", options={**base, **options})


def test_a_client_secret_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="rejects app-only tokens issued for a client secret"):
        build_sharepoint(spec(client_secret_env="SP_SECRET"), environ={}, state_dir=tmp_path, max_file_bytes=10)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("not-a-certificate")
    with pytest.raises(ConfigurationError, match="private key and a certificate"):
        build_sharepoint(spec(), environ={"SP_CERT": str(secret_file)}, state_dir=tmp_path, max_file_bytes=10)


def test_locations_and_ids_are_checked_when_the_source_is_built(tmp_path: Path) -> None:
    assert parse_location("sharepoint://contoso.sharepoint.com/sites/Gesch%C3%A4ft") == (
        "contoso.sharepoint.com",
        "/sites/Geschäft",
    )
    for bad in ("sharepoint://contoso.sharepoint.com", "sharepoint://u:p@contoso.sharepoint.com/sites/x"):
        with pytest.raises(ConfigurationError):
            parse_location(bad)
    with pytest.raises(ConfigurationError, match="Entra object ids"):
        build_sharepoint(spec(rac_groups=["not-a-guid"]), environ={"SP_CERT": "/nonexistent"}, state_dir=tmp_path,
                         max_file_bytes=10)  # fmt: skip
