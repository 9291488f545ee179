"""The SharePoint REST endpoints the on-premises connector uses, answered from the world (``odata=nometadata``).

Lists of items page by ID: ``$top`` over 5 000 is refused as SharePoint refuses a query past the list view
threshold, and a page ends with ``odata.nextLink`` (``$skiptoken=Paged=TRUE&p_ID=<last id>``). ``getChanges``
answers the change log after ``ChangeTokenStart`` (at most ``FetchLimit``, default 1 000), filtered by the
query's object and change-type flags; a token older than the log is refused with SharePoint's message.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from ragwarden.testing.microsoft.sharepoint_server import render

if TYPE_CHECKING:
    from ragwarden.testing.microsoft.sharepoint_server.emulator import SharePointServerEmulator

THRESHOLD = 5000
LIBRARIES_FILTER = "BaseTemplate eq 101 and Hidden eq false"
TOO_OLD = "The changeToken refers to a time before the start of the current change log."
_LIST = r"lists\(guid'(?P<list>[0-9a-fA-F-]{36})'\)"
_ROUTES = [
    ("site", re.compile(r"site")),
    ("token", re.compile(r"site/CurrentChangeToken")),
    ("web", re.compile(r"web")),
    ("lists", re.compile(r"web/lists")),
    ("items", re.compile(rf"web/{_LIST}/items")),
    ("item", re.compile(rf"web/{_LIST}/items\((?P<id>[0-9]+)\)")),
    ("roles", re.compile(rf"web(?:/{_LIST}(?:/items\((?P<id>[0-9]+)\))?)?/roleassignments")),
    ("groups", re.compile(r"web/sitegroups")),
    ("members", re.compile(r"web/sitegroups(?:/getbyid)?\((?P<group>[0-9]+)\)/users")),
    ("file", re.compile(r"web/GetFileByServerRelativePath\(decodedurl='(?P<url>.*)'\)/\$value")),
]
# getChanges: which query flag admits a change, by change type and by the kind of object changed
_TYPE_FLAGS = {1: "Add", 2: "Update", 3: "DeleteObject", 4: "Rename", 5: "Move", 6: "Move", 11: "RoleAssignmentAdd",
               12: "RoleAssignmentDelete", 13: "GroupMembershipAdd", 14: "GroupMembershipDelete",
               17: "SecurityPolicy", 18: "SecurityPolicy"}  # fmt: skip

Answer = tuple[int, Any]


def answer(em: SharePointServerEmulator, method: str, target: str, body: bytes) -> Answer | bytes:
    parts = urlsplit(target)
    path = unquote(parts.path)
    prefix = f"{em.world.site_path}/_api/"
    if not path.startswith(prefix):
        return 404, _error("-1, System.IO.FileNotFoundException", "no such site")
    rest = path[len(prefix) :]
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if method == "POST":
        if rest in ("site/getChanges", "web/getChanges"):
            em.count("changes")
            return _changes(em, body)
        return 405, _error("-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "GET only")
    for name, pattern in _ROUTES:
        match = pattern.fullmatch(rest)
        if match:
            em.count(name)
            return _GET[name](em, match.groupdict(), query)
    return 404, _error("-1, Microsoft.SharePoint.Client.ResourceNotFoundException", f"no endpoint {rest}")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"odata.error": {"code": code, "message": {"lang": "en-US", "value": message}}}


def _site(em: SharePointServerEmulator, _: dict[str, Any], q: dict[str, str]) -> Answer:
    return 200, {"Id": em.world.site_id, "ServerRelativeUrl": em.world.site_path}


def _token(em: SharePointServerEmulator, _: dict[str, Any], q: dict[str, str]) -> Answer:
    return 200, {"StringValue": em.world.token()}


def _web(em: SharePointServerEmulator, _: dict[str, Any], q: dict[str, str]) -> Answer:
    w = em.world
    return 200, {"Id": w.web_id, "ServerRelativeUrl": w.site_path, "HasUniqueRoleAssignments": True}


def _lists(em: SharePointServerEmulator, _: dict[str, Any], q: dict[str, str]) -> Answer:
    if q.get("$filter") not in (None, LIBRARIES_FILTER):
        return 400, _error("-1, Microsoft.SharePoint.SPException", "the emulator filters libraries only")
    found = [render.library(em.world, g) for g in em.world.libraries]
    if "$filter" in q:
        found = [f for f in found if f["BaseTemplate"] == 101 and not f["Hidden"]]
    return 200, {"value": found}


def _node(em: SharePointServerEmulator, p: dict[str, Any]) -> str | None:
    key = "web" if not p.get("list") else f"list:{p['list'].lower()}"
    if p.get("id"):
        key = f"item:{p['list'].lower()}:{int(p['id'])}"
    node = em.world.nodes.get(key)
    return None if node is None or node.deleted else key


def _items(em: SharePointServerEmulator, p: dict[str, Any], q: dict[str, str]) -> Answer:
    guid = p["list"].lower()
    if guid not in em.world.libraries:
        return 404, _error("-1, System.ArgumentException", "List does not exist.")
    if em.switches.fail_items > 0:
        em.switches.fail_items -= 1
        return 503, _error("-2147024860, Microsoft.SharePoint.SPException", "Server too busy")
    top = int(q.get("$top") or 100)
    if top > THRESHOLD:
        message = "The attempted operation is prohibited because it exceeds the list view threshold."
        return 500, _error("-2147024860, Microsoft.SharePoint.SPQueryThrottledException", message)
    after = int(m.group(1)) if (m := re.fullmatch(r"Id gt ([0-9]+)", q.get("$filter", ""))) else 0
    if (m := re.search(r"p_ID=([0-9]+)", q.get("$skiptoken", ""))) is not None:
        after = max(after, int(m.group(1)))
    keys = sorted((k for k, n in em.world.nodes.items() if k.startswith(f"item:{guid}:") and not n.deleted),
                  key=lambda k: em.world.nodes[k].item_id)  # fmt: skip
    keys = [k for k in keys if em.world.nodes[k].item_id > after]
    size = min(top, em.page_size)
    page = [render.item(em.world, k) for k in keys[:size]]
    body: dict[str, Any] = {"value": page}
    if len(keys) > size:
        following = {**q, "$skiptoken": f"Paged=TRUE&p_ID={page[-1]['Id']}"}
        body["odata.nextLink"] = f"{em.base_url}{em.world.site_path}/_api/web/lists(guid'{guid}')/items?" + urlencode(
            following, quote_via=quote
        )
    return 200, body


def _item(em: SharePointServerEmulator, p: dict[str, Any], q: dict[str, str]) -> Answer:
    key = _node(em, p)
    if key is None:
        return 404, _error("-2147024809, System.ArgumentException", "Item does not exist.")
    return 200, render.item(em.world, key)


def _roles(em: SharePointServerEmulator, p: dict[str, Any], q: dict[str, str]) -> Answer:
    key = _node(em, p)
    if key is None:
        return 404, _error("-2147024809, System.ArgumentException", "Item does not exist.")
    if em.switches.unreadable_roles == key:
        return 403, _error("-2147024891, System.UnauthorizedAccessException", "Access denied.")
    assignments = em.world.scope_of(key).assignments  # what SharePoint shows for an inheriting object too
    return 200, {"value": render.role_assignments(em.world, assignments, em.principal_number)}


def _groups(em: SharePointServerEmulator, _: dict[str, Any], q: dict[str, str]) -> Answer:
    found = [render.principal(em.world, f"group:{g}", g) for g in em.world.site_groups]
    return 200, {"value": found}


def _members(em: SharePointServerEmulator, p: dict[str, Any], q: dict[str, str]) -> Answer:
    group = em.world.site_groups.get(int(p["group"]))
    if group is None:
        return 404, _error("-2146232832, Microsoft.SharePoint.SPException", "Group cannot be found.")
    return 200, {"value": [render.principal(em.world, c, em.principal_number(c)) for c in group.members]}


def _file(em: SharePointServerEmulator, p: dict[str, Any], q: dict[str, str]) -> Answer | bytes:
    url = p["url"].replace("''", "'")
    if em.switches.refuse_files:
        return 403, _error("-2147024891, System.UnauthorizedAccessException", "Access denied.")
    for key, node in em.world.nodes.items():
        if key.startswith("item:") and not node.folder and not node.deleted and em.world.url_of(key) == url:
            return node.content
    return 404, _error("-2130575338, Microsoft.SharePoint.SPException", f"File Not Found: {url}")


_GET: dict[str, Any] = {"site": _site, "token": _token, "web": _web, "lists": _lists, "items": _items, "item": _item,
                        "roles": _roles, "groups": _groups, "members": _members, "file": _file}  # fmt: skip


def _changes(em: SharePointServerEmulator, body: bytes) -> Answer:
    try:
        query = json.loads(body)["query"]
    except (ValueError, KeyError, TypeError):
        return 400, _error("-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "no query")
    start = (query.get("ChangeTokenStart") or {}).get("StringValue")
    number = int(str(start).rsplit(";", 1)[-1]) if start else em.world.oldest_change
    if number < em.world.oldest_change:
        return 500, _error("-2146232832, Microsoft.SharePoint.SPException", TOO_OLD)
    limit = int(query.get("FetchLimit") or 1000)
    found = []
    for index, change in enumerate(em.world.changes[number:], start=number + 1):
        if _admitted(query, change):
            found.append({**change, "ChangeToken": {"StringValue": em.world.token(index)}})
        if len(found) >= limit:
            break
    return 200, {"value": found}


def _admitted(query: dict[str, Any], change: dict[str, Any]) -> bool:
    kind = "Item" if "ItemId" in change else "List" if "ListId" in change else "Group" if "GroupId" in change else "Web"
    return bool(query.get(kind)) and bool(query.get(_TYPE_FLAGS.get(int(change["ChangeType"]), "")))
