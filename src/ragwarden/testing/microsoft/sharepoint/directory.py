"""The directory half of the SharePoint world: Entra users and groups (nested, with M365 owners) and the site
collection's SharePoint groups, with the changes a test makes to them. Membership changes never reach a drive's
change journal, as in SharePoint: they show only in the directory and in the site groups' member lists.
"""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any

from ragwarden.testing.microsoft.sharepoint.model import Group, SiteGroup, User


class Directory:
    """Users, Entra groups and site groups. Ids come from ``rng`` so that a seeded world is reproducible."""

    tenant_id: str
    tenant_domain: str

    def __init__(self, tenant_id: str | None, seed: int | None, tenant_domain: str = "contoso.onmicrosoft.com"):
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.tenant_id = tenant_id or self.guid()
        self.tenant_domain = tenant_domain
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.site_groups: dict[int, SiteGroup] = {}
        self._next_principal = 3  # SharePoint numbers principals of a site collection from a small integer
        self.rac_groups: list[str] = []  # Restricted Access Control: Entra group ids (empty: not restricted)

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- Entra users and groups ------------------------------------------------------------------------------
    def add_user(self, name: str, *, guest: bool = False, enabled: bool = True, sid: str | None = None) -> str:
        """A member account ``name@<tenant domain>``, or a guest invited from ``name@partner.example``."""
        with self.lock:
            oid = self.guid()
            if guest:
                mail = f"{name}@partner.example"
                upn = f"{name}_partner.example#EXT#@{self.tenant_domain}"
            else:
                mail = upn = f"{name}@{self.tenant_domain}"
            user_type: Any = "Guest" if guest else "Member"
            self.users[oid] = User(oid, upn, name, sid=sid, user_type=user_type, enabled=enabled, mail=mail)
            return oid

    def disable_user(self, oid: str, enabled: bool = False) -> None:
        with self.lock:
            self.users[oid].enabled = enabled

    def delete_user(self, oid: str) -> None:
        """Gone from the directory; grants naming it stay behind and grant nothing (SharePoint keeps them)."""
        with self.lock:
            del self.users[oid]
            for group in self.groups.values():
                group.members.discard(oid)
                group.owners.discard(oid)

    def user_by_upn(self, upn: str) -> User | None:
        return next((u for u in self.users.values() if u.upn.lower() == upn.lower()), None)

    def add_group(
        self,
        name: str,
        *,
        members: tuple[str, ...] = (),
        owners: tuple[str, ...] = (),
        unified: bool = False,
        sid: str | None = None,
    ) -> str:
        """An Entra security group (``unified``: an M365 group, which also has owners); members may be groups."""
        with self.lock:
            gid = self.guid()
            self.groups[gid] = Group(gid, name, set(members), set(owners), unified=unified, sid=sid)
            return gid

    def add_group_member(self, gid: str, oid: str) -> None:
        with self.lock:
            self.groups[gid].members.add(oid)

    def remove_group_member(self, gid: str, oid: str) -> None:
        with self.lock:
            self.groups[gid].members.discard(oid)

    def transitive_groups(self, oid: str) -> set[str]:
        """Every group ``oid`` belongs to, through nesting (what Graph's transitiveMemberOf answers)."""
        with self.lock:
            found: set[str] = set()
            frontier = {oid}
            while frontier:
                parents = {g.id for g in self.groups.values() if g.members & frontier} - found
                found |= parents
                frontier = parents
            return found

    def set_rac(self, *group_ids: str) -> None:
        """Restricted Access Control: only members of one of these groups reach the site (none: off)."""
        with self.lock:
            self.rac_groups = list(group_ids)

    # -- SharePoint groups -----------------------------------------------------------------------------------
    def add_site_group(self, title: str, members: tuple[str, ...] = (), *, link: str | None = None) -> int:
        """A site group with these claims login names as members; its id (decimal, unique in the site)."""
        with self.lock:
            sgid = self._next_principal
            self._next_principal += 1
            self.site_groups[sgid] = SiteGroup(sgid, title, list(members), sharing_link=link)
            return sgid

    def add_site_group_member(self, sgid: int, login: str) -> None:
        with self.lock:
            if login not in self.site_groups[sgid].members:
                self.site_groups[sgid].members.append(login)

    def remove_site_group_member(self, sgid: int, login: str) -> None:
        with self.lock:
            self.site_groups[sgid].members.remove(login)

    def rename_site_group(self, sgid: int, title: str) -> None:
        with self.lock:
            self.site_groups[sgid].title = title

    def login_of(self, oid: str, *, owners: bool = False) -> str:
        """The claims login name of a user or group (``owners``: an M365 group's owners)."""
        if oid in self.users:
            return self.users[oid].login
        return self.groups[oid].login(owners=owners)
