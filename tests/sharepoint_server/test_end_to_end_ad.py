"""End to end with the real Samba AD domain controller of the session: the emulated SharePoint Server grants
to the domain's real users and groups (their real SIDs, the real nesting), ``ragwarden ingest
sharepoint+ntlm://…`` runs as a user runs it (a CLI process, the service account from
RAGWARDEN_SHAREPOINT_SERVER_*), and each AD user, resolved by the real AD resolver over LDAPS plus the site
groups the connector stored, finds exactly what the oracle says; again after a permission change, which
re-stamps; ``ragwarden verify`` then finds no drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ragwarden.core.settings import load_settings
from ragwarden.services import build_services
from ragwarden.testing.microsoft.sharepoint_server import EVERYONE, World
from tests.fixtures.samba import NESTED, SambaDirectory
from tests.sharepoint_server.conftest import ADFS_ROLE
from tests.sharepoint_server.server_site import SOURCE, ServerSite


def _world(d: SambaDirectory) -> tuple[World, dict[str, str]]:
    world = World(domain="CORP", domain_sid=d.domain_sid)
    alice, bob, frank = (world.add_user(n, sid=d.sid_of(n)) for n in ("alice", "bob", "frank"))
    dave = world.add_user("dave", sid=d.sid_of("dave"), enabled=False)  # disabled in AD as well
    l1 = world.add_group(NESTED[0], alice, dave, sid=d.sid_of(NESTED[0]))
    l2 = world.add_group(NESTED[1], l1, sid=d.sid_of(NESTED[1]))
    l3 = world.add_group(NESTED[2], l2, frank, sid=d.sid_of(NESTED[2]))
    unrelated = world.add_group("RW-Unrelated", bob, sid=d.sid_of("RW-Unrelated"))
    world.site_groups[world.visitors].members.append(l2)  # alice through L1 in L2
    world.site_groups[world.members_group].members.append(frank)
    docs = world.add_library("Dokumente")
    personal, secret, canteen, staff, audit = (
        world.add_folder(docs, n) for n in ("Personal", "Vertraulich", "Kantine", "Dienst", "Revision")
    )
    keys = {"Personal": personal, "Vertraulich": secret, "Kantine": canteen, "Dienst": staff,
            "top": world.add_file(docs, "Grüße an O'Brien.txt", "Grüße aus der Zentrale Rundschreiben".encode()),
            "gehalt": world.add_file(personal, "Gehälter.txt", "Gehaltsbänder Stufe T3 Rundschreiben".encode()),
            "akte": world.add_file(secret, "Akte Müller.txt", b"Abmahnung vertraulich Rundschreiben"),
            "menu": world.add_file(canteen, "Speiseplan.txt", b"Freitag Fisch Rundschreiben"),
            "plan": world.add_file(staff, "Dienstplan.txt", b"Dienstplan Wochenende Rundschreiben"),
            "audit": world.add_file(audit, "Prüfbericht.txt", "Prüfbericht Rundschreiben".encode())}  # fmt: skip
    for folder in (personal, secret, canteen, staff, audit):
        world.break_inheritance(folder, copy=False)
    world.grant(personal, unrelated, "Read")
    world.grant(secret, alice, "Read")
    world.grant(secret, bob, "Limited Access")
    world.grant(canteen, EVERYONE, "Read")
    world.grant(staff, l3, "Contribute")  # frank directly, alice through L1 ⊂ L2 ⊂ L3
    world.grant(audit, ADFS_ROLE, "Read")
    return world, keys


def _env(site: ServerSite, d: SambaDirectory) -> dict[str, str]:
    ad = d.config()
    return {**os.environ, "RAGWARDEN_DATA_DIR": str(site.data), "RAGWARDEN_AD_HOST": ad.host,
            "RAGWARDEN_AD_BIND_USER": ad.bind_user, "RAGWARDEN_AD_BIND_PASSWORD": ad.bind_password,
            "RAGWARDEN_AD_CA_CERT": str(ad.ca_cert_file), "RAGWARDEN_AD_TLS_SERVER_NAME": str(ad.tls_server_name),
            "RAGWARDEN_SHAREPOINT_SERVER_USERNAME": site.em.service_login,
            "RAGWARDEN_SHAREPOINT_SERVER_PASSWORD": site.em.service_password,
            "RAGWARDEN_SHAREPOINT_SERVER_CA_BUNDLE": str(site.em.ca_file)}  # fmt: skip


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "ragwarden.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done


def _check(site: ServerSite, d: SambaDirectory) -> list[Any]:
    ad = d.config()
    settings = load_settings(data_dir=site.data, ad_host=ad.host, ad_bind_user=ad.bind_user,
                             ad_bind_password=ad.bind_password, ad_ca_cert=ad.ca_cert_file,
                             ad_tls_server_name=ad.tls_server_name, principal_cache_ttl=0)  # fmt: skip
    site._services = build_services(settings)  # the real AD resolver with the site groups, the real index
    try:
        return site.mismatches()
    finally:
        site._services.close()
        site._services = None


def test_ad_users_find_exactly_what_the_oracle_allows(samba_directory: SambaDirectory, tmp_path: Path) -> None:
    world, keys = _world(samba_directory)
    site = ServerSite(tmp_path, world)
    try:
        env = _env(site, samba_directory)
        first = _cli(env, "ingest", site.em.source_url, "--name", SOURCE)
        assert f"{SOURCE}: 5 added" in first.stdout, first.stdout
        assert ADFS_ROLE in first.stdout + first.stderr  # reported: the audit file is not indexed
        assert _check(site, samba_directory) == []
        world.restore_inheritance(keys["Personal"])  # bob loses Gehälter; the site groups gain it
        world.revoke(keys["Dienst"], next(g.claim for g in world.groups.values() if g.name == NESTED[2]))
        world.grant(keys["Dienst"], world.groups[samba_directory.sid_of(NESTED[0])].claim, "Read")  # alice only
        again = _cli(env, "ingest", site.em.source_url, "--name", SOURCE)
        assert "2 re-stamped" in again.stdout, again.stdout
        assert _check(site, samba_directory) == []
        assert "0 drift" in _cli(env, "verify").stdout
    finally:
        site.close()
