"""The SharePoint host of the emulator (``https://{tenant}.sharepoint.com`` in real life): the REST endpoints
for site groups, and the pre-authenticated download URLs Graph's ``/content`` redirects to.

- ``GET {site}/_api/web/sitegroups`` and ``GET {site}/_api/web/sitegroups/getbyid({id})/users``: JSON
  (``Accept: application/json;odata=nometadata`` → ``{"value": [...]}``, ``odata=verbose`` →
  ``{"d": {"results": [...]}}``) with ``Id``, ``Title``, ``LoginName``, ``PrincipalType``. An app-only token
  must be for this host's resource and obtained with a certificate: one obtained with a client secret
  (``appidacr`` "1") is refused with 401 "Unsupported app only token.", as SharePoint Online does.
- ``GET /_layouts/15/download.aspx?UniqueId=…&tempauth=…``: the file's bytes. The URL is its own
  credential: a request that carries an ``Authorization`` header fails (and is counted as
  ``download_with_bearer``), so a client that forwards the Graph token across the redirect is caught.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from ragwarden.testing.microsoft.sharepoint.delta import Answer

if TYPE_CHECKING:
    from ragwarden.testing.microsoft.sharepoint.emulator import SharePointEmulator

_SITEGROUPS = re.compile(r"(?P<web>/.*?)/_api/web/sitegroups(?:/getbyid\((?P<id>\d+)\)/users)?/?")
_PRINCIPAL_USER, _PRINCIPAL_SECURITY_GROUP, _PRINCIPAL_SHAREPOINT_GROUP = 1, 4, 8


def answer_host(em: SharePointEmulator, url: str, headers: Mapping[str, str]) -> Answer | bytes:
    """A GET on the SharePoint host: an answer, or the bytes of a download."""
    split = urlsplit(url)
    path = unquote(split.path)
    if path == "/_layouts/15/download.aspx":
        return _download(em, parse_qs(split.query), headers)
    found = _SITEGROUPS.fullmatch(path)
    if found is None:
        return Answer(404, {"error": {"code": "-2147024894", "message": "File Not Found."}})
    denied = _refused(em, headers)
    if denied is not None:
        return denied
    if "json" not in headers.get("accept", ""):
        return Answer(406, {"error": "this emulator answers JSON only (SharePoint would answer Atom XML)"})
    with em.world.lock:
        if not any(w.path.lower() == found["web"].lower() for w in em.world.webs.values()):
            return Answer(404, {"error": {"code": "-2147024894", "message": "File Not Found."}})
        if found["id"] is None:
            em.count("sitegroups")
            rows = [_group_row(em, sgid) for sgid in sorted(em.world.site_groups)]
        else:
            em.count("sitegroup_users")
            group = em.world.site_groups.get(int(found["id"]))
            if group is None:
                return Answer(404, {"error": {"code": "-2146232832", "message": "Group cannot be found."}})
            rows = [_member_row(em, login) for login in group.members]
    verbose = "odata=verbose" in headers.get("accept", "")
    return Answer(200, {"d": {"results": rows}} if verbose else {"value": rows})


def _refused(em: SharePointEmulator, headers: Mapping[str, str]) -> Answer | None:
    authorization = headers.get("authorization", "")
    token = authorization[7:] if authorization.startswith("Bearer ") else None
    if em.authority.scope_of(token) != em.sharepoint_scope:
        em.count("rest_unauthorized")
        return Answer(401, {"error_description": "Invalid issuer or signature."})
    if em.authority.app_claims(token or "").get("appidacr") != "2":
        em.count("rest_secret_refused")
        return Answer(401, {"error_description": "Unsupported app only token."})
    return None


def _group_row(em: SharePointEmulator, sgid: int) -> dict[str, Any]:
    group = em.world.site_groups[sgid]
    return {"Id": group.id, "Title": group.title, "LoginName": group.title,
            "PrincipalType": _PRINCIPAL_SHAREPOINT_GROUP, "OnlyAllowMembersViewMembership": False}  # fmt: skip


def _member_row(em: SharePointEmulator, login: str) -> dict[str, Any]:
    """A member as ``sitegroups/getbyid(n)/users`` lists it (its ``Id`` is its number in the site)."""
    world = em.world
    claim = login.lower()
    user = world.user_by_upn(claim.rsplit("|", 1)[-1]) if claim.startswith("i:0#.f|membership|") else None
    group_id = claim.rsplit("|", 1)[-1].removesuffix("_o") if claim.startswith("c:0") else ""
    group = world.groups.get(group_id)
    title = user.display_name if user else (group.name if group else login)
    return {
        "Id": em.principal_number(login),
        "Title": title,
        "LoginName": login,
        "Email": (user.mail if user else "") or "",
        "UserPrincipalName": user.upn if user else None,
        "PrincipalType": _PRINCIPAL_USER if claim.startswith("i:") else _PRINCIPAL_SECURITY_GROUP,
        "IsSiteAdmin": False,
    }


def _download(em: SharePointEmulator, query: dict[str, list[str]], headers: Mapping[str, str]) -> Answer | bytes:
    if "authorization" in headers:
        em.count("download_with_bearer")
        return Answer(401, {"error": "a pre-authenticated download URL takes no Authorization header"})
    em.count("download")
    grant = em.downloads.get(query.get("tempauth", [""])[0])
    item_id = query.get("UniqueId", [""])[0]
    if grant is None or grant[0] != item_id or grant[1] < time.monotonic():
        return Answer(401, {"error": "invalid or expired tempauth"})
    with em.world.lock:
        item = em.world.items.get(item_id)
        if item is None or item.deleted:
            return Answer(404, {"error": "File Not Found."})
        return item.content
