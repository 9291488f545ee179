"""A SharePoint Online tenant as a model: one site collection (its root web and subsites, each with document
libraries), an item tree per library, role assignments, sharing links and invitations, and a change journal
per drive from which the emulator answers delta. The directory (users, Entra groups, site groups) lives in
:class:`.directory.Directory`, which :class:`World` extends.

As in SharePoint, granting on an item that inherits first breaks inheritance, copying the parent's role
assignments (links included: a link is one SharingLinks group, so its copies follow it); every drive root
starts with the site's Owners (owner), Members (write) and Visitors (read) groups. Mutations take ``lock``,
which the emulator also holds while it answers, so a test may change the world while a sync runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

from ragwarden.testing.microsoft.sharepoint.directory import Directory
from ragwarden.testing.microsoft.sharepoint.model import (
    Change,
    Grant,
    Invitation,
    Item,
    Link,
    LinkScope,
    PrincipalKind,
    Role,
    Web,
)


class World(Directory):
    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        host: str = "contoso.sharepoint.com",
        site_path: str = "/sites/team",
        title: str = "Team",
        seed: int | None = 0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(tenant_id, seed)
        self.host, self.clock = host, clock
        self.site_collection_id = self.guid()
        self.webs: dict[str, Web] = {}
        self.items: dict[str, Item] = {}
        self._children: dict[str, list[str]] = {}  # folder id -> child ids (live and deleted), in creation order
        self.drive_roots: dict[str, str] = {}  # drive id -> root item id
        self.journal: list[Change] = []
        self.seq = 0
        self.owners_group = self.add_site_group(f"{title} Owners")
        self.visitors_group = self.add_site_group(f"{title} Visitors")
        self.members_group = self.add_site_group(f"{title} Members")
        self.root_web = self.add_web(site_path, title)
        self.drive = self.add_drive("Documents")

    def now(self) -> datetime:
        return self.clock()

    # -- webs and drives -------------------------------------------------------------------------------------
    def add_web(self, path: str, title: str, parent_id: str | None = None) -> str:
        with self.lock:
            web = Web(self.guid(), path, title, parent_id)
            self.webs[web.id] = web
            return web.id

    def add_subsite(self, name: str) -> str:
        root = self.webs[self.root_web]
        return self.add_web(f"{root.path}/{name}", name, parent_id=root.id)

    def add_drive(self, name: str, web_id: str | None = None) -> str:
        """A document library; its root carries the site's three default groups."""
        with self.lock:
            drive_id = "b!" + "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-")
                                      for _ in range(64))  # fmt: skip
            self.webs[web_id or self.root_web].drives[drive_id] = name
            root = self._new_item(drive_id, "root", None, folder=True)
            root.unique = True
            for sgid, role in ((self.owners_group, "owner"), (self.members_group, "write"),
                               (self.visitors_group, "read")):  # fmt: skip
                root.grants.append(Grant(self._perm_id(), "siteGroup", str(sgid), role))  # type: ignore[arg-type]
            self.drive_roots[drive_id] = root.id
            return drive_id

    def web_of(self, drive_id: str) -> Web:
        return next(w for w in self.webs.values() if drive_id in w.drives)

    def root(self, drive_id: str | None = None) -> str:
        return self.drive_roots[drive_id or self.drive]

    # -- the item tree ---------------------------------------------------------------------------------------
    def add_folder(self, parent_id: str, name: str) -> str:
        return self._add(parent_id, name, folder=True, content=b"")

    def add_file(self, parent_id: str, name: str, content: bytes = b"") -> str:
        return self._add(parent_id, name, folder=False, content=content)

    def set_content(self, item_id: str, content: bytes) -> None:
        with self.lock:
            item = self.items[item_id]
            item.content, item.modified = content, self.now()
            item.version += 1
            item.content_version += 1
            self._record(item, "item")

    def rename(self, item_id: str, name: str) -> None:
        with self.lock:
            item = self.items[item_id]
            item.name, item.version = name, item.version + 1
            self._record(item, "item")

    def move(self, item_id: str, parent_id: str) -> None:
        """Moves an item (a folder with everything below it) within its drive; only the item is journaled."""
        with self.lock:
            item, parent = self.items[item_id], self.items[parent_id]
            if not parent.folder or parent.deleted or parent.drive_id != item.drive_id:
                raise ValueError(f"{parent.name!r} is not a live folder of the same drive")
            if parent_id == item_id or parent_id in {i.id for i in self.descendants(item_id)}:
                raise ValueError("cannot move a folder into itself")
            if item.parent_id is not None:
                self._children[item.parent_id].remove(item_id)
            self._children.setdefault(parent_id, []).append(item_id)
            item.parent_id, item.version = parent_id, item.version + 1
            self._record(item, "item")

    def delete(self, item_id: str) -> None:
        """Deletes an item and everything below it; only the item itself is journaled (as Graph reports it)."""
        with self.lock:
            item = self.items[item_id]
            for gone in [item, *self.descendants(item_id)]:
                gone.deleted = True
            self._record(item, "delete")

    def children(self, item_id: str) -> list[Item]:
        return [self.items[c] for c in self._children.get(item_id, ()) if not self.items[c].deleted]

    def descendants(self, item_id: str) -> Iterator[Item]:
        """Every live item below ``item_id``, parents before their children."""
        for child in self.children(item_id):
            yield child
            yield from self.descendants(child.id)

    def path_of(self, item_id: str) -> str:
        """The item's path below its drive root ("" for the root)."""
        names: list[str] = []
        item = self.items[item_id]
        while item.parent_id is not None:
            names.append(item.name)
            item = self.items[item.parent_id]
        return "/".join(reversed(names))

    def permission_root(self, item_id: str) -> Item:
        """The item whose role assignments apply: itself or its nearest ancestor with unique permissions."""
        item = self.items[item_id]
        while not item.unique and item.parent_id is not None:
            item = self.items[item.parent_id]
        return item

    # -- permissions -----------------------------------------------------------------------------------------
    def break_inheritance(self, item_id: str, *, copy: bool = True) -> None:
        with self.lock:
            item = self.items[item_id]
            if item.unique:
                return
            source = self.permission_root(item_id)
            item.unique = True
            if copy:
                item.grants = [replace(g) for g in source.grants]
                item.links, item.invitations = list(source.links), list(source.invitations)
            self._record(item, "sharing", removal=not copy)

    def restore_inheritance(self, item_id: str) -> None:
        with self.lock:
            item = self.items[item_id]
            if item.parent_id is None:
                raise ValueError("a drive root has nothing to inherit from")
            item.unique, item.grants, item.links, item.invitations = False, [], [], []
            self._record(item, "sharing")

    def grant(self, item_id: str, kind: PrincipalKind, ref: str | int = "", role: Role = "read",
              expires: datetime | None = None) -> str:  # fmt: skip
        """A role assignment on the item (breaking inheritance first); its permission id."""
        with self.lock:
            self.break_inheritance(item_id)
            item = self.items[item_id]
            item.grants.append(Grant(self._perm_id(), kind, str(ref), role, expires))
            self._record(item, "sharing")
            return item.grants[-1].id

    def revoke(self, item_id: str, permission_id: str) -> None:
        """Removes a grant, a link or an invitation from the item (a link: from every item holding it)."""
        with self.lock:
            item = self.items[item_id]
            if any(link.id == permission_id for link in item.links):
                return self._remove_link(permission_id)
            item.grants = [g for g in item.grants if g.id != permission_id]
            item.invitations = [i for i in item.invitations if i.id != permission_id]
            self._record(item, "sharing", removal=True)

    def add_link(self, item_id: str, scope: LinkScope, *, role: Role = "read", identities: tuple[str, ...] = (),
                 expires: datetime | None = None) -> str:  # fmt: skip
        """A sharing link on the item (breaking inheritance first), with its SharingLinks site group; its id."""
        with self.lock:
            self.break_inheritance(item_id)
            item = self.items[item_id]
            link = Link(self._perm_id(), scope, role, set(identities), expires)
            item.links.append(link)
            kind = {"anonymous": "AnonymousView", "organization": "OrganizationView"}.get(scope, "Flexible")
            members = tuple(self.login_of(oid) for oid in identities)
            self.add_site_group(f"SharingLinks.{item_id}.{kind}.{link.id}", members, link=link.id)
            self._record(item, "sharing")
            return link.id

    def add_link_identity(self, item_id: str, link_id: str, oid: str) -> None:
        """Someone added to an existing link: Graph's delta does not report it (microsoft-graph-docs#15242)."""
        with self.lock:
            link = next(link for link in self.items[item_id].links if link.id == link_id)
            link.identities.add(oid)
            group = next(g for g in self.site_groups.values() if g.sharing_link == link_id)
            group.members.append(self.login_of(oid))
            self._record(self.items[item_id], "sharing", silent=True)

    def invite(self, item_id: str, email: str, role: Role = "read", expires: datetime | None = None) -> str:
        with self.lock:
            self.break_inheritance(item_id)
            item = self.items[item_id]
            item.invitations.append(Invitation(self._perm_id(), email, role, expires))
            self._record(item, "sharing")
            return item.invitations[-1].id

    def redeem(self, item_id: str, invitation_id: str, oid: str) -> str:
        """The invited person signs in as ``oid``: the invitation becomes a grant to that user; its id."""
        with self.lock:
            item = self.items[item_id]
            invitation = next(i for i in item.invitations if i.id == invitation_id)
            item.invitations.remove(invitation)
            item.grants.append(Grant(invitation.id, "user", oid, invitation.role, invitation.expires))
            self._record(item, "sharing")
            return invitation.id

    def changes_since(self, drive_id: str, seq: int) -> list[Change]:
        with self.lock:
            return [c for c in self.journal if c.drive_id == drive_id and c.seq > seq]

    # -- internals -------------------------------------------------------------------------------------------
    def _add(self, parent_id: str, name: str, *, folder: bool, content: bytes) -> str:
        with self.lock:
            parent = self.items[parent_id]
            if not parent.folder or parent.deleted:
                raise ValueError(f"{parent.name!r} is not a live folder")
            item = self._new_item(parent.drive_id, name, parent_id, folder=folder, content=content)
            self._record(item, "item")
            return item.id

    def _new_item(self, drive_id: str, name: str, parent_id: str | None, *, folder: bool,
                  content: bytes = b"") -> Item:  # fmt: skip
        item_id = "01" + "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))
        now = self.now()
        item = Item(item_id, drive_id, name, parent_id, folder, content, now, now, tag=self.guid().upper())
        self.items[item_id] = item
        if parent_id is not None:
            self._children.setdefault(parent_id, []).append(item_id)
        return item

    def _remove_link(self, link_id: str) -> None:
        for item in self.items.values():
            if any(link.id == link_id for link in item.links):
                item.links = [link for link in item.links if link.id != link_id]
                self._record(item, "sharing", removal=True)
        self.site_groups = {k: g for k, g in self.site_groups.items() if g.sharing_link != link_id}

    def _perm_id(self) -> str:
        return self.guid().replace("-", "")[:24]

    def _record(self, item: Item, kind: str, *, removal: bool = False, silent: bool = False) -> None:
        self.seq += 1
        self.journal.append(Change(self.seq, item.drive_id, item.id, kind, removal, silent))  # type: ignore[arg-type]
