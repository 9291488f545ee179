"""The SharePoint connector end to end against the emulator over HTTPS, through the registry, ``services.sync``,
the real Entra resolver with site groups and a real index: what every user finds equals the oracle after an
initial sync and after changes; a permission-only change re-stamps without embedding; a 410 or a ``Retry-After``
over the cap mid-run changes nothing until a run completes; 429s inside ``$batch`` are waited out; the content
redirect never carries the token. Graph's documented delta defects are on (the emulator's default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ragwarden.acl.msal_app import MsalAppToken
from ragwarden.core.errors import ConfigurationError, TransientError
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint.delta import Answer
from tests.sharepoint.emulator_site import Site

EVERY_FILE = {"Finance/bericht.txt", "Finance/Q1/zahlen.txt", "Öffentlich/Grüße an O'Brien.txt", "top.txt"}


def test_initial_sync_indexes_every_file_and_each_user_finds_what_the_oracle_allows(site: Site) -> None:
    report = site.sync()
    assert report.added == 4 and not report.failed, report.failed
    assert site.held() == EVERY_FILE
    assert site.mismatches() == []
    assert site.em.counts["download"] == 4 and site.em.counts["download_with_bearer"] == 0


def test_incremental_changes_match_the_oracle_and_embed_only_what_changed(site: Site) -> None:
    site.sync()
    world, ids, cast = site.world, site.ids, site.cast
    texts = len(site.embedder.texts)
    fresh = world.add_file(ids["Finance/Q1"], "neu.txt", b"Neue Planung Controlling")
    world.delete(ids["top.txt"])
    world.move(ids["Öffentlich/Grüße an O'Brien.txt"], ids["Finance"])  # into a restricted folder
    world.rename(ids["Finance"], "Finanzen")
    world.set_content(ids["Finance/bericht.txt"], b"Quartalsbericht korrigiert")
    world.remove_site_group_member(world.members_group, world.login_of(cast.alice))  # no journal entry at all
    report = site.sync()
    # updated: the rewritten file, and the two whose path changed (paths and links in the index stay true)
    assert (report.added, report.updated, report.deleted) == (1, 3, 1), report
    assert site.held() == {"Finanzen/bericht.txt", "Finanzen/Q1/zahlen.txt", "Finanzen/Q1/neu.txt",
                           "Finanzen/Grüße an O'Brien.txt"}  # fmt: skip
    assert site.mismatches() == []
    assert len(site.embedder.texts) - texts == 4
    assert fresh in site.files()


def test_a_permission_only_change_on_a_folder_restamps_its_files_without_embedding(site: Site) -> None:
    """Graph lists only the folder, unmarked (its defects are on): its inheriting files are re-read anyway."""
    site.sync()
    calls = site.embedder.calls
    dave = site.world.add_user("dave")
    grant = site.world.grant(site.ids["Finance"], "user", dave, "read")
    report = site.sync()
    assert report.restamped == 1 and report.added == report.updated == 0  # bericht.txt; Q1 has its own
    assert site.mismatches() == []
    site.world.revoke(site.ids["Finance"], grant)  # a removal: Graph does not mark it either
    assert site.sync().restamped == 1 and site.mismatches() == []
    assert site.embedder.calls == calls


def test_a_410_mid_run_deletes_nothing_until_a_fresh_enumeration_completes(site: Site) -> None:
    site.sync()
    site.world.delete(site.ids["top.txt"])
    site.em.delta.expire()
    answer = site.em.delta.answer
    site.em.delta.answer = _failing_after(answer, 2, Answer(429, {"error": {}}, {"Retry-After": "900"}))  # type: ignore[method-assign]
    with pytest.raises(TransientError, match="900s"):
        site.sync()
    assert site.held() == EVERY_FILE  # a half-read enumeration removed nothing
    site.em.delta.answer = answer  # type: ignore[method-assign]
    report = site.sync()
    assert report.deleted == 1 and site.held() == EVERY_FILE - {"top.txt"}
    assert site.mismatches() == []


def test_a_retry_after_over_the_cap_fails_the_run_and_deletes_nothing(site: Site) -> None:
    site.sync()
    site.world.delete(site.ids["top.txt"])
    site.em.switches.throttle, site.em.switches.retry_after = 1, "600"
    with pytest.raises(TransientError, match="600s"):
        site.sync(max_retry_after="120s")
    assert site.held() == EVERY_FILE
    record = site.services.state.sources.get("team")
    assert record is not None and "600s" in (record.last_error or "")
    assert site.sync().deleted == 1


def test_429s_inside_a_batch_are_waited_out_for_the_whole_source(site: Site) -> None:
    site.em.switches.batch_throttle, site.em.switches.batch_retry_after = 3, "1"
    connector = site.connector()
    try:
        report = site.services.sync(connector)
        assert report.added == 4 and site.em.counts["batch_throttled"] == 3
        assert connector.client.pacer.waited >= 0.9
    finally:
        connector.close()
    site.em.switches.batch_throttle, site.em.switches.batch_retry_after = 1, "3600"
    site.world.set_content(site.ids["top.txt"], b"Kantine Dienstag")
    with pytest.raises(TransientError, match="3600s"):
        site.sync()


def test_subsites_join_only_when_asked(site: Site) -> None:
    emea = site.world.add_subsite("emea")
    archive = site.world.add_drive("Archiv", emea)
    site.world.add_file(site.world.root(archive), "alt.txt", b"Archivierte Unterlagen")
    site.sync()
    assert "alt.txt" not in site.held()
    site.sync(subsites=True)
    assert "alt.txt" in site.held() and site.mismatches() == []


def test_scan_acls_reads_no_content_and_agrees_with_the_scan(site: Site) -> None:
    connector = site.connector()
    try:
        docs = {d.doc_id: d for d in connector.scan() if hasattr(d, "doc_id")}
        downloads = site.em.counts["download"] + site.em.counts["content"]
        acls = {i[0]: (i[1], i[2]) for i in connector.scan_acls() if isinstance(i, tuple)}
        assert acls == {k: (d.acl, d.version) for k, d in docs.items()}
        assert site.em.counts["download"] + site.em.counts["content"] == downloads
    finally:
        connector.close()


def _failing_after(answer: Callable[..., Answer], good: int, failure: Answer) -> Callable[..., Answer]:
    """Graph's delta answering ``good`` pages, then ``failure``."""
    calls = [0]

    def answering(*args: Any, **kwargs: Any) -> Answer:
        calls[0] += 1
        return answer(*args, **kwargs) if calls[0] <= good else failure

    return answering


