"""The starting world of the SharePoint oracle property test (``test_oracle_property.py``), drawn by Hypothesis.

A fixed scaffold holds every case the issue names; Hypothesis draws who is in which group and site group, how
"Everyone" reaches the top file, and the source's options (links mapped to the tenant, Restricted Access
Control). The state machine's rules change it from there::

    users   anna (synced from AD: a SID), ben, cem, olaf (owns the M365 group Projekt), gina (a guest),
            dora (disabled)
    groups  Alle ⊃ Vertrieb (nested), Projekt (M365, owners), Zugang (the RAC group, ⊃ Alle when drawn)
    site    Owners, Members, Visitors, Prüfer: users, Entra groups, M365 owners, the tenant-wide claims
    root ─ Finanzen/      unique: Vertrieb read, ben read (expired), a pending invitation
         │  ├ bericht.txt, budget.txt
         │  └ Q1/ ─ notizen.txt, zahlen.txt (unique: the owners of Projekt, the site group Prüfer)
         ├ Projekte/ ─ liesmich.txt, plan.txt (users link: gina, cem), entwurf.txt (organization link: anna),
         │             offen.txt (anonymous link), intern.txt (existingAccess link),
         │             alt.txt (users link: ben, expired)
         ├ handbuch.txt
         └ top.txt        unique: "Everyone except external users", "Everyone" or Members only (drawn)

Files without a note inherit: a change on a folder must reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import strategies as st

from ragwarden.testing.microsoft.sharepoint import World
from ragwarden.testing.microsoft.sharepoint.model import EVERYONE_LOGIN, eeeu_login

USERS = ("anna", "ben", "cem", "olaf", "gina", "dora")
GROUPS = ("Alle", "Vertrieb", "Projekt", "Zugang")
SITE_GROUPS = ("Owners", "Members", "Visitors", "Prüfer")
#: what a site group's member list may name: a user, an Entra group, an M365 group's owners, the tenant claims
MEMBERS = (*(f"user:{u}" for u in USERS), *(f"group:{g}" for g in GROUPS), "owners:Projekt", "eeeu", "everyone")


@dataclass(frozen=True)
class Shape:
    """What Hypothesis draws of the starting world."""

    members: dict[str, frozenset[str]]  # Entra group -> user names
    site_members: dict[str, frozenset[str]]  # site group -> MEMBERS
    top: str  # how top.txt is shared: "eeeu", "everyone" or "members"
    zugang_holds_alle: bool
    organization_links: bool
    anonymous_links: bool
    rac: bool


def shapes() -> st.SearchStrategy[Shape]:
    users = st.frozensets(st.sampled_from(USERS), max_size=3)
    # The three default groups hold every file that inherits from the root: with a tenant-wide claim in them,
    # most changes could not change who reads what. The claims come in through Prüfer and the changes.
    named = st.frozensets(st.sampled_from(MEMBERS[:-2]), max_size=3)
    return st.builds(
        Shape,
        members=st.fixed_dictionaries({g: users for g in GROUPS}),
        site_members=st.fixed_dictionaries({"Owners": named, "Members": named, "Visitors": named,
                                            "Prüfer": st.frozensets(st.sampled_from(MEMBERS), max_size=3)}),
        top=st.sampled_from(["eeeu", "everyone", "members"]),
        zugang_holds_alle=st.booleans(),
        organization_links=st.booleans(),
        anonymous_links=st.booleans(),
        rac=st.sampled_from([False, False, False, True]),  # RAC hides most of the site: seldom
    )


@dataclass
class Names:
    """The world's parts by the names the test uses (and prints)."""

    users: dict[str, str] = field(default_factory=dict)  # name -> object id
    groups: dict[str, str] = field(default_factory=dict)  # name -> object id
    site_groups: dict[str, int] = field(default_factory=dict)  # title -> id

    def user_name(self, oid: str) -> str:
        return next((n for n, i in self.users.items() if i == oid), oid)

    def login(self, world: World, member: str) -> str:
        """The claims login name of one of :data:`MEMBERS`."""
        kind, _, name = member.partition(":")
        if kind == "user":
            return world.login_of(self.users[name])
        if kind in ("group", "owners"):
            return world.login_of(self.groups[name], owners=kind == "owners")
        return eeeu_login(world.tenant_id) if kind == "eeeu" else EVERYONE_LOGIN

    def principal(self, kind: str, name: str) -> str | int:
        """The reference of a role assignment: a user, an Entra group (or its owners), a site group, or ""."""
        if kind == "user":
            return self.users[name]
        if kind in ("group", "owners"):
            return self.groups[name]
        return self.site_groups[name] if kind == "siteGroup" else ""


