"""The world of the live audit tests: a folder source whose ACLs make the granting token interesting, the
people who read it, and an audit directory on a filesystem of its own (a small tmpfs where this machine lets
us mount one) so that the tests can make it read-only or full under a running server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ragwarden.audit.keys import PseudonymKeys

DIRECTORY = """
users:
  hanna: {groups: [hr, staff, project]}
  bob: {groups: [staff]}
  ada: {groups: [it-admins]}
  olga: {groups: [auditors]}
groups:
  hr: {}
  staff: {}
  project: {}
  it-admins: {}
  auditors: {}
"""
# hanna holds both granting groups of the pay document: the record must name group:hr (the smaller) every time
PAY = ("lohn/lohnabrechnung.txt", "Die Lohnabrechnung kommt am Monatsende; Stichwort Wombatzuschlag.\n")
PAY_ACL = {"allow": ["group:staff", "group:hr"]}
# a share-restricted document: the record names the allow token and the share token
PLAN = ("projekt/plan.txt", "Der Projektplan Wombatbruecke endet im Maerz mit der Abnahme.\n")
PLAN_ACL = {"allow": ["group:staff"], "share": ["group:project"]}
CANARY = "Wombat"  # in every document's text: never in an audit answer


def write_corpus(root: Path) -> None:
    for (path, text), acl in ((PAY, PAY_ACL), (PLAN, PLAN_ACL)):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        (target.parent / ".acl.json").write_text(json.dumps(acl))


def mount_small_fs(path: Path, size: str = "2m") -> bool:
    """A tmpfs of its own at ``path`` (root with mount rights only); False where this cannot be done."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],  # noqa: S607
                          capture_output=True, check=False)
    return done.returncode == 0


def remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)  # noqa: S607


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False)  # noqa: S607


def records(audit_dir: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(audit_dir.glob("audit-*.jsonl")):
        out += [json.loads(line) for line in path.read_text().splitlines() if '"type":"access"' in line]
    return out


def pseudonym(key_dir: Path, principal: str) -> str | None:
    keys = PseudonymKeys(key_dir)
    try:
        return keys.existing(principal)
    finally:
        keys.close()


def grants_by_path(record: dict[str, Any], doc_ids: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """path → the record's grants for that document (only the documents of this world)."""
    paths = {v: k for k, v in doc_ids.items()}
    return {paths[d["doc_id"]]: d["grants"] for d in record["documents"] if d["doc_id"] in paths}


def fill(path: Path) -> Path:
    """Fill the filesystem holding ``path`` until it refuses another byte."""
    filler = path / "filler.bin"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def cleared(items: Iterator[Any]) -> None:
    for _ in items:
        pass
