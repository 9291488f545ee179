"""``httpx.MockTransport`` doubles for the SharePoint connector's tests of its throttling, 410 and redirect logic:
a clock that moves when slept on, a token provider, and a scripted Graph whose delta answers are queued by the
test. Not an emulator: :mod:`ragwarden.testing.microsoft.sharepoint` is, and the end-to-end tests use it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from ragwarden.acl.graph import GraphClient
from ragwarden.connectors.sharepoint.connector import SharePointConnector, SiteOptions
from ragwarden.connectors.sharepoint.graph import SharePointClient, SourcePacer
from ragwarden.core.errors import TransientError

GRAPH = "https://graph.test/v1.0"
HOST = "contoso.test"
TENANT = "2f6c0e2a-0000-4000-8000-000000000001"
SITE_COLLECTION = "11111111-2222-4333-8444-555555555555"
SITE_ID = f"{HOST},{SITE_COLLECTION},66666666-7777-4888-8999-000000000000"
ALICE = "aaaaaaaa-0000-4000-8000-000000000001"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Tokens:
    def __init__(self, name: str = "graph") -> None:
        self.name, self.issued = name, 0

    def token(self, force_refresh: bool = False) -> str:
        if force_refresh or not self.issued:
            self.issued += 1
        return f"{self.name}-{self.issued}"


def sharepoint_client(
    handler: Handler, *, cap: float = 120.0, units: float = 60_000.0, time: FakeTime | None = None
) -> SharePointClient:
    time = time or FakeTime()
    pacer = SourcePacer(units, clock=time.clock, sleep=time.sleep)
    http = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)

    def graph(tokens: Tokens, base: str) -> GraphClient:
        return GraphClient(tokens, http, base, max_retries=8, max_retry_after=cap, pacer=pacer, error=TransientError)

    rest = graph(Tokens("rest"), f"https://{HOST}")
    return SharePointClient(graph(Tokens(), GRAPH), rest, http, pacer, max_retry_after=cap)


def grant(user_id: str = ALICE, role: str = "read") -> dict[str, Any]:
    return {"id": f"p-{user_id[:4]}-{role}", "roles": [role], "grantedToV2": {"user": {"id": user_id}}}


def folder(item_id: str, parent: str, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "name": item_id, "folder": {}, "parentReference": {"id": parent}, **extra}


def file(item_id: str, parent: str = "root", *, size: int = 10, **extra: Any) -> dict[str, Any]:
    hashes = {"quickXorHash": extra.pop("hash", f"h-{item_id}")}
    body = {"id": item_id, "name": f"{item_id}.txt", "size": size, "parentReference": {"id": parent}}
    return {**body, "file": {"hashes": hashes}, "webUrl": f"https://{HOST}/sites/hr/Docs/{item_id}.txt", **extra}


ROOT = {"id": "root", "name": "root", "root": {}, "folder": {}}


class ScriptedGraph:
    """Graph for one site with one drive ``d``: each delta request takes the next queued answer (a page
    dict, or an ``httpx.Response`` such as a 410 or a 429); permissions come from ``permissions`` (a list,
    or an HTTP status for the sub-response); content is ``content[item]`` behind a 302 to another origin."""

    def __init__(self) -> None:
        self.delta: list[dict[str, Any] | httpx.Response] = []
        self.delta_urls: list[str] = []
        self.permissions: dict[str, list[dict[str, Any]] | int] = {}
        self.batch_retry_after: str | None = None  # every permission sub-request answers 429 with this
        self.content: dict[str, bytes] = {}
        self.listed: dict[str, dict[str, Any]] = {}  # each item as the delta pages last listed it
        self.requests: list[httpx.Request] = []

    def page(self, items: list[dict[str, Any]], *, last: bool = True, n: int = 1) -> None:
        link = {"@odata.deltaLink": f"{GRAPH}/drives/d/root/delta?token=t{n}"} if last else {
            "@odata.nextLink": f"{GRAPH}/drives/d/root/delta?token=page{n}"
        }  # fmt: skip
        self.delta.append({"value": items, **link})
        self.listed.update((i["id"], i) for i in items)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = unquote(request.url.path)
        if request.url.host == "files.test":
            return httpx.Response(200, content=self.content[path.strip("/")])
        if request.url.host == HOST:
            return httpx.Response(200, json={"value": []})  # no site groups
        if path.endswith("/root/delta"):
            self.delta_urls.append(str(request.url))
            answer = self.delta.pop(0)
            return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)
        if path == "/v1.0/$batch":
            return self._batch(json.loads(request.content))
        if path.endswith("/content"):
            item = path.split("/")[-2]
            return httpx.Response(302, headers={"Location": f"https://files.test/{item}"})
        if path.startswith("/v1.0/drives/d/items/") and path.count("/") == 5:
            listed = self.listed.get(path.rsplit("/", 1)[-1])
            return httpx.Response(200, json=listed) if listed else httpx.Response(404, json={})
        if path.endswith("/drives"):
            return httpx.Response(200, json={"value": [{"id": "d", "name": "Dokumente"}]})
        if path.startswith("/v1.0/sites/"):
            return httpx.Response(200, json={"id": SITE_ID, "webUrl": f"https://{HOST}/sites/hr"})
        if path.startswith("/v1.0/directoryObjects/"):
            return httpx.Response(200, json={"id": path.rsplit("/", 1)[-1], "userType": "Member"})
        return httpx.Response(404, json={"error": {"code": "itemNotFound"}})

    def _batch(self, body: dict[str, Any]) -> httpx.Response:
        answers = []
        for sub in body["requests"]:
            item = sub["url"].split("/")[-2]
            found = self.permissions.get(item, [grant()])
            if self.batch_retry_after is not None:
                answers.append({"id": sub["id"], "status": 429, "headers": {"Retry-After": self.batch_retry_after}})
            elif isinstance(found, int):
                answers.append({"id": sub["id"], "status": found, "body": {"error": {"code": "accessDenied"}}})
            else:
                answers.append({"id": sub["id"], "status": 200, "body": {"value": found}})
        return httpx.Response(200, json={"responses": answers})


def connector(graph: ScriptedGraph, state: Path, *, cap: float = 120.0, max_size: int = 1000) -> SharePointConnector:
    site = SiteOptions(host=HOST, site_path="/sites/hr", tenant_id=TENANT)
    return SharePointConnector(
        sharepoint_client(graph, cap=cap),
        site,
        source="sp",
        mirror_path=state / "sharepoint" / "sp.sqlite",
        site_groups_path=state / "site_groups.sqlite",
        max_file_size=max_size,
    )
