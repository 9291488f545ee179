"""The access matrix on the demo corpus: every user × every document × every entry point
(/v1/search, /v1/documents, the CLI). Never a forbidden document; a permitted document is found by a
query for its distinctive words.

The expected decisions come from an oracle written here, independently of ragwarden's ACL code: it
reads the sidecars and the directory YAML itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ragwarden import cli
from ragwarden.api.app import create_app
from tests.demo_fixtures import PROXY_SECRET, Demo, corpus_root


def oracle_tokens(directory: dict[str, Any], user: str) -> set[str]:
    entry = directory["users"].get(user)
    if entry is None or entry.get("disabled"):
        return set()
    tokens, todo = {f"user:{user}", "everyone"}, list(entry.get("groups") or [])
    while todo:
        g = todo.pop()
        if f"group:{g}" not in tokens:
            tokens.add(f"group:{g}")
            todo.extend((directory["groups"].get(g) or {}).get("member_of") or [])
    return tokens


def oracle_acl(path: str) -> dict[str, list[str]] | None:
    file = corpus_root() / path
    candidates = [file.parent / f"{file.name}.acl.json"]
    folder = file.parent
    while True:
        candidates.append(folder / ".acl.json")
        if folder == corpus_root():
            break
        folder = folder.parent
    for c in candidates:
        if c.exists():
            try:
                return json.loads(c.read_text())
            except ValueError:
                return None
    return None


def oracle_allows(directory: dict[str, Any], user: str, path: str) -> bool:
    acl, tokens = oracle_acl(path), oracle_tokens(directory, user)
    if acl is None:
        return False
    return bool(tokens & set(acl.get("allow", []))) and not tokens & set(acl.get("deny", []))


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.services)) as c:
        yield c


def headers(user: str) -> dict[str, str]:
    return {"X-Remote-User": user, "X-Proxy-Secret": PROXY_SECRET}


def test_the_demo_corpus_is_indexed_as_the_manifest_says(demo: Demo) -> None:
    for entry in demo.manifest:
        assert (entry["path"] in demo.doc_ids) == entry["indexed"], entry["path"]
    assert len(demo.indexed) >= 40


def test_every_user_sees_a_different_subset(demo: Demo) -> None:
    subsets = {
        frozenset(d["path"] for d in demo.indexed if oracle_allows(demo.directory, u, d["path"])) for u in demo.users
    }
    assert len(subsets) >= 5
    assert all(any(oracle_allows(demo.directory, u, d["path"]) for u in demo.users) for d in demo.indexed)


def test_search_api_never_returns_a_forbidden_document_and_finds_every_permitted_one(
    demo: Demo, client: TestClient
) -> None:
    leaks, misses = [], []
    by_id = {v: k for k, v in demo.doc_ids.items()}
    canaries = {d["path"]: d["canary"] for d in demo.manifest}
    for user in demo.users:
        for entry in demo.indexed:
            r = client.post("/v1/search", json={"query": entry["query"], "limit": 10}, headers=headers(user))
            assert r.status_code == 200, r.text
            for result in r.json()["results"]:
                path = by_id[result["doc_id"]]
                if not oracle_allows(demo.directory, user, path):
                    leaks.append((user, entry["query"], path))
                forbidden = [p for p, c in canaries.items() if c in result["snippet"]]
                leaks += [(user, "canary", p) for p in forbidden if not oracle_allows(demo.directory, user, p)]
            found = {by_id[x["doc_id"]] for x in r.json()["results"]}
            if oracle_allows(demo.directory, user, entry["path"]) and entry["path"] not in found:
                misses.append((user, entry["query"], entry["path"]))
    assert leaks == []
    assert misses == []


def test_documents_api_is_404_for_forbidden_and_unknown_documents(demo: Demo, client: TestClient) -> None:
    for user in demo.users:
        for path, doc_id in demo.doc_ids.items():
            r = client.get(f"/v1/documents/{doc_id}", headers=headers(user))
            if oracle_allows(demo.directory, user, path):
                assert r.status_code == 200 and r.json()["doc_id"] == doc_id, (user, path)
            else:
                assert r.status_code == 404, (user, path)
                assert r.json() == client.get("/v1/documents/" + "0" * 32, headers=headers(user)).json()


class _Shared:
    """The session's services, handed to the CLI without letting it close them."""

    def __init__(self, services: Any) -> None:
        self._s = services

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s, name)

    def close(self) -> None:
        pass


def test_cli_search_matches_the_matrix(demo: Demo, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ragwarden.services.build_services", lambda settings: _Shared(demo.services))
    by_id = {v: k for k, v in demo.doc_ids.items()}
    for user in demo.users:
        for entry in demo.indexed:
            assert cli.main(["search", "--as", user, "--json", "--limit", "10", entry["query"]]) == 0
            found = {by_id[r["doc_id"]] for r in json.loads(capsys.readouterr().out)["results"]}
            assert all(oracle_allows(demo.directory, user, p) for p in found), (user, entry["query"], found)
            if oracle_allows(demo.directory, user, entry["path"]):
                assert entry["path"] in found, (user, entry["query"])


def test_cli_explain_names_the_deciding_token(demo: Demo, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ragwarden.services.build_services", lambda settings: _Shared(demo.services))
    for user in demo.users:
        for entry in demo.indexed[:12]:
            code = cli.main(["explain", "--as", user, entry["path"]])
            out = capsys.readouterr().out
            assert code == (0 if oracle_allows(demo.directory, user, entry["path"]) else 1), (user, out)
            assert ("ALLOWED" in out) == (code == 0)


def test_unknown_user_sees_nothing(demo: Demo, client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": demo.indexed[0]["query"]}, headers=headers("mallory"))
    assert r.status_code == 200 and r.json()["results"] == []


def test_corpus_files_exist(demo: Demo) -> None:
    for entry in demo.manifest:
        assert Path(corpus_root() / entry["path"]).is_file(), entry["path"]