def build(world: World, shape: Shape) -> Names:
    """The scaffold of the module docstring, shaped by ``shape``."""
    names = Names()
    for user in USERS:
        names.users[user] = world.add_user(user, guest=user == "gina", enabled=user != "dora",
                                           sid="S-1-5-21-1-2-3-1105" if user == "anna" else None)  # fmt: skip
    member_ids = {g: tuple(names.users[u] for u in sorted(shape.members[g])) for g in GROUPS}
    names.groups["Vertrieb"] = world.add_group("Vertrieb", members=member_ids["Vertrieb"])
    names.groups["Alle"] = world.add_group("Alle", members=(*member_ids["Alle"], names.groups["Vertrieb"]))
    names.groups["Projekt"] = world.add_group("Projekt", members=member_ids["Projekt"], owners=(names.users["olaf"],),
                                              unified=True)  # fmt: skip
    zugang = member_ids["Zugang"] + ((names.groups["Alle"],) if shape.zugang_holds_alle else ())
    names.groups["Zugang"] = world.add_group("Zugang", members=zugang)
    names.site_groups = {"Owners": world.owners_group, "Members": world.members_group,
                         "Visitors": world.visitors_group, "Prüfer": world.add_site_group("Prüfer")}  # fmt: skip
    for title, members in shape.site_members.items():
        for member in sorted(members):
            world.add_site_group_member(names.site_groups[title], names.login(world, member))
    if shape.rac:
        world.set_rac(names.groups["Zugang"])
    _tree(world, names, shape.top)
    return names


def _tree(world: World, names: Names, top: str) -> None:
    past, u = world.now() - timedelta(days=1), names.users
    root = world.root()
    finanzen = world.add_folder(root, "Finanzen")
    world.add_file(finanzen, "bericht.txt", b"Quartalsbericht Umsatz")
    world.add_file(finanzen, "budget.txt", b"Budget Planung")
    q1 = world.add_folder(finanzen, "Q1")
    world.add_file(q1, "notizen.txt", b"Notizen Quartal")
    zahlen = world.add_file(q1, "zahlen.txt", b"Zahlen erstes Quartal")
    projekte = world.add_folder(root, "Projekte")
    world.add_file(projekte, "liesmich.txt", b"Lies mich zuerst")
    files = {n: world.add_file(projekte, f"{n}.txt", f"Projekt {n} Notizen".encode())
             for n in ("plan", "entwurf", "offen", "intern", "alt")}  # fmt: skip
    world.add_file(root, "handbuch.txt", b"Handbuch Einarbeitung")
    top_file = world.add_file(root, "top.txt", b"Kantine Speiseplan")
    world.grant(finanzen, "group", names.groups["Vertrieb"], "read")
    world.grant(finanzen, "user", u["ben"], "read", expires=past)
    world.invite(finanzen, "extern@partner.example")
    world.grant(zahlen, "owners", names.groups["Projekt"], "read")
    world.grant(zahlen, "siteGroup", names.site_groups["Prüfer"], "read")
    world.add_link(files["plan"], "users", identities=(u["gina"], u["cem"]))
    world.add_link(files["entwurf"], "organization", identities=(u["anna"],))
    world.add_link(files["offen"], "anonymous")
    world.add_link(files["intern"], "existingAccess")
    world.add_link(files["alt"], "users", identities=(u["ben"],), expires=past)
    world.break_inheritance(top_file, copy=False)
    world.grant(top_file, "siteGroup", world.members_group, "read")
    if top != "members":
        world.grant(top_file, top, "", "read")  # type: ignore[arg-type]
