"""The SharePoint Server connector against the emulator over HTTPS with NTLM and channel bindings, through the
registry and ``services.sync`` into a real index: what each user finds equals the oracle after the first run
and after changes applied from ``getChanges``; a permission-only change re-stamps without embedding; a change
token the server no longer knows, a run failing half-way, or a refused password delete nothing."""

from __future__ import annotations

import pytest

from ragwarden.core.errors import ConfigurationError, TransientError
from ragwarden.testing.microsoft.sharepoint_server import World, readers
from tests.sharepoint_server.conftest import ADFS_ROLE
from tests.sharepoint_server.server_site import ServerSite

EVERY_FILE = {"Dokumente/Grüße an O'Brien.txt", "Dokumente/Personal/Gehälter 2026.txt",
              "Dokumente/Personal/Vertraulich/Akte Müller.txt", "Dokumente/Kantine/Speiseplan.txt"}  # fmt: skip


def test_the_first_run_indexes_every_readable_file_and_each_user_finds_what_the_oracle_allows(site: ServerSite) -> None:
    report = site.sync()
    assert report.added == 4, report
    assert site.held() == EVERY_FILE  # the hidden library and the task list are not read
    assert site.mismatches() == []
    assert readers(site.world, site.keys["akte"]) == {site.cast.alice}  # not bob (Limited Access), not carol
    assert site.em.signed_in and all(u.endswith("svc-sharepoint") for u in site.em.signed_in)


def test_claims_become_the_sids_the_ad_resolver_emits(site: ServerSite) -> None:
    site.sync()
    world, cast = site.world, site.cast
    connector = site.connector()
    acls = {item[0]: item[1] for item in connector.scan_acls() if isinstance(item, tuple)}
    connector.close()
    menu = acls[site.doc_id(site.keys["menu"])].allow
    assert menu == {"sid:S-1-1-0", "sid:S-1-5-11"}  # Everyone, all authenticated users
    gehalt = acls[site.doc_id(site.keys["gehalt"])].allow
    personal = next(g for g in world.groups.values() if g.name == "Personalabteilung").sid
    assert gehalt == {f"sid:{personal}"}  # the group's SID upper-case S; erin (no SID shown) left out
    assert acls[site.doc_id(site.keys["akte"])].allow == {f"sid:{world.users[cast.alice].sid}"}


def test_an_adfs_claim_is_reported_and_grants_nothing(site: ServerSite) -> None:
    report = site.sync()
    (failed,) = report.failed
    assert failed.source_uri.endswith("/Revision/Prüfbericht.txt") and ADFS_ROLE in failed.reason, failed


def test_unreadable_permissions_keep_the_files_below_out_and_are_read_again_next_run(site: ServerSite) -> None:
    site.em.switches.unreadable_roles = site.keys["Personal"]
    report = site.sync()
    assert "Dokumente/Personal/Gehälter 2026.txt" not in site.held()
    assert any("cannot be read" in f.reason and "Gehälter" in f.source_uri for f in report.failed), report.failed
    site.em.switches.unreadable_roles = None
    assert site.sync().added == 1 and site.held() == EVERY_FILE and site.mismatches() == []


def test_incremental_changes_match_the_oracle(site: ServerSite) -> None:
    site.sync()
    world, keys, cast = site.world, site.keys, site.cast
    neu = world.add_file(keys["Vertraulich"], "Neu O'Neil.txt", "Neue Akte Größe".encode())
    world.delete(keys["top"])
    world.move(keys["menu"], keys["Personal"])  # into a folder with its own permissions
    world.rename(keys["Vertraulich"], "Geheim")  # its file's URL changes
    world.set_content(keys["gehalt"], "Gehaltsbänder korrigiert".encode())
    world.remove_site_group_member(world.members_group, cast.carol)
    report = site.sync()
    assert (report.added, report.deleted) == (1, 1), report
    assert site.held() == {
        "Dokumente/Personal/Gehälter 2026.txt",
        "Dokumente/Personal/Speiseplan.txt",
        "Dokumente/Personal/Geheim/Akte Müller.txt",
        "Dokumente/Personal/Geheim/Neu O'Neil.txt",
    }
    assert site.mismatches() == []
    assert neu in world.files()


def test_broken_and_restored_inheritance_restamps_without_embedding(site: ServerSite) -> None:
    site.sync()
    calls = site.embedder.calls
    world, keys, cast = site.world, site.keys, site.cast
    world.restore_inheritance(keys["Personal"])  # Gehälter now inherits the web: the site groups
    connector = site.connector()
    report = site.services.sync(connector)
    assert connector.figures.mode == "incremental" and connector.figures.changes == 1
    connector.close()
    assert report.restamped == 1 and report.added == report.updated == 0, report
    assert site.mismatches() == []
    world.break_inheritance(keys["Kantine"])  # already unique: no change
    world.grant(keys["Dokumente"], cast.bob, "Read")  # the library breaks inheritance: copies the web's, adds bob
    report = site.sync()
    assert report.restamped == 2 and site.mismatches() == [], report  # the two files that inherit the library
    assert site.embedder.calls == calls


def test_a_too_old_change_token_enumerates_afresh_and_deletes_nothing_until_it_completes(site: ServerSite) -> None:
    site.sync()
    site.world.delete(site.keys["top"])
    site.world.expire_changes()
    site.em.switches.fail_items = 1
    with pytest.raises(TransientError, match="503"):
        site.sync()
    assert site.held() == EVERY_FILE  # the half-done enumeration removed nothing
    connector = site.connector()
    report = site.services.sync(connector)
    assert connector.figures.mode == "full (token too old)"
    connector.close()
    assert report.deleted == 1 and site.held() == EVERY_FILE - {"Dokumente/Grüße an O'Brien.txt"}
    assert site.mismatches() == []


def test_a_wrong_password_fails_the_run_with_a_clear_error_and_deletes_nothing(site: ServerSite) -> None:
    site.sync()
    site.world.delete(site.keys["top"])
    with pytest.raises(ConfigurationError, match=r"refused the credentials of CORP\\svc-sharepoint"):
        site.sync(password="wrong-password")
    assert site.held() == EVERY_FILE


def test_more_than_5000_items_in_one_library_are_paged_by_id(tmp_path: object) -> None:
    from pathlib import Path

    world = World()
    library = world.add_library("Archiv")
    folder = world.add_folder(library, "Alt")
    for n in range(5_004):
        world.add_file(folder, f"akte-{n:05}.txt", b"x")
    site = ServerSite(Path(str(tmp_path)), world)
    try:
        connector = site.connector()
        found = list(connector.scan())
        connector.close()
        assert len(found) == 5_004 and all(hasattr(d, "doc_id") for d in found)
        assert len({d.doc_id for d in found}) == 5_004  # type: ignore[union-attr]
        assert site.em.counts["items"] == 2  # 5 000, then the rest through odata.nextLink
    finally:
        site.close()


def test_a_damaged_mirror_is_read_afresh_and_loses_nothing(site: ServerSite) -> None:
    site.sync()
    (site.data / "sharepoint_server" / "onprem.json").write_text('{"version": 1, "items": [')
    connector = site.connector()
    report = site.services.sync(connector)
    assert connector.figures.mode == "full" and report.deleted == 0 and report.unchanged == 4, report
    connector.close()
    assert site.held() == EVERY_FILE
