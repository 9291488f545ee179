"""The world as Microsoft Graph writes it: sites, drives, driveItems, permission resources, directory objects.

Field names follow the Graph v1.0 reference. Role names: ``read``, ``write``, ``owner``; Limited Access is
written ``sp.limited access`` (unverified: Graph's spelling for it is not documented; what matters is that it is
none of the three). Directory objects answer with Graph's default properties unless ``$select`` asks for more
(``accountEnabled``, ``userType`` and ``onPremisesSecurityIdentifier`` of a user only when selected).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ragwarden.testing.microsoft.sharepoint.model import EVERYONE_LOGIN, Grant, Item, Link, User, eeeu_login
from ragwarden.testing.microsoft.sharepoint.world import World

_ROLES = {"read": "read", "write": "write", "owner": "owner", "limited": "sp.limited access"}
_USER_DEFAULT = ("id", "displayName", "userPrincipalName", "mail", "businessPhones", "givenName", "surname")
_GROUP_DEFAULT = ("id", "displayName", "groupTypes", "securityEnabled", "mailEnabled", "onPremisesSecurityIdentifier")


def quick_xor_hash(data: bytes) -> str:
    """OneDrive's QuickXorHash, base64: each byte XORed into a 160-bit register at a shift growing by 11 bits
    (wrapping around), then the length XORed into the last 8 bytes. Bytes 160 apart land on the same shift,
    so the data is first folded into one 160-byte block (fast for large files)."""
    width, acc, block = 160, 0, 0
    for start in range(0, len(data), width):
        block ^= int.from_bytes(data[start : start + width], "little")
    for i, byte in enumerate(block.to_bytes(width, "little")):
        shift = (i * 11) % width
        acc ^= (byte << shift) & ((1 << width) - 1)
        if shift > width - 8:
            acc ^= byte >> (width - shift)
    raw = bytearray(acc.to_bytes(20, "little"))
    for i, b in enumerate(len(data).to_bytes(8, "little")):
        raw[12 + i] ^= b
    return base64.b64encode(bytes(raw)).decode()


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def site_id(world: World, web_id: str) -> str:
    return f"{world.host},{world.site_collection_id},{web_id}"


def site(world: World, web_id: str, origin: str) -> dict[str, Any]:
    web = world.webs[web_id]
    return {
        "id": site_id(world, web_id),
        "name": web.path.rsplit("/", 1)[-1],
        "displayName": web.title,
        "webUrl": f"{origin}{web.path}",
        "siteCollection": {"hostname": world.host},
    }


def drive(world: World, drive_id: str, origin: str) -> dict[str, Any]:
    web = world.web_of(drive_id)
    name = web.drives[drive_id]
    return {"id": drive_id, "name": name, "driveType": "documentLibrary",
            "webUrl": f"{origin}{web.path}/{quote(name)}"}  # fmt: skip


def drive_item(world: World, item: Item, origin: str, *, shared: bool) -> dict[str, Any]:
    """A driveItem as delta writes it (``parentReference`` without ``path``); ``shared``: give the facet."""
    web = world.web_of(item.drive_id)
    url = f"{origin}{web.path}/{quote(web.drives[item.drive_id])}/{quote(world.path_of(item.id))}".rstrip("/")
    out: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "eTag": f'"{{{item.tag}}},{item.version}"',
        "cTag": f'"c:{{{item.tag}}},{item.content_version}"',
        "createdDateTime": iso(item.created),
        "lastModifiedDateTime": iso(item.modified),
        "webUrl": url,
        "size": len(item.content) if not item.folder else sum(len(i.content) for i in world.descendants(item.id)),
        "parentReference": {"driveId": item.drive_id, "driveType": "documentLibrary"},
    }
    if item.parent_id is None:
        out["root"] = {}
    else:
        out["parentReference"]["id"] = item.parent_id
    if item.folder:
        out["folder"] = {"childCount": len(world.children(item.id))}
    else:
        out["file"] = {"mimeType": "application/octet-stream", "hashes": {"quickXorHash": quick_xor_hash(item.content)}}
    if shared:
        out["shared"] = {"scope": "users"}
    return out


def deleted_item(item: Item) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "deleted": {"state": "deleted"},
            "parentReference": {"driveId": item.drive_id, "id": item.parent_id}}  # fmt: skip


def permissions(world: World, item_id: str) -> list[dict[str, Any]]:
    """The permission resources of an item: its own role assignments, or its nearest unique ancestor's with
    ``inheritedFrom`` naming that ancestor."""
    holder = world.permission_root(item_id)
    out = [_grant(world, g) for g in holder.grants]
    out += [_link(world, link) for link in holder.links]
    for invitation in holder.invitations:
        entry = {"id": invitation.id, "roles": [_ROLES[invitation.role]],
                 "invitation": {"email": invitation.email, "signInRequired": True}}  # fmt: skip
        out.append(entry | _expiry(invitation.expires))
    if holder.id != item_id:
        for entry in out:
            entry["inheritedFrom"] = {"driveId": holder.drive_id, "id": holder.id}
    return out


def _grant(world: World, grant: Grant) -> dict[str, Any]:
    return {"id": grant.id, "roles": [_ROLES[grant.role]], "grantedToV2": _identity(world, grant)} | _expiry(
        grant.expires
    )


def _identity(world: World, grant: Grant) -> dict[str, Any]:
    if grant.kind == "user":
        user = world.users.get(grant.ref)
        if user is None:  # deleted from the directory: SharePoint still shows the assignment by id
            return {"user": {"id": grant.ref}}
        return user_identity(user)
    if grant.kind in ("group", "owners"):
        group = world.groups.get(grant.ref)
        name = "" if group is None else group.name + (" Owners" if grant.kind == "owners" else "")
        login = (group.login(owners=grant.kind == "owners") if group else f"c:0t.c|tenant|{grant.ref}")
        site_user = {"siteUser": {"displayName": name, "loginName": login}}
        # The owners of an M365 group are no Entra object of their own: only the login name says who they are.
        return site_user if grant.kind == "owners" else {"group": {"id": grant.ref, "displayName": name}} | site_user
    if grant.kind == "siteGroup":
        group_title = world.site_groups[int(grant.ref)].title if int(grant.ref) in world.site_groups else ""
        return {"siteGroup": {"id": grant.ref, "displayName": group_title, "loginName": group_title}}
    if grant.kind == "eeeu":
        return {"siteUser": {"displayName": "Everyone except external users", "loginName": eeeu_login(world.tenant_id)}}
    return {"siteUser": {"displayName": "Everyone", "loginName": EVERYONE_LOGIN}}


def user_identity(user: User) -> dict[str, Any]:
    return {
        "user": {"id": user.id, "displayName": user.display_name, "email": user.mail},
        "siteUser": {"displayName": user.display_name, "loginName": user.login, "email": user.mail},
    }


def _link(world: World, link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": link.id,
        "roles": [_ROLES[link.role]],
        "link": {"scope": link.scope, "type": link.type, "webUrl": f"https://{world.host}/:u:/s/x/{link.id}"},
        "hasPassword": False,
        "grantedToIdentitiesV2": [user_identity(world.users[u]) for u in sorted(link.identities) if u in world.users],
    }
    return out | _expiry(link.expires)


def _expiry(moment: datetime | None) -> dict[str, Any]:
    return {} if moment is None else {"expirationDateTime": iso(moment)}


def directory_object(world: World, oid: str, select: list[str] | None) -> dict[str, Any] | None:
    """A user or group as ``/users/{id}``, ``/groups/{id}`` or ``/directoryObjects/{id}`` answers it."""
    if oid in world.users:
        u = world.users[oid]
        full: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.user", "id": u.id, "displayName": u.display_name,
            "userPrincipalName": u.upn, "mail": u.mail, "businessPhones": [], "givenName": None, "surname": None,
            "accountEnabled": u.enabled, "userType": u.user_type, "onPremisesSecurityIdentifier": u.sid,
        }  # fmt: skip
        default: tuple[str, ...] = _USER_DEFAULT
    elif oid in world.groups:
        g = world.groups[oid]
        full = {"@odata.type": "#microsoft.graph.group", "id": g.id, "displayName": g.name,
                "groupTypes": ["Unified"] if g.unified else [], "securityEnabled": not g.unified,
                "mailEnabled": g.unified, "onPremisesSecurityIdentifier": g.sid}  # fmt: skip
        default = _GROUP_DEFAULT
    else:
        return None
    keep = set(select or default) | {"@odata.type", "id"}
    return {k: v for k, v in full.items() if k in keep}
