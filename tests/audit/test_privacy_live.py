"""DSGVO against a real ``ragwarden serve``: people with conversations (trusted header) and a signed-in
Entra session (the local Entra stand-in, over the real authorization-code flow); ``ragwarden privacy export``
and ``erase`` through the admin channel reach the server's memory; after erasure nothing links the records to
the person (their pseudonym can no longer be recomputed, the serving process makes a new, unrelated one) and
``audit verify`` passes; ``forget-document`` removes a document from search, documents, answers and the
conversations that cited it at once, and a re-sync does not bring it back until the file changes at the
source; and with the server stopped, the same commands work from the data directory alone."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragwarden.audit.keys import PseudonymKeys
from ragwarden.testing.live_server import LiveServer, wait_for
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from tests.audit.live_world import CANARY, DIRECTORY, PAY, pseudonym, records, write_corpus

PAGE = {"X-Requested-With": "ragwarden"}


class World:
    def __init__(self, server: LiveServer, base: Path, ms: FakeMicrosoft, erika: str) -> None:
        self.server, self.base, self.ms, self.erika = server, base, ms, erika
        self.audit_dir, self.key_dir = base / "data" / "audit", base / "data" / "audit-keys"
        self.session = ""

    def ask(self, user: str, question: str, conversation_id: str | None = None) -> dict[str, Any]:
        body = {"question": question} | ({"conversation_id": conversation_id} if conversation_id else {})
        r = httpx.post(self.server.url + "/v1/answer", json=body, headers=self.server.headers(user), timeout=300)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def privacy(self, *args: str) -> dict[str, Any]:
        done = self.server.cli("privacy", *args, "--json")
        assert done.returncode == 0, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def export(self, user: str) -> dict[str, Any]:
        out = self.base / f"export-{user.replace(':', '_')}.json"
        done = self.server.cli("privacy", "export", user, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: for the requester only
        exported: dict[str, Any] = json.loads(out.read_text())
        return exported

    def as_erika(self, path: str, body: dict[str, Any]) -> httpx.Response:
        cookie = {"Cookie": f"__Host-ragwarden_session={self.session}"}
        return httpx.post(self.server.url + path, json=body, headers=PAGE | cookie, timeout=300)


def _cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in {response.headers}")


def _sign_in(world: World) -> str:
    """The real authorization-code flow against the stand-in; the session cookie (sent by hand: httpx keeps
    Secure cookies for https, while browsers keep them for http://localhost too)."""
    url = f"http://localhost:{world.server.port}"
    start = httpx.get(url + "/auth/login", follow_redirects=False)
    assert start.status_code == 302, start.text
    flow = _cookie(start, "__Host-ragwarden_signin")
    page = httpx.get(start.headers["location"], verify=str(world.ms.ca_file)).json()
    back = httpx.post(url + "/auth/callback", data=page["fields"], follow_redirects=False,
                      headers={"Cookie": f"__Host-ragwarden_signin={flow}"})
    assert back.status_code == 303, back.text
    return _cookie(back, "__Host-ragwarden_session")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("privacy-live")
    write_corpus(base / "docs")
    (base / "directory.yaml").write_text(DIRECTORY)
    (base / "ms").mkdir()
    ms = FakeMicrosoft(base / "ms")
    erika = ms.add_user(name="Erika Muster")
    ms.sign_in_as = erika
    server = LiveServer(base / "data", base / "directory.yaml")
    server.env_extra.update({
        "RAGWARDEN_AUTH_MODE": "trusted-header,entra", "RAGWARDEN_ENTRA_TENANT_ID": ms.tenant_id,
        "RAGWARDEN_ENTRA_AUDIENCE": '["api://ragwarden"]', "RAGWARDEN_ENTRA_CLIENT_ID": ms.client_id,
        "RAGWARDEN_ENTRA_CLIENT_SECRET": ms.client_secret, "RAGWARDEN_ENTRA_AUTHORITY_HOST": ms.authority_host,
        "RAGWARDEN_ENTRA_GRAPH_URL": ms.graph_url, "RAGWARDEN_ENTRA_CA_BUNDLE": str(ms.ca_file),
        "RAGWARDEN_ENTRA_REDIRECT_URI": f"http://localhost:{server.port}/auth/callback",
        "RAGWARDEN_ADMIN_TOKENS": '["group:it-admins"]',
    })
    w = World(server, base, ms, erika)
    try:
        ingested = server.cli("ingest", str(base / "docs"), "--name", "docs")
        assert ingested.returncode == 0, ingested.stderr
        server.start()
        first = w.ask("hanna", "Wann kommt die Lohnabrechnung?")
        w.ask("hanna", "Und der Wombatzuschlag?", first["conversation_id"])
        w.ask("bob", "Wann kommt die Lohnabrechnung mit dem Wombatzuschlag?")
        w.session = _sign_in(w)
        asked = w.as_erika("/v1/answer", {"question": "Wie viele Urlaubstage habe ich?"})
        assert asked.status_code == 200, asked.text
        yield w
    finally:
        server.stop()
        ms.stop()


def test_export_holds_the_persons_conversations_and_audit_records_and_nobody_elses(world: World) -> None:
    exported = world.export("hanna")
    assert exported["from"] == "running server" and exported["subject"] == "hanna"
    (conversation,) = exported["conversations"]
    assert [t["question"] for t in conversation["turns"]] == ["Wann kommt die Lohnabrechnung?",
                                                              "Und der Wombatzuschlag?"]
    mine = pseudonym(world.key_dir, "hanna")
    assert exported["audit"]["pseudonyms"] == [mine]
    answers = [r for r in exported["audit"]["records"] if r["action"] == "answer"]
    assert len(answers) == 2 and all(r["caller"] == mine for r in answers)
    theirs = pseudonym(world.key_dir, "bob")
    assert theirs and theirs not in json.dumps(exported)  # another person's pseudonym never leaves with it
    assert exported["sessions"] == []


def test_export_of_a_signed_in_person_holds_their_session_by_name_or_object_id(world: World) -> None:
    for who in (world.erika, "entra:" + world.erika):
        exported = world.export(who)
        (session,) = exported["sessions"]
        assert session["object_id"] == world.erika and session["username"]
        assert "key" not in session and world.session not in json.dumps(exported)  # never the credential
        (conversation,) = exported["conversations"]
        assert conversation["turns"][0]["question"] == "Wie viele Urlaubstage habe ich?"
        assert len(exported["audit"]["records"]) == 1


def test_erase_deletes_conversations_and_makes_the_records_unlinkable_while_verify_passes(world: World) -> None:
    old = pseudonym(world.key_dir, "hanna")
    kept = [r for r in records(world.audit_dir) if r["caller"] == old]
    report = world.privacy("erase", "hanna")
    assert report["where"] == "running server"
    assert (report["conversations_turns"], report["pseudonym_keys"]) == (2, 1)
    assert report["records_unlinked"] == len(kept) > 0
    assert pseudonym(world.key_dir, "hanna") is None  # the key is gone: nothing can recompute the pseudonym
    keys = PseudonymKeys(world.key_dir)
    try:
        assert keys.principals({old}) == {}
    finally:
        keys.close()
    assert [r for r in records(world.audit_dir) if r["caller"] == old] == kept  # the records stay as they were
    lines = (world.audit_dir).glob("audit-*.jsonl")
    erasures = [json.loads(x) for f in lines for x in f.read_text().splitlines() if '"action":"erase"' in x]
    assert erasures and "hanna" not in json.dumps(erasures)  # recorded, without the person
    assert erasures[-1]["records_unlinked"] == len(kept)
    verified = world.server.cli("audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stdout + verified.stderr

    again = world.ask("hanna", "Wann kommt die Lohnabrechnung?")  # the serving process forgot its cached one
    new = pseudonym(world.key_dir, "hanna")
    assert new and new != old and records(world.audit_dir)[-1]["caller"] == new
    exported = world.export("hanna")
    assert [len(c["turns"]) for c in exported["conversations"]] == [1]
    assert exported["conversations"][0]["conversation_id"] == again["conversation_id"]
    assert {r["caller"] for r in exported["audit"]["records"]} == {new}
    assert len(world.export("bob")["conversations"]) == 1  # someone else's data is untouched


def test_erase_ends_the_sign_in_session(world: World) -> None:
    assert world.as_erika("/v1/search", {"query": "Urlaub"}).status_code == 200
    report = world.privacy("erase", world.erika)
    assert (report["sessions"], report["conversations_turns"], report["pseudonym_keys"]) == (1, 1, 1)
    assert world.as_erika("/v1/search", {"query": "Urlaub"}).status_code == 401


def test_the_rest_endpoint_is_for_administrators_only(world: World) -> None:
    body = {"action": "export", "user": "bob"}
    assert world.server.post("/v1/admin/privacy", "bob", json=body).status_code == 403
    r = world.server.post("/v1/admin/privacy", "ada", json=body)
    assert r.status_code == 200 and len(r.json()["conversations"]) == 1
    assert world.server.post("/v1/admin/privacy", "ada", json={"action": "nonsense"}).status_code == 400


def _sees(world: World, user: str, doc_id: str) -> dict[str, bool]:
    found = world.server.search(user, "Lohnabrechnung Wombatzuschlag")["results"]
    answer = world.ask(user, "Wann kommt die Lohnabrechnung mit dem Wombatzuschlag?")
    return {
        "search": any(r["doc_id"] == doc_id for r in found),
        "document": world.server.get(f"/v1/documents/{doc_id}", user).status_code == 200,
        "answer": any(c["doc_id"] == doc_id for c in answer["citations"]) or CANARY in answer["answer"],
    }


def test_forget_document_removes_it_everywhere_at_once_until_it_changes_at_the_source(world: World) -> None:
    doc_id = next(r["doc_id"] for r in world.server.search("bob", "Lohnabrechnung")["results"]
                  if r["path"] == PAY[0])
    assert _sees(world, "bob", doc_id) == {"search": True, "document": True, "answer": True}
    assert world.export("bob")["conversations"]  # bob's answers cited it

    report = world.privacy("forget-document", PAY[0])
    assert report["doc_ids"] == [doc_id] and report["conversations_dropped"] >= 1
    assert report["tombstones"] == [{"source": "docs", "source_uri": report["tombstones"][0]["source_uri"]}]
    assert world.export("bob")["conversations"] == []  # the answers that quoted it are gone with it
    assert _sees(world, "bob", doc_id) == {"search": False, "document": False, "answer": False}
    line = [x for x in (world.audit_dir).glob("audit-*.jsonl") for x in x.read_text().splitlines()
            if '"action":"forget-document"' in x]
    assert line and json.loads(line[-1])["doc_ids"] == [doc_id] and PAY[0] not in line[-1]

    synced = world.server.cli("sync", "docs")
    assert synced.returncode == 0, synced.stderr
    assert _sees(world, "bob", doc_id)["search"] is False  # the tombstone keeps it out
    (world.base / "docs" / PAY[0]).write_text(PAY[1] + "Neu: die Lohnabrechnung kommt jetzt am 25.\n")
    synced = world.server.cli("sync", "docs")
    assert synced.returncode == 0, synced.stderr
    wait_for(lambda: any(r["path"] == PAY[0] for r in world.server.search("bob", "Lohnabrechnung")["results"]), 60)
    assert world.server.cli("audit", "verify").returncode == 0


def test_without_a_server_export_and_erase_work_from_the_data_directory(world: World) -> None:
    world.server.stop()
    exported = world.export("bob")
    assert exported["from"] == "data directory" and exported["conversations"] == []
    assert "no server is running" in exported["notes"][0] and exported["audit"]["records"]
    report = world.privacy("erase", "bob")
    assert report["where"] == "data directory" and report["pseudonym_keys"] == 1
    assert pseudonym(world.key_dir, "bob") is None
    verified = world.server.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout
    printed = world.server.cli("privacy", "erase", "nobody-known")
    assert printed.returncode == 0 and "0 pseudonym keys destroyed" in printed.stdout
