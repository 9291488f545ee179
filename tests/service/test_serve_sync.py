"""The running service stays true to its folder source: a real ``ragwarden serve`` with a sources file,
changed underneath while it serves, checked only through ``/v1/search`` as the right users.

Every change must be seen (or be gone) within the watch budget, and while a permission is being
revoked the document must never reappear to the user who lost it.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragwarden.testing.live_server import LiveServer, wait_for

WATCH_BUDGET = 10.0  # seconds; the benchmark measures the real figure (≤ 5 s p95)

DIRECTORY = """
users:
  alice: {groups: [hr]}
  bob: {groups: [staff]}
  carol: {groups: [sales]}
  root-admin: {groups: [it-admins]}
groups:
  hr: {}
  staff: {}
  sales: {}
  it-admins: {}
"""


def write_acl(path: Path, allow: list[str], deny: list[str] | None = None) -> None:
    path.write_text(json.dumps({"allow": allow, "deny": deny or []}))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    base = tmp_path_factory.mktemp("serve")
    corpus = base / "docs"
    (corpus / "public").mkdir(parents=True)
    (corpus / "hr").mkdir()
    write_acl(corpus / "public" / ".acl.json", ["group:staff", "group:hr"])
    write_acl(corpus / "hr" / ".acl.json", ["group:hr"])
    (corpus / "public" / "kantine.txt").write_text("Der Speiseplan der Kantine: Zanderfilet am Freitag.\n")
    (corpus / "public" / "reise.txt").write_text("Reisekosten werden mit dem Formular Quokkaantrag erstattet.\n")
    (corpus / "hr" / "gehalt.txt").write_text("Gehaltsbaender 2026: Stufe Narwalgrenze fuer Teamleitungen.\n")
    directory = base / "directory.yaml"
    directory.write_text(DIRECTORY)
    sources = base / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: docs\n    location: {corpus}\n    watch: true\n"
        "    acl_interval: 2s\n    content_interval: 1h\n    max_acl_age: 1h\n"
    )
    server = LiveServer(base / "data", directory, sources, env_extra={"RAGWARDEN_ADMIN_TOKENS": '["group:it-admins"]'})
    server.start()
    try:
        yield server, corpus
    finally:
        server.stop()


def sees(server: LiveServer, user: str, word: str, path: str) -> bool:
    """Does ``user`` find ``word`` in the document at ``path`` (its text, not just the document)?"""
    results = server.search(user, word)["results"]
    return any(r["path"] == path and word.lower() in r["snippet"].lower() for r in results)


def test_the_served_index_starts_equal_to_the_source(world: tuple[LiveServer, Path]) -> None:
    server, _ = world
    assert sees(server, "alice", "Narwalgrenze", "hr/gehalt.txt")
    assert not sees(server, "bob", "Narwalgrenze", "hr/gehalt.txt")
    assert sees(server, "bob", "Zanderfilet", "public/kantine.txt")


def test_a_revoked_folder_acl_hides_the_document_and_it_never_comes_back(world: tuple[LiveServer, Path]) -> None:
    server, corpus = world
    assert sees(server, "bob", "Quokkaantrag", "public/reise.txt")
    write_acl(corpus / "public" / "reise.txt.acl.json", ["group:hr"])
    wait_for(lambda: not sees(server, "bob", "Quokkaantrag", "public/reise.txt"), WATCH_BUDGET)
    for _ in range(20):  # once gone, it stays gone
        assert not sees(server, "bob", "Quokkaantrag", "public/reise.txt")
    assert sees(server, "alice", "Quokkaantrag", "public/reise.txt")


def test_a_granted_group_sees_the_document(world: tuple[LiveServer, Path]) -> None:
    server, corpus = world
    assert not sees(server, "carol", "Narwalgrenze", "hr/gehalt.txt")
    write_acl(corpus / "hr" / ".acl.json", ["group:hr", "group:sales"])
    wait_for(lambda: sees(server, "carol", "Narwalgrenze", "hr/gehalt.txt"), WATCH_BUDGET)
    assert not sees(server, "bob", "Narwalgrenze", "hr/gehalt.txt")


def test_added_changed_and_deleted_files_are_seen(world: tuple[LiveServer, Path]) -> None:
    server, corpus = world
    new = corpus / "public" / "parkplatz.txt"
    new.write_text("Parkplaetze im Hof: Ausweis Okapiplakette beantragen.\n")
    wait_for(lambda: sees(server, "bob", "Okapiplakette", "public/parkplatz.txt"), WATCH_BUDGET)

    new.write_text("Parkplaetze im Hof: jetzt mit der Pelikankarte.\n")
    wait_for(lambda: sees(server, "bob", "Pelikankarte", "public/parkplatz.txt"), WATCH_BUDGET)
    assert not sees(server, "bob", "Okapiplakette", "public/parkplatz.txt")

    new.unlink()
    wait_for(lambda: not sees(server, "bob", "Pelikankarte", "public/parkplatz.txt"), WATCH_BUDGET)


def test_a_changed_document_is_never_missing_nor_twice_while_it_is_replaced(world: tuple[LiveServer, Path]) -> None:
    server, corpus = world
    doc = corpus / "public" / "kantine.txt"
    stop = threading.Event()
    seen: list[int] = []

    def watch() -> None:
        while not stop.is_set():
            results = server.search("bob", "Kantine Speiseplan")["results"]
            seen.append(sum(1 for r in results if r["path"] == "public/kantine.txt"))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        doc.write_text("Der Speiseplan der Kantine: Zanderfilet am Freitag, Spargel am Montag.\n" * 40)
        wait_for(lambda: sees(server, "bob", "Spargel", "public/kantine.txt"), WATCH_BUDGET)
    finally:
        stop.set()
        watcher.join()
    assert seen and set(seen) == {1}, f"the document appeared {sorted(set(seen))} times during the change"


def test_a_renamed_folder_moves_its_documents(world: tuple[LiveServer, Path]) -> None:
    server, corpus = world
    (corpus / "hr").rename(corpus / "personal")
    wait_for(lambda: sees(server, "alice", "Narwalgrenze", "personal/gehalt.txt"), WATCH_BUDGET)
    assert not sees(server, "alice", "Narwalgrenze", "hr/gehalt.txt")
    assert not sees(server, "bob", "Narwalgrenze", "personal/gehalt.txt")


def test_ingest_while_serving_hands_over_to_the_server(world: tuple[LiveServer, Path]) -> None:
    server, corpus = world
    other = corpus.parent / "other"
    other.mkdir()
    write_acl(other / ".acl.json", ["group:staff"])
    (other / "notiz.txt").write_text("Die Notiz zum Flamingoprojekt.\n")
    results: list[tuple[int, str, str]] = []

    def ingest() -> None:
        done = server.cli("ingest", str(other), "--data-dir", str(server.data_dir))
        results.append((done.returncode, done.stdout, done.stderr))

    runs = [threading.Thread(target=ingest) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    for code, out, err in results:
        assert code == 0, err
        assert "the running server syncs" in err and "added" in out
    assert sees(server, "bob", "Flamingoprojekt", "notiz.txt")
    rows = json.loads(server.cli("sources", "--json").stdout)["sources"]
    recorded = [r for r in rows if r["location"] == str(other)]
    assert len(recorded) == 1 and recorded[0]["documents"] == 1 and recorded[0]["origin"] == "ingest"


def test_admin_endpoints_are_for_admins_only(world: tuple[LiveServer, Path]) -> None:
    server, _ = world
    assert server.get("/v1/admin/sources").status_code == 401
    assert server.get("/v1/admin/sources", "bob").status_code == 403
    assert server.post("/v1/admin/sources/docs/sync", "bob").status_code == 403
    listing = server.get("/v1/admin/sources", "root-admin")
    assert listing.status_code == 200
    docs = next(s for s in listing.json()["sources"] if s["name"] == "docs")
    assert docs["state"] in ("idle", "syncing") and docs["acl"]["age_seconds"] < 60 and docs["documents"] >= 2
    assert server.post("/v1/admin/sources/nope/sync", "root-admin").status_code == 404
    started = server.post("/v1/admin/sources/docs/sync?kind=acl", "root-admin")
    assert started.status_code == 202 and started.json()["kind"] == "acl"
    # administration never widens search: the admin sees no HR document
    assert not server.search("root-admin", "Narwalgrenze")["results"]


def test_metrics_on_loopback(world: tuple[LiveServer, Path]) -> None:
    server, _ = world
    text = server.get("/metrics").text
    assert 'ragwarden_source_last_success_timestamp_seconds{pass="acl",source="docs"}' in text
    assert "ragwarden_request_duration_seconds_bucket" in text and "ragwarden_sync_duration_seconds" in text


def test_a_source_that_cannot_be_read_is_withheld_until_it_can(tmp_path: Path) -> None:
    """Fail closed: past max_acl_age its documents disappear, /readyz says why, other sources stay."""
    good, flaky = tmp_path / "good", tmp_path / "flaky"
    for folder, word in ((good, "Gnuweide"), (flaky, "Yakleder")):
        folder.mkdir()
        write_acl(folder / ".acl.json", ["group:staff"])
        (folder / "a.txt").write_text(f"Ein Dokument ueber {word}.\n")
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: good\n    location: {good}\n    acl_interval: 1s\n    max_acl_age: 1h\n"
        f"  - name: flaky\n    location: {flaky}\n    acl_interval: 1s\n    max_acl_age: 4s\n"
    )
    server = LiveServer(tmp_path / "data", directory, sources).start()
    try:
        assert sees(server, "bob", "Yakleder", "a.txt")
        hidden = tmp_path / "flaky-away"
        flaky.rename(hidden)  # the source is unreachable
        wait_for(lambda: not sees(server, "bob", "Yakleder", "a.txt"), 15)
        ready = server.get("/readyz")
        assert ready.status_code == 503 and "flaky" in json.dumps(ready.json())
        body = server.search("bob", "Gnuweide")
        assert body["sources_unavailable"] is True and body["notice"]
        assert sees(server, "bob", "Gnuweide", "a.txt"), (ready.json(), body)  # the other source is unaffected
        hidden.rename(flaky)
        wait_for(lambda: sees(server, "bob", "Yakleder", "a.txt"), 15)
        wait_for(lambda: server.get("/readyz").status_code == 200, 10)
    finally:
        server.stop()
        shutil.rmtree(tmp_path / "data", ignore_errors=True)
