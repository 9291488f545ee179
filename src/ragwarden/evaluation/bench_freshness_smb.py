"""The SMB part of ``ragwarden bench freshness``: a real ``ragwarden serve`` watching a real Samba share
(SMB2 CHANGE_NOTIFY) whose users resolve through the same Samba AD, under the same query load.

The corpus is the folder benchmark's (same words, departments, one user per department), written over
SMB into department folders whose NTFS ACLs admit one AD group each, so the files inherit them. The
server's first content sync is the ingest (over SMB, real embedder); then, at random moments, a new
file, a content edit and a deletion are made with ``smbclient`` (their latency includes the client's
own start, about 0.1-0.3 s: the figure errs on the slow side). Target p95 <= 10 s.

Permission changes below the watched folder are not notified by Samba (4.17 reports security changes
for the watched folder's own entries only; Windows servers report them at any depth): on Samba they
reach search through the permission pass. So the server is then restarted on the same index without
``watch`` and with ``acl_interval`` ``--smb-acl-interval`` (30 s), and ``--changes`` ``smbcacls``
revocations are made at random moments of that period, under the same load: each is timed until the
file is gone from ``/v1/search``. Target p95 <= ``acl_interval`` + 5 s. A pass runs start to start and
reads each file at about the same moment of every pass, and it writes what it finds within a second
(:class:`~ragwarden.ingestion.permission_sync.Held`), so a revocation waits for the period, not the
period plus the pass. The passes' own length (from ``/metrics``) is printed too.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragwarden.evaluation.bench_freshness_corpus import DEPARTMENTS, PER_FOLDER, Corpus, word
from ragwarden.evaluation.bench_freshness_load import QueryLoad
from ragwarden.evaluation.bench_freshness_phases import Changes, Probe, Results, changes_phase, run_server
from ragwarden.testing.live_server import LiveServer
from ragwarden.testing.samba.share import FULL, INHERIT, READ, SHARE, ShareServer, file_server

SOURCE = "bench-smb"
ROOT = "bench"
MODE = "smb watch"
KINDS = ("new", "edit", "delete")
TARGET_S = 10.0
ACL_SLACK_S = 5.0


def acl_mode(interval: float) -> str:
    return f"smb no watch, acl {interval:g} s"


def group(dept: str) -> str:
    return f"bench-{dept}"


def _populate(s: ShareServer, corpus: Corpus, password: str) -> None:
    """AD groups and users, department folders with inheritable ACLs, then the files over SMB."""
    for dept in DEPARTMENTS:
        s.dc.samba_tool("group", "add", group(dept))
        s.dc.samba_tool("user", "add", f"u-{dept}", password)
        s.dc.samba_tool("group", "addmembers", group(dept), f"u-{dept}")
    s.mkdirs(SHARE, ROOT, *(f"{ROOT}/{d}" for d in DEPARTMENTS))
    for dept in DEPARTMENTS:  # before the subfolders exist: they and their files inherit it
        aces = [(s.admin_sid, "ALLOWED", INHERIT, FULL), (s.sid(group(dept)), "ALLOWED", INHERIT, READ)]
        s.cacls(SHARE, f"{ROOT}/{dept}", "--set", aces)
    folders = sorted({corpus.rel(n).rsplit("/", 1)[0] for n in range(corpus.docs)})
    s.mkdirs(SHARE, *(f"{ROOT}/{f}" for f in folders))
    pages = {f"{ROOT}/{corpus.rel(n)}": corpus.text(n) for n in range(corpus.docs)}
    s.write_files(SHARE, pages, per_call=PER_FOLDER * 5)


def _server(s: ShareServer, base: Path, acl_interval: str, watch: bool) -> LiveServer:
    sources = base / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: {SOURCE}\n    location: smb://{s.dc.ip}/{SHARE}/{ROOT}\n    watch: {str(watch).lower()}\n"
        f"    acl_interval: {acl_interval}\n    content_interval: 1h\n    max_acl_age: 2h\n"
        "    username_env: RW_BENCH_SMB_USER\n    password_env: RW_BENCH_SMB_PASSWORD\n"
        "    share_allow: [everyone]\n"
    )
    (base / "unused.yaml").write_text("users: {}\n")
    env = {
        "RW_BENCH_SMB_USER": "Administrator",
        "RW_BENCH_SMB_PASSWORD": s.dc.admin_password,
        "RAGWARDEN_AD_HOST": s.dc.ip,
        "RAGWARDEN_AD_BIND_USER": f"Administrator@{s.dc.realm.lower()}",
        "RAGWARDEN_AD_BIND_PASSWORD": s.dc.admin_password,
        "RAGWARDEN_AD_CA_CERT": str(s.dc.ca_file),
        "RAGWARDEN_AD_TLS_SERVER_NAME": s.dc.tls_server_name,
    }
    return LiveServer(base / "data", base / "unused.yaml", sources, env_extra=env)


def _changes(s: ShareServer, corpus: Corpus) -> Changes:
    """The folder benchmark's :class:`Changes`, made over SMB on the share."""
    class SmbChanges(Changes):
        def make(self, kind: str) -> tuple[Callable[[], object], Probe]:
            if kind == "new":
                self.created += 1
                dept, new = DEPARTMENTS[self.created % len(DEPARTMENTS)], word("zn", self.created)
                path = f"{dept}/p000/new{self.created:05d}.txt"
                text = f"{new}: a new page.\n"
                return lambda: s.write_files(SHARE, {f"{ROOT}/{path}": text}), Probe(f"u-{dept}", new, path, True, new)
            (n,) = self.take(1)
            dept, path, own, edit = corpus.dept(n), corpus.rel(n), word("zd", n), word("zk", n)
            if kind == "edit":
                text = f"{edit}: {corpus.text(n)}"
                probe = Probe(f"u-{dept}", edit, path, True, edit)
                return lambda: s.write_files(SHARE, {f"{ROOT}/{path}": text}), probe
            if kind == "delete":
                return lambda: s.smbclient(SHARE, [f'del "{ROOT}/{path}"']), Probe(f"u-{dept}", own, path, False)
            if kind == "revoke":
                aces = [(s.admin_sid, "ALLOWED", "0x0", "0x001f01ff")]
                return lambda: s.cacls(SHARE, f"{ROOT}/{path}", "--set", aces), Probe(f"u-{dept}", own, path, False)
            raise ValueError(kind)

    return SmbChanges(corpus)


