"""What the SharePoint oracle property test (``test_oracle_property.py``) holds after every pass: each (user, file)
pair, found through the real resolver and ``Retriever.document``, against the oracle.

The judge also keeps what the passes so far excuse, each for a stated reason and no further:

- a file a permission-only pass left to the next content sync: it was not in the index before that pass (the
  pass indexes nothing new), or it was rewritten since the last content sync (the pass takes out a file whose
  bytes and ACL both changed). Only while the index holds no copy of it: a held copy must be right;
- a person added to an existing link, which Graph's delta does not report: until a full reconcile, the user may
  be shown the file as the oracle would without that person on the link;

A person listed on an anyone link is no excuse here: that under-grant is part of the token model
(:func:`~ragwarden.testing.microsoft.sharepoint.under_granted`), counted as "under-granted by design".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from ragwarden.testing.microsoft.sharepoint import TOKEN_MODEL, Policy, World, can_read, under_granted
from ragwarden.testing.microsoft.sharepoint.model import Link
from tests.sharepoint.emulator_site import SOURCE, Site
from tests.sharepoint.property_world import Names


@dataclass
class Found:
    decisions: int = 0
    shown: int = 0  # pairs where the user finds the file
    flips: int = 0  # pairs whose oracle answer changed since the last check
    problems: list[tuple[str, ...]] = field(default_factory=list)
    excused: Counter[str] = field(default_factory=Counter)


class Judge:
    def __init__(self, site: Site, names: Names, policy: Policy) -> None:
        self.site, self.names, self.policy = site, names, policy
        # what the token model promises (with the source's link options): an excuse must hold against it
        self.model = replace(TOKEN_MODEL, organization_links=policy.organization_links,
                             anonymous_links=policy.anonymous_links)  # fmt: skip
        self.waiting: set[str] = set()  # item ids a permission-only pass left to the content sync
        self.changed: set[str] = set()  # item ids rewritten since the last content sync
        self.silent: list[tuple[Link, str]] = []  # (link, user id) Graph never reported
        self._held_before: set[str] = set()
        self._last: dict[tuple[str, str], bool] = {}  # the oracle's answers at the last check

    @property
    def world(self) -> World:
        return self.site.world

    # -- what the steps tell it ----------------------------------------------------------------------------
    def unreported(self, link: Link, oid: str) -> None:
        if oid not in link.identities:
            self.silent.append((link, oid))

    def rewritten(self, item_id: str) -> None:
        self.changed.add(item_id)

    def before_pass(self) -> None:
        self._held_before = self.held()

    def after_pass(self, how: str) -> None:
        if how == "acl":
            files = self.files()
            self.waiting = {f for f in files if self.site.doc_id(f) not in self._held_before} | self.changed
            return
        self.waiting, self.changed = set(), set()
        if how == "reconcile":
            self.silent = []

    # -- the check -------------------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every file the world ever had (deleted ones too: nobody may find those)."""
        return [i.id for i in self.world.items.values() if not i.folder]

    def held(self) -> set[str]:
        return set(self.site.services.state.documents(SOURCE))

    def check(self) -> Found:
        services, world, found = self.site.services, self.world, Found()
        held = self.held()
        for uid in list(world.users):
            scope = services.directory.resolve(uid)
            for fid in self.files():
                doc = self.site.doc_id(fid)
                shown = bool(services.retriever.document(scope, doc))
                truth = can_read(world, uid, fid, self.policy)
                model = truth and not under_granted(world, uid, fid, self.policy)
                found.decisions += 1
                found.shown += shown
                found.flips += self._last.get((uid, fid), truth) != truth
                self._last[uid, fid] = truth
                if shown and not truth:
                    found.problems.append(self._problem("LEAK: shown, the oracle says no", uid, fid, scope.tokens))
                elif shown and not model:
                    found.problems.append(self._problem("over-grant beyond the token model", uid, fid, scope.tokens))
                elif model and not shown:
                    excuse = self._excuse(uid, fid, doc in held)
                    if excuse is None:
                        found.problems.append(self._problem("under-grant: not shown", uid, fid, scope.tokens))
                    else:
                        found.excused[excuse] += 1
                elif truth and not model:
                    found.excused["under-granted by design"] += 1
        return found

    def _excuse(self, uid: str, fid: str, held: bool) -> str | None:
        if fid in self.waiting and not held:
            return "left to the content sync"
        if self.silent:
            with self._without(self.silent):
                if not can_read(self.world, uid, fid, self.model):
                    return "unreported link member"
        return None

    @contextmanager
    def _without(self, people: list[tuple[Link, str]]) -> Iterator[None]:
        """The world with these people taken off these links (for the oracle's answer without them)."""
        with self.world.lock:
            taken = [(link, oid) for link, oid in people if oid in link.identities]
            for link, oid in taken:
                link.identities.discard(oid)
            try:
                yield
            finally:
                for link, oid in taken:
                    link.identities.add(oid)

    def _problem(self, what: str, uid: str, fid: str, scope: frozenset[str]) -> tuple[str, ...]:
        """What went wrong, in the names the test uses: who, which file, the ACL the index holds, the caller's
        tokens, and the role assignments that apply to the file."""
        world, item = self.world, self.world.items[fid]
        record = self.site.services.state.documents(SOURCE).get(self.site.doc_id(fid))
        holder = world.permission_root(fid)
        expired = " (expired)"
        applied = [f"{self._grantee(g.kind, g.ref)} {g.role}{expired if g.expires and g.expires < world.now() else ''}"
                   for g in holder.grants]  # fmt: skip
        applied += [f"{x.scope} link {sorted(map(self._name, x.identities))} {x.role}" for x in holder.links]
        applied += [f"invitation {i.email}" for i in holder.invitations]
        return (what, self.names.user_name(uid), world.path_of(fid) + (" (deleted)" if item.deleted else ""),
                f"index ACL {self._named(record.acl.allow | record.acl.share) if record else 'none'}",
                f"caller {self._named(scope)}", f"applies (from /{world.path_of(holder.id)}): {applied}")  # fmt: skip

    def _grantee(self, kind: str, ref: str) -> str:
        labels = {"owners": "owners of ", "siteGroup": "site group ", "eeeu": "EEEU", "everyone": "Everyone"}
        return labels.get(kind, "") + (self._name(ref).split(" ", 1)[-1] if ref else "")

    def _named(self, tokens: frozenset[str]) -> list[str]:
        return sorted(self._name(t.split(":")[-1]) for t in tokens)

    def _name(self, ref: str) -> str:
        """A user, group or site group by the name the test gave it; the tenant; else the reference itself."""
        for kind, known in (("user", self.names.users), ("group", self.names.groups)):
            found = next((f"{kind} {n}" for n, i in known.items() if i == ref), None)
            if found:
                return found
        titles = {str(i): t for t, i in self.names.site_groups.items()}
        return titles.get(ref) or ("tenant" if ref == self.world.tenant_id else ref)
