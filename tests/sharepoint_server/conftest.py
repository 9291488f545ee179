"""A small on-premises site (:func:`populate`) served by the emulator, one per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ragwarden.testing.microsoft.sharepoint_server import ALL_AUTHENTICATED, EVERYONE, World
from tests.sharepoint_server.server_site import ServerSite

ADFS_ROLE = "c:0-.t|adfs|Finance Auditors"
FORMS_USER = "i:0#.f|membership|extern@partner.example"


@dataclass
class Cast:
    alice: str  # in AD group Team, which is in Abteilung (nested), which the Visitors site group holds
    bob: str  # granted on Personal through AD group Personal; only Limited Access on Vertraulich
    carol: str  # in the site's Members group
    dave: str  # disabled
    erin: str  # a user SharePoint shows without a SID (UserId missing)


def populate(world: World) -> tuple[Cast, dict[str, str]]:
    """Users, nested AD groups, and a tree with broken inheritance, Limited Access, Everyone and odd claims."""
    cast = Cast(*(world.add_user(n) for n in ("alice", "bob", "carol")), world.add_user("dave", enabled=False),
                world.add_user("erin", name_id=False))  # fmt: skip
    team = world.add_group("Team", cast.alice, cast.dave)
    department = world.add_group("Abteilung", team)
    personal_group = world.add_group("Personalabteilung", cast.bob)
    world.site_groups[world.visitors].members.append(department)
    world.site_groups[world.members_group].members += [cast.carol, FORMS_USER]
    docs = world.add_library("Dokumente")
    world.add_library("Formulare", hidden=True)
    world.add_library("Aufgaben", template=107)
    personal, canteen, audit = (world.add_folder(docs, n) for n in ("Personal", "Kantine", "Revision"))
    secret = world.add_folder(personal, "Vertraulich")
    keys = {
        "Personal": personal, "Kantine": canteen, "Revision": audit, "Vertraulich": secret, "Dokumente": docs,
        "top": world.add_file(docs, "Grüße an O'Brien.txt", "Grüße aus der Zentrale".encode()),
        "gehalt": world.add_file(personal, "Gehälter 2026.txt", "Gehaltsbänder Stufe T3".encode()),
        "akte": world.add_file(secret, "Akte Müller.txt", b"Abmahnung vertraulich"),
        "menu": world.add_file(canteen, "Speiseplan.txt", b"Freitag Fisch"),
        "pruefung": world.add_file(audit, "Prüfbericht.txt", "Prüfbericht Revision".encode()),
    }  # fmt: skip
    world.break_inheritance(personal, copy=False)
    world.grant(personal, personal_group, "Read")
    world.grant(personal, cast.erin, "Read")
    world.break_inheritance(secret, copy=False)
    world.grant(secret, cast.alice, "Prüfer")  # a custom level with ViewListItems and OpenItems
    world.grant(secret, cast.bob, "Limited Access")
    world.grant(secret, cast.carol, "Lesen ohne Download")  # no OpenItems: grants nothing
    world.break_inheritance(canteen, copy=False)
    world.grant(canteen, EVERYONE, "Read")
    world.grant(canteen, ALL_AUTHENTICATED, "Read")
    world.break_inheritance(audit, copy=False)
    world.grant(audit, ADFS_ROLE, "Read")
    return cast, keys


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ServerSite]:
    world = World()
    cast, keys = populate(world)
    s = ServerSite(tmp_path, world)
    s.cast, s.keys = cast, keys
    yield s
    s.close()
