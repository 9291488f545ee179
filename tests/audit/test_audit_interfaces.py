"""Every interface writes the audit record, with the right granting token, through a real ``ragwarden serve``
(REST, the page's requests, streamed and whole answers) and the real CLI; the auditors' questions over REST
and the CLI; and an audit store that cannot be written fails requests with 503, answering nothing unrecorded.

(The Teams bot's record: tests/teams/test_audit_teams.py; the page in a browser: tests/browser/test_page_audit.py.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ragwarden.testing.live_server import LiveServer
from tests.audit.live_world import (
    CANARY,
    DIRECTORY,
    PAY,
    PLAN,
    fill,
    grants_by_path,
    mount_small_fs,
    pseudonym,
    records,
    remount,
    unmount,
    write_corpus,
)

QUESTION = "Wann kommt die Lohnabrechnung mit dem Wombatzuschlag?"


class World:
    def __init__(self, server: LiveServer, audit_dir: Path, key_dir: Path, mounted: bool) -> None:
        self.server, self.audit_dir, self.key_dir, self.mounted = server, audit_dir, key_dir, mounted
        self.doc_ids: dict[str, str] = {}

    def new_records(self, before: int) -> list[dict]:
        return records(self.audit_dir)[before:]

    def count(self) -> int:
        return len(records(self.audit_dir))

    def post(self, path: str, user: str, body: dict, headers: dict[str, str] | None = None) -> httpx.Response:
        merged = self.server.headers(user) | (headers or {})
        return httpx.post(self.server.url + path, json=body, headers=merged, timeout=120)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("audit-live")
    write_corpus(base / "docs")
    (base / "directory.yaml").write_text(DIRECTORY)
    audit_dir = base / "auditfs"
    mounted = mount_small_fs(audit_dir)
    env = {"RAGWARDEN_ADMIN_TOKENS": '["group:it-admins"]', "RAGWARDEN_AUDITOR_TOKENS": '["group:auditors"]',
           "RAGWARDEN_AUDIT_DIR": str(audit_dir)}
    server = LiveServer(base / "data", base / "directory.yaml", env_extra=env)
    w = World(server, audit_dir, base / "data" / "audit-keys", mounted)
    try:
        ingested = server.cli("ingest", str(base / "docs"), "--name", "docs")
        assert ingested.returncode == 0, ingested.stderr
        cli_search = server.cli("search", "--as", "hanna", "--json", "Wombatzuschlag Projektplan")
        assert cli_search.returncode == 0, cli_search.stderr
        server.start()
        hits = server.search("hanna", "Wombatzuschlag Projektplan")["results"]
        w.doc_ids.update({r["path"]: r["doc_id"] for r in hits})
        assert set(w.doc_ids) == {PAY[0], PLAN[0]}, w.doc_ids
        yield w
    finally:
        server.stop()
        if mounted:
            unmount(audit_dir)


def _hanna_grants(world: World, record: dict) -> dict[str, list[dict]]:
    assert record["caller"] == pseudonym(world.key_dir, "hanna")
    return grants_by_path(record, world.doc_ids)


def _assert_grounds(world: World, record: dict) -> None:
    """hanna holds group:hr and group:staff for the pay slip (group:hr is named), and the project plan's
    share permission through group:project."""
    grants = _hanna_grants(world, record)
    hanna = pseudonym(world.key_dir, "hanna")
    if PAY[0] in grants:
        assert grants[PAY[0]] == [{"reader": hanna, "allow": "group:hr", "share": None}], grants
    if PLAN[0] in grants:
        assert grants[PLAN[0]] == [{"reader": hanna, "allow": "group:staff", "share": "group:project"}], grants


def test_the_cli_search_was_recorded_with_both_grounds(world: World) -> None:
    (record,) = [r for r in records(world.audit_dir) if r["interface"] == "cli"]
    assert record["action"] == "search" and "query" not in record
    assert set(_hanna_grants(world, record)) == {PAY[0], PLAN[0]}
    _assert_grounds(world, record)


@pytest.mark.parametrize("page", [False, True], ids=["rest", "page"])
def test_a_search_writes_one_record_naming_the_granting_tokens(world: World, page: bool) -> None:
    before = world.count()
    headers = {"X-Requested-With": "ragwarden"} if page else {}
    body = world.post("/v1/search", "hanna", {"query": "Wombatzuschlag Projektplan"}, headers)
    assert body.status_code == 200, body.text
    (record,) = world.new_records(before)
    assert (record["interface"], record["action"]) == ("page" if page else "rest", "search")
    shown = {r["doc_id"] for r in body.json()["results"]}
    assert {d["doc_id"] for d in record["documents"]} == shown and len(shown) == 2
    _assert_grounds(world, record)


def test_a_document_read_writes_one_record(world: World) -> None:
    before = world.count()
    response = world.server.get(f"/v1/documents/{world.doc_ids[PLAN[0]]}", "hanna")
    assert response.status_code == 200, response.text
    (record,) = world.new_records(before)
    assert (record["interface"], record["action"]) == ("rest", "document")
    assert record["documents"][0]["points"] and record["documents"][0]["acl_version"]
    _assert_grounds(world, record)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_an_answer_writes_one_record_its_search_included(world: World, stream: bool) -> None:
    before = world.count()
    headers = {"Accept": "text/event-stream"} if stream else {}
    response = world.post("/v1/answer", "hanna", {"question": QUESTION}, headers)
    assert response.status_code == 200, response.text
    (record,) = world.new_records(before)
    assert (record["interface"], record["action"]) == ("rest", "answer")
    assert set(record["answer"]) == {"model", "prompt_sha256", "refused"} and record["answer"]["refused"] is False
    assert PAY[0] in _hanna_grants(world, record)
    _assert_grounds(world, record)


def test_an_answer_nobody_may_ground_is_recorded_as_refused(world: World) -> None:
    before = world.count()
    response = world.server.post("/v1/answer", "ada", json={"question": QUESTION})
    assert response.status_code == 200 and response.json()["found"] is False
    (record,) = world.new_records(before)
    assert record["answer"]["refused"] is True and record["documents"] == []


def test_who_saw_and_what_saw_for_admins_and_auditors_and_nobody_else(world: World) -> None:
    doc = world.doc_ids[PAY[0]]
    admin = world.server.get("/v1/audit/who-saw", "ada", params={"doc_id": doc})
    assert admin.status_code == 200, admin.text
    seen = admin.json()["seen"]
    assert seen and {r["reader_principal"] for r in seen} == {"hanna"}
    assert {r["allow"] for r in seen} == {"group:hr"} and all(r["title"] for r in seen)
    assert {"cli", "rest", "page"} <= {r["interface"] for r in seen}
    auditor = world.server.get("/v1/audit/who-saw", "olga", params={"doc_id": doc, "since": "2020-01-01"})
    assert auditor.status_code == 200 and len(auditor.json()["seen"]) == len(seen)
    assert all("reader_principal" not in r for r in auditor.json()["seen"])  # auditors see pseudonyms
    what = world.server.get("/v1/audit/what-saw", "olga", params={"user": "hanna"})
    assert what.status_code == 200 and {r["doc_id"] for r in what.json()["seen"]} == set(world.doc_ids.values())
    for response in (admin, auditor, what):
        assert CANARY not in response.text  # audit facts, never document text
    for path, params in (("who-saw", {"doc_id": doc}), ("what-saw", {"user": "hanna"})):
        refused = world.server.get(f"/v1/audit/{path}", "hanna", params=params)
        assert refused.status_code == 403, refused.text


def test_the_cli_verifies_the_log_and_answers_who_saw(world: World) -> None:
    verified = world.server.cli("audit", "verify")
    assert verified.returncode == 0 and "audit log intact" in verified.stdout, verified.stdout + verified.stderr
    who = world.server.cli("audit", "who-saw", PAY[0], "--since", "2020-01-01")
    assert who.returncode == 0 and "hanna" in who.stdout and "granted by group:hr" in who.stdout, who.stdout
    assert CANARY not in who.stdout


def _search(world: World) -> int:
    before = world.count()
    status = world.post("/v1/search", "hanna", {"query": "Wombatzuschlag"}).status_code
    assert world.count() == before + (1 if status == 200 else 0)  # answered only when recorded
    return status


def _refused_everywhere(world: World) -> None:
    before = world.count()
    s = world.server
    search = s.post("/v1/search", "hanna", json={"query": "Wombatzuschlag"})
    document = s.get(f"/v1/documents/{world.doc_ids[PAY[0]]}", "hanna")
    answer = s.post("/v1/answer", "hanna", json={"question": QUESTION})
    streamed = world.post("/v1/answer", "hanna", {"question": QUESTION}, {"Accept": "text/event-stream"})
    for response in (search, document, answer, streamed):
        assert response.status_code == 503, response.text
        assert CANARY not in response.text and "Lohnabrechnung" not in response.text
    assert world.count() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a filesystem of its own (tmpfs): root only")
def test_a_read_only_or_full_audit_store_fails_every_request_with_503(world: World) -> None:
    if not world.mounted:
        pytest.skip("this machine does not let root mount a tmpfs")
    remount(world.audit_dir, "ro")
    try:
        _refused_everywhere(world)
    finally:
        remount(world.audit_dir, "rw")
    filler = fill(world.audit_dir)
    try:
        # the day file's last page may still hold a few records: those are written (and answered), then none
        statuses = [_search(world) for _ in range(12)]
        assert 503 in statuses and set(statuses[statuses.index(503):]) == {503}, statuses
        _refused_everywhere(world)
    finally:
        filler.unlink()
    assert world.server.post("/v1/search", "hanna", json={"query": "Wombatzuschlag"}).status_code == 200
    assert world.server.cli("audit", "verify").returncode == 0  # nothing half-written was left behind


def test_a_request_without_the_page_header_is_not_marked_as_the_page(world: World) -> None:
    before = world.count()
    httpx.post(world.server.url + "/v1/search", json={"query": "Wombat"}, headers=world.server.headers("bob"),
               timeout=30).raise_for_status()
    (record,) = world.new_records(before)
    assert record["interface"] == "rest" and record["caller"] == pseudonym(world.key_dir, "bob")
