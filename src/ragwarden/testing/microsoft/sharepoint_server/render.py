"""The JSON shapes of SharePoint REST (``odata=nometadata``) for the world's principals, role assignments,
libraries and items, as SharePoint Server 2016/2019/SE writes them (Int64 values as strings)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ragwarden.testing.microsoft.sharepoint_server.world import ALL_AUTHENTICATED, EVERYONE, ROLES, World


def principal(world: World, claim: str, number: int) -> dict[str, Any]:
    """A user or a group as SharePoint lists it (``Member`` of a role assignment, a site group's user)."""
    if claim.startswith("group:"):
        group = world.site_groups[int(claim[6:])]
        return {"Id": group.id, "LoginName": group.title, "Title": group.title, "PrincipalType": 8}
    user = world.users.get(claim)
    if user is not None:
        name_id = {"NameId": user.sid.lower(), "NameIdIssuer": "urn:office:idp:activedirectory"}
        return {"Id": number, "LoginName": claim, "Title": user.login.split("\\")[-1], "PrincipalType": 1,
                "UserId": name_id if user.name_id else None}  # fmt: skip
    ad_group = next((g for g in world.groups.values() if g.claim == claim), None)
    title = ad_group.name if ad_group else {EVERYONE: "Everyone", ALL_AUTHENTICATED: "All Users (windows)"}.get(claim)
    kind = 4 if ad_group or claim in (EVERYONE, ALL_AUTHENTICATED) or claim.startswith("c:") else 1
    return {"Id": number, "LoginName": claim, "Title": title or claim, "PrincipalType": kind, "UserId": None}


def role_assignments(world: World, assignments: list[tuple[str, str]], number_of: Any) -> list[dict[str, Any]]:
    """``roleassignments?$expand=Member,RoleDefinitionBindings``: one entry per principal."""
    roles: dict[str, list[str]] = defaultdict(list)
    for claim, role in assignments:
        if role not in roles[claim]:
            roles[claim].append(role)
    out = []
    for claim, names in roles.items():
        member = principal(world, claim, number_of(claim))
        bindings = [
            {
                "Id": ROLES[n].id,
                "Name": n,
                "RoleTypeKind": ROLES[n].kind,
                "Hidden": ROLES[n].kind == 1,
                "BasePermissions": {"High": str(ROLES[n].high), "Low": str(ROLES[n].low)},
            }
            for n in names
        ]
        out.append({"PrincipalId": member["Id"], "Member": member, "RoleDefinitionBindings": bindings})
    return out


def library(world: World, guid: str) -> dict[str, Any]:
    title, template, hidden = world.libraries[guid]
    node = world.nodes[f"list:{guid}"]
    return {
        "Id": guid,
        "Title": title,
        "BaseTemplate": template,
        "Hidden": hidden,
        "HasUniqueRoleAssignments": node.unique,
        "RootFolder": {"ServerRelativeUrl": world.url_of(node.key)},
    }


def item(world: World, key: str) -> dict[str, Any]:
    node = world.nodes[key]
    etag = f'"{{{node.list_id.upper()}-{node.item_id}}},{node.version}"'
    file = None if node.folder else {"Length": str(len(node.content)), "ETag": etag}
    return {
        "Id": node.item_id,
        "FileRef": world.url_of(key),
        "FileLeafRef": node.name,
        "FSObjType": 1 if node.folder else 0,
        "Modified": node.modified.isoformat().replace("+00:00", "Z"),
        "HasUniqueRoleAssignments": node.unique,
        "File": file,
    }
