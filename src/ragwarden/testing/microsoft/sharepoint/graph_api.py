"""The Graph endpoints of the emulator, as one function from a request to an :class:`~.delta.Answer`, so that
``$batch`` answers its sub-requests through the same routes.

Served under ``/v1.0``: ``sites/{host}:/{path}``, ``sites/{siteId}``, ``sites/{siteId}/drives``,
``sites/{siteId}/sites``, ``drives/{d}/root/delta``, ``drives/{d}/items/{i}``, ``.../permissions``,
``.../content`` (302 to the SharePoint host with a pre-authenticated URL), ``users/{id or UPN}``,
``groups/{id}``, ``groups/{id}/owners``, ``groups/{id}/members``, ``directoryObjects/{id}``, and
``POST $batch`` (at most 20 GET sub-requests; sub-requests may answer 429 while the batch answers 200).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from ragwarden.testing.microsoft.sharepoint import render
from ragwarden.testing.microsoft.sharepoint.delta import Answer

if TYPE_CHECKING:
    from ragwarden.testing.microsoft.sharepoint.emulator import SharePointEmulator

MAX_BATCH = 20


def _error(status: int, code: str, message: str = "") -> Answer:
    return Answer(status, {"error": {"code": code, "message": message or code}})


def answer_graph(em: SharePointEmulator, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Answer:
    """A whole Graph request: the bearer token, the outage and throttling switches, then the route."""
    if em.authority.scope_of(_bearer(headers)) != em.graph_scope:
        em.count("unauthorized")
        return _error(401, "InvalidAuthenticationToken", "Access token is empty or not one for Graph.")
    sw = em.switches
    if sw.down:
        em.count("unavailable")
        return Answer(503, {"error": {"code": "serviceNotAvailable"}}, {"Retry-After": sw.retry_after})
    if sw.throttle > 0:
        sw.throttle -= 1
        em.count("throttled")
        return Answer(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": sw.retry_after})
    split = urlsplit(url)
    if method == "POST" and split.path == "/v1.0/$batch":
        em.count("batch")
        return _batch(em, body)
    if method != "GET":
        return _error(405, "methodNotAllowed")
    return route(em, split.path.removeprefix("/v1.0"), parse_qs(split.query), headers)


def route(em: SharePointEmulator, path: str, query: dict[str, list[str]], headers: Mapping[str, str]) -> Answer:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    head = parts[0] if parts else ""
    with em.world.lock:
        if head == "sites":
            return _sites(em, path, parts[1:])
        if head == "drives" and len(parts) >= 3:
            return _drives(em, parts[1], parts[2:], query, headers)
        if head in ("users", "groups", "directoryObjects") and len(parts) >= 2:
            return _directory(em, head, parts[1], parts[2:], query)
    return _error(404, "itemNotFound", f"no route for {path}")


def _sites(em: SharePointEmulator, path: str, rest: list[str]) -> Answer:
    world = em.world
    em.count("site" if len(rest) == 1 or ":/" in path else {"drives": "drives", "sites": "subsites"}.get(rest[-1], "?"))
    if ":/" in path:  # /sites/{hostname}:/{server-relative path}[:]
        host, _, relative = unquote(path.removeprefix("/sites/")).partition(":/")
        wanted = "/" + relative.rstrip(":").strip("/")
        web = next((w for w in world.webs.values() if w.path.lower() == wanted.lower()), None)
        if host.lower() not in (world.host, em.host) or web is None:
            return _error(404, "itemNotFound", "site not found")
        return Answer(200, render.site(world, web.id, em.origin))
    host, _, ids = rest[0].partition(",") if rest else ("", "", "")
    collection, _, web_id = ids.partition(",")
    if host not in (world.host, em.host) or collection != world.site_collection_id or web_id not in world.webs:
        return _error(404, "itemNotFound", "site not found")
    if len(rest) == 1:
        return Answer(200, render.site(world, web_id, em.origin))
    if rest[1:] == ["drives"]:
        drives = [render.drive(world, d, em.origin) for d in world.webs[web_id].drives]
        return Answer(200, {"value": drives})
    if rest[1:] == ["sites"]:
        subsites = [render.site(world, w.id, em.origin) for w in world.webs.values() if w.parent_id == web_id]
        return Answer(200, {"value": subsites})
    return _error(404, "itemNotFound")


def _drives(em: SharePointEmulator, drive_id: str, rest: list[str], query: dict[str, list[str]],
            headers: Mapping[str, str]) -> Answer:  # fmt: skip
    world = em.world
    if drive_id not in world.drive_roots:
        return _error(404, "itemNotFound", "drive not found")
    if rest == ["root", "delta"]:
        em.count("delta")
        prefer = {p.strip().lower() for p in headers.get("prefer", "").split(",") if p.strip()}
        token = query.get("token", [None])[0]
        top = int(query["$top"][0]) if "$top" in query else None
        return em.delta.answer(drive_id, token, top, prefer)
    if len(rest) < 2 or rest[0] != "items":
        return _error(404, "itemNotFound")
    item = world.items.get(rest[1])
    if item is None or item.deleted or item.drive_id != drive_id:
        return _error(404, "itemNotFound", "item not found")
    if rest[2:] == ["permissions"]:
        em.count("permissions")
        return Answer(200, {"value": render.permissions(world, item.id)})
    if rest[2:] == ["content"]:
        em.count("content")
        if item.folder:
            return _error(400, "invalidRequest", "a folder has no content")
        tempauth = secrets.token_urlsafe(24)
        em.downloads[tempauth] = (item.id, time.monotonic() + 3600)
        location = f"{em.origin}/_layouts/15/download.aspx?UniqueId={item.id}&tempauth={tempauth}"
        return Answer(302, None, {"Location": location})
    if not rest[2:]:
        em.count("item")
        return Answer(200, render.drive_item(world, item, em.origin, shared=item.unique))
    return _error(404, "itemNotFound")


def _directory(em: SharePointEmulator, kind: str, key: str, rest: list[str], query: dict[str, list[str]]) -> Answer:
    world = em.world
    em.count(kind if not rest else f"{kind}_{rest[0]}")
    select = query["$select"][0].split(",") if "$select" in query else None
    if kind == "users" and "@" in key:
        user = world.user_by_upn(key)
        key = user.id if user else ""
    known = {"users": set(world.users), "groups": set(world.groups)}.get(kind, set(world.users) | set(world.groups))
    if key not in known:
        return _error(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist.")
    if not rest:
        return Answer(200, render.directory_object(world, key, select))
    if kind == "groups" and rest in (["owners"], ["members"]):
        group = world.groups[key]
        ids = sorted(group.owners if rest == ["owners"] else group.members)
        return Answer(200, {"value": [render.directory_object(world, i, select) for i in ids]})
    return _error(404, "Request_ResourceNotFound")


def _batch(em: SharePointEmulator, body: bytes) -> Answer:
    try:
        requests = json.loads(body or b"{}")["requests"]
        assert isinstance(requests, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        return _error(400, "BadRequest", "Invalid batch payload format.")
    if len(requests) > MAX_BATCH:
        return _error(400, "BadRequest", f"The number of batch requests exceeds the maximum of {MAX_BATCH}.")
    responses = [_sub_request(em, r) for r in requests]
    return Answer(200, {"responses": responses})


def _sub_request(em: SharePointEmulator, request: dict[str, Any]) -> dict[str, Any]:
    rid = str(request.get("id", ""))
    if str(request.get("method", "GET")).upper() != "GET":
        return {"id": rid, "status": 405, "body": {"error": {"code": "methodNotAllowed"}}}
    sw = em.switches
    if sw.batch_throttle > 0:
        sw.batch_throttle -= 1
        em.count("batch_throttled")
        headers = {"Retry-After": sw.batch_retry_after}
        return {"id": rid, "status": 429, "headers": headers, "body": {"error": {"code": "TooManyRequests"}}}
    split = urlsplit("/" + str(request.get("url", "")).lstrip("/"))
    answer = route(em, split.path, parse_qs(split.query), caseless((request.get("headers") or {}).items()))
    return {"id": rid, "status": answer.status, "headers": answer.headers, "body": answer.body}


def caseless(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Request headers by lower-case name, repeated ones joined with commas (as ``Prefer`` may be)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        out[name.lower()] = f"{out[name.lower()]}, {value}" if name.lower() in out else str(value)
    return out


def _bearer(headers: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    return authorization[7:] if authorization.startswith("Bearer ") else None
