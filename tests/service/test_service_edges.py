"""The service's edges: a bad sources file stops start-up with one message naming the line; /metrics is
not public; stale permissions are withheld inside the index filter for searches, reads and facets;
`verify` finds drift between the index and the source."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ragwarden.api.app import create_app
from ragwarden.core.models import AccessControl, AccessScope, Chunk, IndexedChunk
from ragwarden.core.settings import load_settings
from ragwarden.services import Services, build_services
from ragwarden.services.verify import verify
from ragwarden.testing.fakes.embedding import CountingEmbedder
from ragwarden.testing.live_server import PROXY_SECRET, free_port

DIRECTORY = "users:\n  bob: {groups: [staff]}\n  ada: {groups: [it-admins]}\ngroups:\n  staff: {}\n  it-admins: {}\n"
BOB = AccessScope("bob", frozenset({"user:bob", "group:staff", "everyone"}))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Path]]:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / ".acl.json").write_text('{"allow": ["group:staff"]}')
    (corpus / "a.txt").write_text("Ein Text ueber Zebrafinken.\n")
    (corpus / "b.txt").write_text("Ein Text ueber Kolibris.\n")
    (tmp_path / "directory.yaml").write_text(DIRECTORY)
    settings = load_settings(
        data_dir=tmp_path / "data",
        directory_file=tmp_path / "directory.yaml",
        proxy_secret=PROXY_SECRET,
        admin_tokens=["group:it-admins"],
        metrics_token="metrics-token-0123456789",
    )
    services = build_services(settings, embedder=CountingEmbedder())
    services.sync(services.folder_connector(corpus, source="docs"))
    try:
        yield services, corpus
    finally:
        services.close()


def age_permissions(services: Services, name: str, seconds: float) -> None:
    record = services.state.sources.get(name)
    assert record is not None
    services.state.sources.succeeded(name, "acl", datetime.now(UTC) - timedelta(seconds=seconds))
    services.retriever.gate.invalidate()  # type: ignore[union-attr]


def test_a_source_past_max_acl_age_is_withheld_from_search_reads_and_facets(world: tuple[Services, Path]) -> None:
    services, _ = world
    retriever = services.retriever
    hits = retriever.search(BOB, "Zebrafinken")
    assert hits and retriever.facet(BOB, "source") == {"docs": 2}
    doc_id = hits[0].doc_id
    assert retriever.document(BOB, doc_id)
    age_permissions(services, "docs", 2 * 3600)
    assert retriever.search(BOB, "Zebrafinken") == []
    assert retriever.document(BOB, doc_id) == []
    assert retriever.facet(BOB, "source") == {}
    assert retriever.withheld() == {"docs"}
    age_permissions(services, "docs", 1)
    assert retriever.search(BOB, "Zebrafinken")


def test_a_source_nobody_vouches_for_is_withheld(world: tuple[Services, Path]) -> None:
    """Documents of a source without a record (never synced by this data dir) are never shown."""
    services, _ = world
    services.state.sources.forget("docs")
    services.retriever.gate.invalidate()  # type: ignore[union-attr]
    assert services.retriever.search(BOB, "Zebrafinken") == []


def test_metrics_are_not_public(world: tuple[Services, Path]) -> None:
    services, _ = world
    with TestClient(create_app(services)) as client:  # the test client is not on loopback
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        ok = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"})
        assert ok.status_code == 200 and 'ragwarden_source_documents{source="docs"} 2.0' in ok.text
    with TestClient(create_app(services), client=("127.0.0.1", 50000)) as local:
        assert local.get("/metrics").status_code == 200
        for relayed in ({"Via": "1.1 proxy"}, {"X-Forwarded-For": "203.0.113.9"}, {"True-Client-IP": "203.0.113.9"}):
            assert local.get("/metrics", headers=relayed).status_code == 403, relayed  # a proxy on this host


def test_admin_api_in_process(world: tuple[Services, Path]) -> None:
    services, _ = world
    headers = {"X-Proxy-Secret": PROXY_SECRET}
    with TestClient(create_app(services)) as client:
        assert client.get("/v1/admin/sources").status_code == 401
        assert client.get("/v1/admin/sources", headers={**headers, "X-Remote-User": "bob"}).status_code == 403
        body = client.get("/v1/admin/sources", headers={**headers, "X-Remote-User": "ada"}).json()
        assert [s["name"] for s in body["sources"]] == ["docs"] and body["sources"][0]["documents"] == 2
        # without a scheduler in this process a sync cannot start: said, not swallowed
        r = client.post("/v1/admin/sources/docs/sync", headers={**headers, "X-Remote-User": "ada"})
        assert r.status_code == 409 and "worker" in r.json()["error"]
        r = client.post("/v1/admin/sources/nope/sync", headers={**headers, "X-Remote-User": "ada"})
        assert r.status_code == 404


def test_verify_reports_drift_between_index_and_source(world: tuple[Services, Path]) -> None:
    services, corpus = world
    assert verify(services).drift == []
    (corpus / "a.txt.acl.json").write_text('{"allow": ["group:hr"]}')  # changed at the source, not synced
    (corpus / "b.txt").unlink()
    drift = verify(services).drift
    problems = {d["doc"]: d["problem"] for d in drift}
    assert "group:hr" in problems["a.txt"] and "gone" in problems["b.txt"]
    services.engine().sync_acls(services.folder_connector(corpus, source="docs"))
    assert verify(services).drift == []


def test_verify_reports_what_the_index_holds_but_nobody_recorded(world: tuple[Services, Path]) -> None:
    """A point left behind (a crash, a bug) is drift, found from the index side too."""
    services, _ = world
    chunk = Chunk("f" * 32, 0, "Verwaist Eisvogel", AccessControl(frozenset({"group:staff"})), title="x")
    payload = {**chunk.payload(), "source": "docs", "path": "verwaist.txt"}
    services.index.upsert([IndexedChunk(chunk.chunk_id, services.embedder.embed_batch(["x"])[0], "x", payload)])
    problems = {d["doc"]: d["problem"] for d in verify(services).drift}
    assert "not recorded" in problems["verwaist.txt"]


def test_verify_cli_exit_code(tmp_path: Path) -> None:
    """`ragwarden verify` as an auditor runs it: exit 1 and the drifting document named. Without a users
    directory nothing can be checked, and ingest says so instead of failing every document."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / ".acl.json").write_text('{"allow": ["group:staff"]}')
    (corpus / "a.txt").write_text("Ein Text ueber Zebrafinken.\n")
    directory = tmp_path / "directory.yaml"
    directory.write_text("users:\n  sam: {groups: [staff]}\ngroups:\n  staff: {}\n  hr: {}\n")
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin"}
    cli = [sys.executable, "-m", "ragwarden.cli"]
    data = ["--data-dir", str(tmp_path / "data")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args, *data], capture_output=True, text=True, env=env, timeout=300, check=False)

    refused = run("ingest", str(corpus))
    assert refused.returncode == 2 and "RAGWARDEN_DIRECTORY_FILE" in refused.stderr, refused.stderr
    env["RAGWARDEN_DIRECTORY_FILE"] = str(directory)
    assert run("ingest", str(corpus)).returncode == 0
    assert run("verify").returncode == 0
    (corpus / "a.txt.acl.json").write_text('{"allow": ["group:hr"]}')
    done = run("verify", "--json")
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["drift"][0]["doc"] == "a.txt"


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("sources:\n  - name: a\n    location: /srv/a\n    colour: blue\n", 4, "colour"),
        ("sources:\n  - name: a\n    location: /srv/a\n  - name: a\n    location: /srv/b\n", 4, "a"),
        ("sources:\n  - name: a\n    location: ftp://host/x\n", 3, "ftp"),
        ("sources:\n  - name: a\n    location: smb://h/s\n    username_env: NOPE_U\n    password_env: NOPE_P\n",
         4, "NOPE_U"),
        ("sources:\n  - name: a\n    location: smb://h/s\n    password: hunter2\n", 4, "password_env"),
    ],
)
def test_a_bad_sources_file_stops_serve_with_one_message_and_starts_nothing(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(text)
    (tmp_path / "directory.yaml").write_text(DIRECTORY)
    port = free_port()
    env = {
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin",
        "RAGWARDEN_DIRECTORY_FILE": str(tmp_path / "directory.yaml"),
        "RAGWARDEN_PROXY_SECRET": PROXY_SECRET,
    }
    cmd = [sys.executable, "-m", "ragwarden.cli", "serve", "--data-dir", str(tmp_path / "d"), "--port", str(port)]
    done = subprocess.run([*cmd, "--sources", str(sources)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2
    message = done.stderr.strip().splitlines()  # before any model loads: one line
    assert len(message) == 1 and f"{sources}:{line}:" in message[0] and says in message[0], done.stderr
    assert "hunter2" not in done.stderr
    assert not (tmp_path / "d" / "admin.sock").exists()


def test_settings_keep_admin_tokens_off_by_default() -> None:
    assert load_settings(proxy_secret=PROXY_SECRET).admin_tokens == []


def test_source_records_survive_a_restart(world: tuple[Services, Path]) -> None:
    services, _ = world
    record = services.state.sources.get("docs")
    assert record is not None and record.origin == "ingest" and record.acl_as_of is not None
    assert replace(record.spec, line=0).location.endswith("docs")