def smb_phase(args: Any, results: Results, scratch: Path) -> None:
    """Measure the SMB figures into ``results``: latencies under :data:`MODE` (watched) and
    :func:`acl_mode` (revocations through the permission passes), and the passes' length."""
    corpus = Corpus(scratch / "unused", args.docs)  # only its names and texts: the files go to the share
    interval = args.smb_acl_interval
    with file_server() as s:
        print(f"SMB: writing {args.docs} documents to the Samba share ...", flush=True)
        started = time.monotonic()
        _populate(s, corpus, "Bench-" + secrets.token_urlsafe(12) + "-1a")
        print(f"  written in {time.monotonic() - started:.0f} s; the server's first sync ingests them", flush=True)
        changes = _changes(s, corpus)

        def watched(server: LiveServer, _load: QueryLoad) -> None:
            changes_phase(server, MODE, KINDS, changes, results, args.changes, (0.2, 1.0), 60.0)

        run_server(_server(s, scratch, "1h", watch=True), MODE, args.docs, watched, args.rate, results)
        mode = acl_mode(interval)
        print(f"{mode}: {args.changes} x revoke (smbcacls), at random moments of the period", flush=True)
        results.targets[mode] = interval + ACL_SLACK_S

        def passes_only(server: LiveServer, _load: QueryLoad) -> None:
            changes_phase(server, mode, ("revoke",), changes, results, args.changes, (0.0, interval), interval + 120)

        run_server(_server(s, scratch, f"{interval:g}s", watch=False), mode, args.docs, passes_only, args.rate, results)
        count, seconds = results.passes.get(mode, {}).get(("acl", "success"), (0, 0.0))
        results.smb_pass = (count, seconds / count if count else math.inf)
