"""The state machine of the SharePoint oracle property test (``test_oracle_property.py``).

It starts from a drawn world (``property_world.py``) served by the emulator, and each rule makes one change --
inheritance broken (with or without copying) and restored; grants to a user, an Entra group or an M365 group's
owners, a site group, "Everyone except external users" or "Everyone", with any role and expiry; revocations;
links of every scope; a person added to a link (which Graph's delta does not report); invitations and their
redemption; Entra and site-group memberships; accounts disabled and enabled; files and folders added, moved,
renamed, deleted and rewritten -- then runs one pass through the real path (:meth:`SharePointMachine.run`), or
none yet (``later``), so that the next pass finds several changes in one delta window. Items are picked by
index, or (``None``) as the item the last change touched. After each pass the invariant holds every (user, file)
pair against the oracle (:class:`~tests.sharepoint.property_judge.Judge`).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import Policy, World, publish_directory
from ragwarden.testing.microsoft.sharepoint.model import Item
from tests.sharepoint import property_world as pw
from tests.sharepoint.emulator_site import Site
from tests.sharepoint.property_judge import Judge

#: after a change: a content sync, a permission-only pass, a content pass with the full reconcile due, or none yet
#: (the next pass finds several changes in one delta window)
PASSES = st.sampled_from(["content", "acl", "reconcile", "later"])
PICK = st.integers(0, 63)  # a user, member or permission, modulo how many there are
#: an item, modulo the live ones; None: the item the last change touched (two changes to one item in one window)
ITEM = st.none() | PICK
# the roles and expiries that grant come up more often: a grant that grants nothing tells less
ROLES = st.sampled_from(["read", "read", "write", "owner", "limited"])
EXPIRY = st.sampled_from([None, None, "future", "past"])
MIN_FILES = 6  # fewer, and deleting stops: an emptied world tells nothing


@dataclass
class Tally:
    examples: int = 0
    decisions: int = 0
    shown: int = 0
    flips: int = 0  # (user, file) pairs a step changed the oracle's answer for
    telling: int = 0  # checks that found the oracle's answer changed for at least one pair
    passes: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)
    excused: Counter[str] = field(default_factory=Counter)


def change(**drawn: st.SearchStrategy[Any]) -> Callable[[Callable[..., None]], Any]:
    """A rule: the change (given ``drawn``), then one pass of a drawn kind."""

    def decorate(make: Callable[..., None]) -> Any:
        @functools.wraps(make)
        def step(self: SharePointMachine, how: str, **given: Any) -> None:
            make(self, **given)
            self.tally.changes[make.__name__] += 1
            self.pending = how == "later"
            if not self.pending:
                self.run(how)

        return rule(how=PASSES, **drawn)(step)

    return decorate


class SharePointMachine(RuleBasedStateMachine):
    """Set by the test: the token authority, a folder for the examples, the tally."""

    ms: FakeMicrosoft
    base: Path
    tally: Tally

    def __init__(self) -> None:
        super().__init__()
        self.site: Site | None = None
        self.pending = False  # changes no pass has seen yet
        self.last: str | None = None  # the item the last change touched
        self.made = 0  # names of new files, folders and invitations

    @initialize(shape=pw.shapes())
    def start(self, shape: pw.Shape) -> None:
        self.tally.examples += 1
        world = World(tenant_id=self.ms.tenant_id, seed=0)
        self.names = pw.build(world, shape)
        self.site = Site(self.ms, self.base / f"example-{self.tally.examples}", world=world)
        self.options: dict[str, Any] = {"organization_links": shape.organization_links,
                                        "anonymous_links": shape.anonymous_links}  # fmt: skip
        if shape.rac:
            self.options["rac_groups"] = [self.names.groups["Zugang"]]
        policy = Policy(organization_links=shape.organization_links, anonymous_links=shape.anonymous_links)
        self.judge = Judge(self.site, self.names, policy)
        self.run("content")

    def teardown(self) -> None:
        if self.site is not None:
            self.site.close()

    @property
    def world(self) -> World:
        assert self.site is not None
        return self.site.world

    def run(self, how: str) -> None:
        """One pass: a content sync, the scheduler's permission-only pass, or its content pass with the full
        permission reconcile due."""
        assert self.site is not None
        self.tally.passes[how] += 1
        self.judge.before_pass()
        if how == "content":
            self.site.sync(**self.options)
        elif how == "acl":
            self.site.run_pass("acl", **self.options)
        else:
            self.site.run_pass("content", reconcile_interval="0.001s", **self.options)
        self.judge.after_pass(how)

    @invariant()
    def every_user_finds_what_the_oracle_allows(self) -> None:
        if self.site is None or self.pending:
            return
        publish_directory(self.world, self.ms)
        found = self.judge.check()
        self.tally.decisions += found.decisions
        self.tally.shown += found.shown
        self.tally.flips += found.flips
        self.tally.telling += found.flips > 0
        self.tally.excused.update(found.excused)
        assert not found.problems, "\n".join(map(str, found.problems[:6]))

    # -- picking -----------------------------------------------------------------------------------------------
    def live(self, *, files: bool = True, folders: bool = True, root: bool = True) -> list[Item]:
        return [i for i in self.world.items.values() if not i.deleted and (files or i.folder)
                and (folders or not i.folder) and (root or i.parent_id is not None)]  # fmt: skip

    def pick(self, n: int | None, **kinds: bool) -> Item | None:
        found = self.live(**kinds)
        if not found:
            return None
        again = [i for i in found if i.id == self.last]
        chosen = again[0] if n is None and again else found[(n or 0) % len(found)]
        self.last = chosen.id
        return chosen

    def holder(self, n: int | None) -> Item:
        """The item whose role assignments apply to the n-th live item."""
        item = self.pick(n)
        assert item is not None  # the root is never deleted
        holder = self.world.permission_root(item.id)
        self.last = holder.id
        return holder

    def when(self, expiry: str | None) -> Any:
        return None if expiry is None else self.world.now() + timedelta(days=-1 if expiry == "past" else 365)

    def fresh(self, stem: str) -> str:
        self.made += 1
        return f"{stem}{self.made}"

    # -- permissions -------------------------------------------------------------------------------------------
    @change(n=ITEM, action=st.sampled_from(["break", "break without copying", "restore"]))
    def inheritance(self, n: int | None, action: str) -> None:
        item = self.pick(n, root=False)
        if item is not None and action == "restore":
            self.world.restore_inheritance(item.id)
        elif item is not None:
            self.world.break_inheritance(item.id, copy=action == "break")

    def _grant(self, n: int | None, kind: str, name: str, role: Any, expiry: str | None) -> None:
        item = self.pick(n)
        assert item is not None
        self.world.grant(item.id, kind, self.names.principal(kind, name), role, self.when(expiry))  # type: ignore[arg-type]

    @change(n=ITEM, who=st.sampled_from(pw.USERS), role=ROLES, expiry=EXPIRY)
    def grant_to_user(self, n: int | None, who: str, role: Any, expiry: str | None) -> None:
        self._grant(n, "user", who, role, expiry)

    @change(n=ITEM, group=st.sampled_from(pw.GROUPS), owners=st.booleans(), role=ROLES, expiry=EXPIRY)
    def grant_to_entra_group(self, n: int | None, group: str, owners: bool, role: Any, expiry: str | None) -> None:
        """To the group's members, or (``owners``, an M365 group only) to its owners."""
        owners = owners and self.world.groups[self.names.groups[group]].unified
        self._grant(n, "owners" if owners else "group", group, role, expiry)

    @change(n=ITEM, title=st.sampled_from(pw.SITE_GROUPS), role=ROLES, expiry=EXPIRY)
    def grant_to_site_group(self, n: int | None, title: str, role: Any, expiry: str | None) -> None:
        self._grant(n, "siteGroup", title, role, expiry)

    @change(n=ITEM, everyone=st.sampled_from(["eeeu", "everyone"]), role=ROLES, expiry=EXPIRY)
    def grant_to_everyone(self, n: int | None, everyone: str, role: Any, expiry: str | None) -> None:
        """"Everyone except external users" or "Everyone"."""
        self._grant(n, everyone, "", role, expiry)

    @change(n=ITEM, k=PICK)
    def revoke(self, n: int | None, k: int) -> None:
        """A grant, link or invitation of those that apply to the item (on the item holding them)."""
        holder = self.holder(n)
        held = [g.id for g in holder.grants] + [x.id for x in holder.links] + [i.id for i in holder.invitations]
        if held:
            self.world.revoke(holder.id, held[k % len(held)])

    @change(n=ITEM, scope=st.sampled_from(["anonymous", "organization", "users", "existingAccess"]),
            who=st.frozensets(st.sampled_from(pw.USERS), max_size=2), role=ROLES, expiry=EXPIRY)  # fmt: skip
    def link(self, n: int | None, scope: Any, who: frozenset[str], role: Any, expiry: str | None) -> None:
        item = self.pick(n)
        assert item is not None
        identities = tuple(self.names.users[u] for u in sorted(who))
        self.world.add_link(item.id, scope, role=role, identities=identities, expires=self.when(expiry))

    @change(n=ITEM, k=PICK, who=st.sampled_from(pw.USERS))
    def person_on_a_link(self, n: int | None, k: int, who: str) -> None:
        """Graph's delta does not report it: the judge excuses the miss until a full reconcile."""
        holder = self.holder(n)
        if holder.links:
            link = holder.links[k % len(holder.links)]
            self.judge.unreported(link, self.names.users[who])
            self.world.add_link_identity(holder.id, link.id, self.names.users[who])

    @change(n=ITEM, redeem_as=st.sampled_from([None, *pw.USERS]))
    def invitation(self, n: int | None, redeem_as: str | None) -> None:
        """A new invitation on the item, or the first pending one that applies redeemed by a user."""
        holder = self.holder(n)
        if redeem_as is None:
            self.world.invite(holder.id, f"{self.fresh('gast')}@partner.example")
        elif holder.invitations:
            self.world.redeem(holder.id, holder.invitations[0].id, self.names.users[redeem_as])

    # -- directory ---------------------------------------------------------------------------------------------
    @change(group=st.sampled_from(pw.GROUPS), who=st.sampled_from(pw.USERS + pw.GROUPS), k=st.none() | PICK)
    def entra_member(self, group: str, who: str, k: int | None) -> None:
        """``who`` into the group (a group only where that makes no cycle), or (``k``) one of its members out."""
        gid = self.names.groups[group]
        members = sorted(self.world.groups[gid].members)
        if k is not None and members:
            self.world.remove_group_member(gid, members[k % len(members)])
        elif k is None:
            oid = self.names.users.get(who) or self.names.groups[who]
            if oid != gid and oid not in self.world.transitive_groups(gid):  # Entra refuses cycles
                self.world.add_group_member(gid, oid)

    @change(title=st.sampled_from(pw.SITE_GROUPS), member=st.sampled_from(pw.MEMBERS), k=st.none() | PICK)
    def site_member(self, title: str, member: str, k: int | None) -> None:
        """``member`` into the site group, or (``k``) one of its members out."""
        sgid = self.names.site_groups[title]
        members = list(self.world.site_groups[sgid].members)
        if k is not None and members:
            self.world.remove_site_group_member(sgid, members[k % len(members)])
        elif k is None:
            self.world.add_site_group_member(sgid, self.names.login(self.world, member))

    @change(who=st.sampled_from(pw.USERS), enabled=st.booleans())
    def account(self, who: str, enabled: bool) -> None:
        self.world.disable_user(self.names.users[who], enabled=enabled)

    # -- the tree ----------------------------------------------------------------------------------------------
    @change(n=ITEM, folder=st.booleans())
    def add(self, n: int | None, folder: bool) -> None:
        parent = self.pick(n, files=False)
        assert parent is not None
        if folder:
            self.world.add_folder(parent.id, self.fresh("ordner"))
        else:
            name = self.fresh("neu")
            self.world.add_file(parent.id, f"{name}.txt", f"Neue Notiz {name}".encode())

    @change(n=ITEM, k=PICK)
    def move(self, n: int | None, k: int) -> None:
        item = self.pick(n, root=False)
        if item is not None:
            below = {item.id, *(i.id for i in self.world.descendants(item.id))}
            targets = [f for f in self.live(files=False) if f.id not in below]
            self.world.move(item.id, targets[k % len(targets)].id)  # the root is always a target

    @change(n=ITEM)
    def delete(self, n: int | None) -> None:
        """An item and everything below it, while the world has files enough left to tell who reads what."""
        item = self.pick(n, root=False)
        if item is not None and len(self.live(folders=False)) > MIN_FILES:
            self.world.delete(item.id)

    @change(n=ITEM)
    def rename(self, n: int | None) -> None:
        item = self.pick(n, root=False)
        if item is not None:
            self.world.rename(item.id, self.fresh("umbenannt") + ("" if item.folder else ".txt"))

    @change(n=ITEM)
    def rewrite(self, n: int | None) -> None:
        item = self.pick(n, folders=False)
        if item is not None:
            self.world.set_content(item.id, f"Neuer Inhalt {self.fresh('fassung')}".encode())
            self.judge.rewritten(item.id)
