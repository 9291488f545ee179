"""Microsoft Graph as the Entra stand-in serves it: the directory reads the product makes.

``/users/{id}``, ``/groups/{id}``, ``/directoryObjects/{id}``, and ``/users/{id}/transitiveMemberOf`` or
``/groups/{id}/transitiveMemberOf`` (paged with ``@odata.nextLink``, ``$top`` honoured up to the page
size). Every request needs a Graph app token the authority issued; the test's ``Faults`` add outages
(503) and throttling (429 with ``Retry-After``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ragwarden.testing.microsoft.https import JsonHandler

if TYPE_CHECKING:
    from ragwarden.testing.microsoft.entra import FakeMicrosoft

_NOT_FOUND = {"error": {"code": "Request_ResourceNotFound"}}


def serve_graph(ms: FakeMicrosoft, h: JsonHandler) -> None:
    if ms.scope_of(h.bearer()) != ms.graph_scope:
        return h.reply(401, {"error": {"code": "InvalidAuthenticationToken"}})
    if ms.faults.down:
        return h.reply(503, {"error": {"code": "serviceNotAvailable"}})
    if ms.faults.throttle > 0 and ms.faults.throttle_path in h.path:
        ms.faults.throttle -= 1
        return h.reply(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": ms.faults.retry_after})
    segments = h.route.split("/")[2:]
    if len(segments) == 3 and segments[0] in ("users", "groups") and segments[2] == "transitiveMemberOf":
        return _transitive_member_of(ms, h, segments[0], segments[1])
    found = _object(ms, segments)
    return h.reply(404, _NOT_FOUND) if found is None else h.reply(200, found)


def _object(ms: FakeMicrosoft, segments: list[str]) -> dict[str, Any] | None:
    if len(segments) != 2:
        return None
    kind, oid = segments
    if kind == "users":
        return ms.users.get(oid)
    if kind == "groups":
        return ms.groups.get(oid)
    if kind == "directoryObjects":
        return ms.users.get(oid) or ms.groups.get(oid)
    return None


def _transitive_member_of(ms: FakeMicrosoft, h: JsonHandler, kind: str, oid: str) -> None:
    objects, parents = (ms.users, ms.member_of) if kind == "users" else (ms.groups, ms.group_member_of)
    if oid not in objects:
        return h.reply(404, _NOT_FOUND)
    items = [ms.groups[g] for g in parents.get(oid, [])]
    query = h.query()
    start = int(query.get("$skiptoken", ["0"])[0])
    size = min(ms.page_size, int(query.get("$top", ["100"])[0]))
    page: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        page["@odata.nextLink"] = f"{ms.graph_url}/{kind}/{oid}/transitiveMemberOf?$skiptoken={start + size}"
    return h.reply(200, page)
