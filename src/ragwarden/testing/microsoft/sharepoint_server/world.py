"""An on-premises SharePoint Server site collection as a model: Windows accounts (login, SID, password,
enabled) and nested AD groups, the site's SharePoint groups, one web with document libraries, a folder and
file tree per library where each node inherits its permissions or has its own role assignments, the role
definitions (Limited Access included), and the change log that ``getChanges`` answers from.

Principals are written as SharePoint claims, exactly as SharePoint stores them: ``i:0#.w|corp\\alice`` for a
Windows user, ``c:0+.w|s-1-5-21-…`` for an AD group, ``c:0(.s|true`` for Everyone, ``c:0!.s|windows`` for all
authenticated users, anything else (``c:0-.t|adfs|…``, ``i:0#.f|…``) as it is; a SharePoint group is
``group:<id>``. Mutations take ``lock``, which the emulator holds while it answers.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

EVERYONE = "c:0(.s|true"
ALL_AUTHENTICATED = "c:0!.s|windows"
VIEW_LIST_ITEMS, OPEN_ITEMS = 0x1, 0x20


@dataclass(frozen=True)
class RoleDef:
    id: int
    kind: int  # RoleTypeKind: 1 Guest (Limited Access), 2 Reader, 3 Contributor, 4 WebDesigner, 5 Admin, 6 Editor
    low: int
    high: int = 0


ROLES: dict[str, RoleDef] = {
    "Full Control": RoleDef(1073741829, 5, 0xFFFFFFFF, 0x7FFFFFFF),
    "Design": RoleDef(1073741828, 4, 0x7FFFFFFF, 0x1B),
    "Edit": RoleDef(1073741830, 6, 0x43DEF7FF, 0x1B),
    "Contribute": RoleDef(1073741827, 3, 0x43DEF66F, 0x1B),
    "Read": RoleDef(1073741826, 2, 138612833, 176),
    "Limited Access": RoleDef(1073741825, 1, 134287360, 0),
    "Lesen ohne Download": RoleDef(1073741930, 0, 0x8031041, 0),  # custom: ViewListItems without OpenItems
    "Prüfer": RoleDef(1073741931, 0, 0x21 | 0x1000, 0),  # custom: ViewListItems and OpenItems
}


def grants_read(role: str) -> bool:
    found = ROLES[role]
    return found.low & (VIEW_LIST_ITEMS | OPEN_ITEMS) == VIEW_LIST_ITEMS | OPEN_ITEMS


@dataclass
class WinUser:
    login: str  # DOMAIN\name
    sid: str
    password: str = "Passw0rd!"  # noqa: S105 - a test world's account
    enabled: bool = True
    name_id: bool = True  # SharePoint knows the user's SID (User.UserId.NameId)

    @property
    def claim(self) -> str:
        return f"i:0#.w|{self.login.lower()}"


@dataclass
class AdGroup:
    name: str
    sid: str
    members: set[str] = field(default_factory=set)  # SIDs of users and groups

    @property
    def claim(self) -> str:
        return f"c:0+.w|{self.sid.lower()}"


@dataclass
class SiteGroup:
    id: int
    title: str
    members: list[str] = field(default_factory=list)  # claims


@dataclass
class Node:
    """The web (key ``web``), a library (key ``list:<guid>``) or an item (key ``item:<guid>:<id>``)."""

    key: str
    name: str
    parent: str | None
    folder: bool = True
    unique: bool = False
    assignments: list[tuple[str, str]] = field(default_factory=list)  # (principal claim or group:<id>, role)
    content: bytes = b""
    version: int = 1
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    deleted: bool = False

    @property
    def list_id(self) -> str:
        return self.key.split(":")[1]

    @property
    def item_id(self) -> int:
        return int(self.key.split(":")[2])


class World:
    def __init__(self, *, domain: str = "CORP", site_path: str = "/sites/team", seed: int = 0,
                 domain_sid: str = "S-1-5-21-1004336348-1177238915-682003330") -> None:  # fmt: skip
        self.lock = threading.RLock()
        self.rng = random.Random(seed)  # noqa: S311 - ids for a test world
        self.domain, self.domain_sid, self.site_path = domain, domain_sid, site_path
        self.site_id = self.guid()
        self.web_id = self.guid()
        self.users: dict[str, WinUser] = {}  # by claim
        self.groups: dict[str, AdGroup] = {}  # by SID
        self.site_groups: dict[int, SiteGroup] = {}
        self.nodes: dict[str, Node] = {"web": Node("web", "", None, unique=True)}
        self.libraries: dict[str, tuple[str, int, bool]] = {}  # guid -> (title, BaseTemplate, Hidden)
        self.changes: list[dict[str, object]] = []  # the change log; a change's number is its index + 1
        self.oldest_change = 0  # a token before this number is too old
        self._next_rid = 1100
        self._next_item: dict[str, int] = {}
        owners, members, visitors = (self.add_site_group(f"Team {n}") for n in ("Owners", "Members", "Visitors"))
        self.owners, self.members_group, self.visitors = owners, members, visitors
        self.nodes["web"].assignments = [(f"group:{owners}", "Full Control"), (f"group:{members}", "Edit"),
                                         (f"group:{visitors}", "Read")]  # fmt: skip

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def now(self) -> datetime:
        return datetime(2026, 11, 2, 8, 0, tzinfo=UTC) + timedelta(seconds=len(self.changes))

    # -- the directory -----------------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        sid: str | None = None,
        password: str = "Passw0rd!",  # noqa: S107 - a test world's account
        enabled: bool = True,
        name_id: bool = True,
    ) -> str:
        """A Windows account; returns its claim (``i:0#.w|corp\\name``)."""
        with self.lock:
            user = WinUser(f"{self.domain}\\{name}", sid or self._sid(), password, enabled, name_id)
            self.users[user.claim] = user
            return user.claim

    def add_group(self, name: str, *members: str, sid: str | None = None) -> str:
        """An AD group with users (claims) and groups (claims) as members; returns its claim."""
        with self.lock:
            group = AdGroup(name, sid or self._sid(), {self.sid_of(m) for m in members})
            self.groups[group.sid] = group
            return group.claim

    def sid_of(self, claim: str) -> str:
        if claim in self.users:
            return self.users[claim].sid
        return next(g.sid for g in self.groups.values() if g.claim == claim)

    def add_site_group(self, title: str, *members: str) -> int:
        with self.lock:
            gid = 3 + len(self.site_groups)
            self.site_groups[gid] = SiteGroup(gid, title, list(members))
            return gid

    def add_site_group_member(self, gid: int, claim: str) -> None:
        with self.lock:
            self.site_groups[gid].members.append(claim)
            self._log(13, GroupId=gid)

    def remove_site_group_member(self, gid: int, claim: str) -> None:
        with self.lock:
            self.site_groups[gid].members.remove(claim)
            self._log(14, GroupId=gid)

    def _sid(self) -> str:
        self._next_rid += 1
        return f"{self.domain_sid}-{self._next_rid}"

    # -- the tree ------------------------------------------------------------------------------------------
    def add_library(self, title: str, *, template: int = 101, hidden: bool = False) -> str:
        """A list (a document library by default); returns its node key ``list:<guid>``."""
        with self.lock:
            guid = self.guid()
            self.libraries[guid] = (title, template, hidden)
            self.nodes[f"list:{guid}"] = Node(f"list:{guid}", title, "web")
            self._next_item[guid] = 0
            return f"list:{guid}"

    def add_folder(self, parent: str, name: str) -> str:
        return self._add(parent, name, folder=True, content=b"")

    def add_file(self, parent: str, name: str, content: bytes) -> str:
        return self._add(parent, name, folder=False, content=content)

    def _add(self, parent: str, name: str, *, folder: bool, content: bytes) -> str:
        with self.lock:
            guid = self.nodes[parent].key.split(":")[1]
            self._next_item[guid] += 1
            key = f"item:{guid}:{self._next_item[guid]}"
            self.nodes[key] = Node(key, name, parent, folder=folder, content=content, modified=self.now())
            self._log(1, node=key)
            return key

    def set_content(self, key: str, content: bytes) -> None:
        with self.lock:
            node = self.nodes[key]
            node.content, node.version, node.modified = content, node.version + 1, self.now()
            self._log(2, node=key)

    def rename(self, key: str, name: str) -> None:
        with self.lock:
            self.nodes[key].name = name
            self._log(4, node=key)

    def move(self, key: str, parent: str) -> None:
        """Moves an item (a folder with everything below it); SharePoint refuses a folder moved into itself."""
        with self.lock:
            if key in self.ancestors(parent):
                raise ValueError(f"cannot move {self.nodes[key].name!r} into itself or a folder below it")
            self.nodes[key].parent = parent
            self._log(6, node=key)

    def delete(self, key: str) -> None:
        with self.lock:
            for node in self.subtree(key):
                node.deleted = True
            self._log(3, node=key)

    def subtree(self, key: str) -> list[Node]:
        return [n for n in self.nodes.values() if key in self.ancestors(n.key)]

    def ancestors(self, key: str) -> list[str]:
        """``key`` and its ancestors, nearest first, up to the web."""
        found = [key]
        while (parent := self.nodes[found[-1]].parent) is not None:
            found.append(parent)
        return found

    def files(self) -> list[str]:
        return [n.key for n in self.nodes.values() if n.key.startswith("item:") and not n.folder and not n.deleted]

    def url_of(self, key: str) -> str:
        """The server-relative URL (``FileRef``) of a library or an item."""
        names = [self.nodes[k].name for k in reversed(self.ancestors(key)) if k != "web"]
        return "/".join([self.site_path, *names])

    # -- permissions --------------------------------------------------------------------------------------
    def break_inheritance(self, key: str, *, copy: bool = True) -> None:
        with self.lock:
            node = self.nodes[key]
            if not node.unique:
                node.assignments = list(self.scope_of(key).assignments) if copy else []
                node.unique = True
                self._log(17, node=key)

    def restore_inheritance(self, key: str) -> None:
        with self.lock:
            node = self.nodes[key]
            node.unique, node.assignments = False, []
            self._log(18, node=key)

    def grant(self, key: str, principal: str, role: str) -> None:
        with self.lock:
            self.break_inheritance(key)
            self.nodes[key].assignments.append((principal, role))
            self._log(11, node=key)

    def revoke(self, key: str, principal: str) -> None:
        with self.lock:
            node = self.nodes[key]
            node.assignments = [a for a in node.assignments if a[0] != principal]
            self._log(12, node=key)

    def scope_of(self, key: str) -> Node:
        """The nearest node, ``key`` itself included, with its own role assignments."""
        return next(self.nodes[k] for k in self.ancestors(key) if self.nodes[k].unique)

    # -- the change log -----------------------------------------------------------------------------------
    def token(self, number: int | None = None) -> str:
        number = len(self.changes) if number is None else number
        return f"1;1;{self.site_id};639000000000000000;{number}"

    def expire_changes(self) -> None:
        """Every token handed out so far becomes too old (the change log was trimmed)."""
        with self.lock:
            self.oldest_change = len(self.changes) + 1

    def _log(self, change_type: int, *, node: str | None = None, **fields: object) -> None:
        change: dict[str, object] = {"ChangeType": change_type, "SiteId": self.site_id, **fields}
        if node == "web":
            change["WebId"] = self.web_id
        elif node is not None:
            change["ListId"] = node.split(":")[1]
            if node.startswith("item:"):
                change["ItemId"] = int(node.split(":")[2])
        change["Time"] = self.now().isoformat().replace("+00:00", "Z")
        self.changes.append(change)
