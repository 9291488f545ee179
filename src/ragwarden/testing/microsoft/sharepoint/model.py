"""The pieces of the SharePoint world (:mod:`.world`): directory objects, principals, role assignments, sharing
links, invitations, drive items and the change journal, plus the claims login names SharePoint gives them.

Roles are the world's own words: ``read``, ``write``, ``owner`` (each lets a principal read) and ``limited``
(SharePoint's Limited Access: it lets a principal traverse to something shared below, and read nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Role = Literal["read", "write", "owner", "limited"]
READ_ROLES = frozenset({"read", "write", "owner"})
# A principal of a role assignment: a user or an Entra group by object id, the owners of an M365 group by its
# object id, a site group by its decimal id, or one of the two tenant-wide claims (ref "").
PrincipalKind = Literal["user", "group", "owners", "siteGroup", "eeeu", "everyone"]
LinkScope = Literal["anonymous", "organization", "users", "existingAccess"]

EVERYONE_LOGIN = "c:0(.s|true"
USER_CLAIM = "i:0#.f|membership|"
SECURITY_GROUP_CLAIM = "c:0t.c|tenant|"
M365_GROUP_CLAIM = "c:0o.c|federateddirectoryclaimprovider|"


def eeeu_login(tenant_id: str) -> str:
    """"Everyone except external users" of a tenant, as a login name."""
    return f"c:0-.f|rolemanager|spo-grid-all-users/{tenant_id}"


@dataclass
class User:
    id: str  # object id (lower-case GUID)
    upn: str
    display_name: str
    sid: str | None = None  # onPremisesSecurityIdentifier of an account synced from AD
    user_type: Literal["Member", "Guest"] = "Member"
    enabled: bool = True
    mail: str | None = None

    @property
    def login(self) -> str:
        return f"{USER_CLAIM}{self.upn.lower()}"


@dataclass
class Group:
    id: str
    name: str
    members: set[str] = field(default_factory=set)  # object ids of users and (nested) groups
    owners: set[str] = field(default_factory=set)  # user object ids (M365 groups)
    unified: bool = False  # an M365 group (its claim differs from a security group's)
    sid: str | None = None

    def login(self, *, owners: bool = False) -> str:
        if self.unified:
            return f"{M365_GROUP_CLAIM}{self.id}{'_o' if owners else ''}"
        return f"{SECURITY_GROUP_CLAIM}{self.id}"


@dataclass
class SiteGroup:
    id: int
    title: str
    members: list[str] = field(default_factory=list)  # claims login names (SharePoint groups do not nest)
    sharing_link: str | None = None  # the link id of a SharingLinks.* group (its members follow the link)


@dataclass
class Grant:
    """A role assignment of one principal on one item."""

    id: str
    kind: PrincipalKind
    ref: str  # object id, site group id (decimal) or "" for the tenant-wide claims
    role: Role
    expires: datetime | None = None


@dataclass
class Link:
    """A sharing link. ``identities``: the user object ids listed on it (who was given or redeemed it)."""

    id: str
    scope: LinkScope
    role: Role = "read"
    identities: set[str] = field(default_factory=set)
    expires: datetime | None = None

    @property
    def type(self) -> str:
        return "edit" if self.role in ("write", "owner") else "view"


@dataclass
class Invitation:
    """A pending invitation of an e-mail address: no grantee yet, so it grants nothing until redeemed."""

    id: str
    email: str
    role: Role = "read"
    expires: datetime | None = None


@dataclass
class Item:
    id: str
    drive_id: str
    name: str
    parent_id: str | None  # None: the drive's root
    folder: bool
    content: bytes = b""
    created: datetime | None = None
    modified: datetime | None = None
    version: int = 1  # eTag: every change
    content_version: int = 1  # cTag: content changes only
    unique: bool = False  # its own role assignments (True) or its parent's (False)
    grants: list[Grant] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    deleted: bool = False
    tag: str = ""  # the GUID in eTag and cTag


@dataclass
class Web:
    """The root web of the site collection or one of its subsites, with its document libraries."""

    id: str
    path: str  # server-relative, e.g. "/sites/finance" or "/sites/finance/emea"
    title: str
    parent_id: str | None = None
    drives: dict[str, str] = field(default_factory=dict)  # drive id -> library name


@dataclass(frozen=True)
class Change:
    """One entry of a drive's change journal (what delta answers from a token).

    ``kind``: ``item`` (created, content, renamed or moved), ``delete``, or ``sharing`` (its permissions changed;
    ``removal`` when access was only taken away; ``silent`` when Graph is known not to report it at all)."""

    seq: int
    drive_id: str
    item_id: str
    kind: Literal["item", "delete", "sharing"]
    removal: bool = False
    silent: bool = False