def test_sharepoint_rest_refuses_a_token_obtained_with_a_client_secret(site: Site, ms: FakeMicrosoft) -> None:
    """Why the sources file takes a certificate only: with a secret, Graph works but the site groups cannot be
    read (SharePoint refuses app-only tokens issued for a secret), so the run fails and changes nothing."""
    connector = site.connector()
    secret = MsalAppToken(ms.tenant_id, ms.client_id, site.em.sharepoint_scope, client_secret=ms.client_secret,
                          authority_host=ms.authority_host, verify=str(ms.ca_file))  # fmt: skip
    connector.client.rest._tokens = secret  # the REST client of a source configured with a secret
    try:
        with pytest.raises(ConfigurationError, match="never a client secret"):
            list(connector.scan())
    finally:
        connector.close()
    assert site.em.counts["rest_secret_refused"] >= 1


def test_the_permission_pass_of_the_scheduler_restamps_a_revocation(site: Site) -> None:
    """The scheduler's ACL pass (``SourcePasses.run(..., "acl")``: ``scan_acls``, no content) takes a revoked
    grant out of the index, with Graph's defects on (a removal is not marked)."""
    from ragwarden.services.sources import SourcePasses

    site.sync()
    grant = next(g for g in site.world.items[site.ids["Finance"]].grants if g.ref == site.cast.carol)
    site.world.revoke(site.ids["Finance"], grant.id)
    downloads = site.em.counts["download"]
    passes = SourcePasses(site.services)
    passes.connector = lambda spec: site.connector()  # type: ignore[method-assign]  # the test's registry context
    report = passes.run(site.spec(), "acl", lambda items: items)
    assert report.restamped == 1 and site.em.counts["download"] == downloads
    assert site.mismatches() == []
