"""SMB connector benchmark against a real Samba file server (its own AD DC with an ``acl_xattr`` share).

Writes ``--files`` small text files over SMB into folders of 100 whose ACLs (set with ``smbcacls``
before the files exist) the files inherit, then times, through the real sync engine into Qdrant Edge:

- a **full sync** into an empty index (parse, chunk, embed, write; SMB session setup included);
- an **incremental sync with no changes** (every file listed and its security descriptor read);
- an **ACL-only change**: ``smbcacls --propagate-inheritance`` adds (then removes, then adds ...) a
  group's entry on the folder above ``--restamp`` files, and the sync that re-stamps them is timed
  (the ``smbcacls`` run is not). The embedder must not be called.

    python -m ragwarden.evaluation.bench_smb [--files 2000] [--restamp 1000] [--embedder real|fake]

Target: the re-stamp sync of 1 000 files <= 10 s (every round). Exit status 1 when it is missed or a
check fails (counts, inherited entries, an embedder call during a re-stamp).
"""

from __future__ import annotations

import argparse
import math
import random
import secrets
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ragwarden.acl import tokens
from ragwarden.connectors.smb import SmbConnector
from ragwarden.core.models import AccessControl
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.parsing import parse
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.ingestion.sync_report import SyncReport
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.testing.fakes.embedding import CountingEmbedder, HashingEmbedder
from ragwarden.testing.samba.share import FULL, INHERIT, INHERITED_ACE, READ, SHARE, ShareServer, file_server

RESTAMP_TARGET_S = 10.0
PER_FOLDER = 100
MAX_BYTES = 50 * 1024 * 1024
CHUNK_TOKENS, CHUNK_OVERLAP, BATCH_CHUNKS = 200, 20, 256  # the settings' defaults, as `ragwarden ingest`
_WORDS = (
    "Urlaub Reisekosten Budget Quartal Vertrag Angebot Rechnung Projekt Freigabe Protokoll Server Backup "
    "vacation travel budget quarter contract offer invoice project approval minutes server backup team"
).split()


@dataclass
class Tree:
    """The benchmark's folders on the share: ``projekt`` (the files re-stamped) and ``archiv`` (the rest)."""

    root: str
    files: int
    restamp: int
    paths: list[str] = field(default_factory=list)

    def build(self, server: ShareServer, readers: str) -> None:
        counts = {"projekt": self.restamp, "archiv": self.files - self.restamp}
        folders = [self.root] + [f"{self.root}/{top}" for top in counts]
        server.mkdirs(SHARE, *folders)
        for top in counts:  # before any file exists: the files inherit it when they are created
            aces = [(server.admin_sid, "ALLOWED", INHERIT, FULL), (readers, "ALLOWED", INHERIT, READ)]
            server.cacls(SHARE, f"{self.root}/{top}", "--set", aces)
        files: dict[str, str] = {}
        for top, count in counts.items():
            subfolders = [f"{self.root}/{top}/d{n:02d}" for n in range(math.ceil(count / PER_FOLDER))]
            if subfolders:
                server.mkdirs(SHARE, *subfolders)
            for n in range(count):
                files[f"{subfolders[n // PER_FOLDER]}/f{n:04d}.txt"] = _text(top, n)
        server.write_files(SHARE, files)
        self.paths = list(files)


def _text(top: str, n: int) -> str:
    rng = random.Random(f"{top}{n}")
    sentences = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 16))) for _ in range(rng.randint(2, 5))]
    return f"{top} {n}\n\n" + ".\n".join(sentences) + ".\n"


class Bench:
    def __init__(self, server: ShareServer, args: argparse.Namespace, data: Path, embedder: CountingEmbedder) -> None:
        self.server, self.args, self.data, self.embedder = server, args, data, embedder
        self.tree = Tree(f"bench-{secrets.token_hex(3)}", args.files, args.restamp)
        self.readers = server.domain_sid + "-513"  # Domain Users
        self.checks: list[tuple[str, bool]] = []
        self.restamp_calls = 0
        self.processor = DocumentProcessor(Chunker(CHUNK_TOKENS, CHUNK_OVERLAP), MAX_BYTES)
        # warm up before any clock runs: the parser's imports and the model's first batch are one-off costs
        parse(b"warm up", "warm.txt", max_bytes=MAX_BYTES)
        embedder.inner.embed_batch(["warm up"])

    def connector(self) -> SmbConnector:
        return SmbConnector(
            self.server.dc.ip,
            SHARE,
            self.tree.root,
            username="Administrator",
            password=self.server.dc.admin_password,
            max_file_size=MAX_BYTES,
            share_allow=["everyone"],  # the test share's permissions admit Everyone
        )

    def sync(self, engine: SyncEngine) -> SyncReport:
        connector = self.connector()  # a new SMB session per run, as a scheduled `ragwarden ingest`
        try:
            return engine.sync(connector)
        finally:
            connector.close()

    def check(self, name: str, ok: bool) -> None:
        self.checks.append((name, ok))

    def engine(self, name: str) -> tuple[SyncEngine, StateStore, QdrantEdgeIndex]:
        index = QdrantEdgeIndex(self.data / name / "index")
        state = StateStore(self.data / name / "state.sqlite3")
        return SyncEngine(index, self.embedder, state, self.processor, batch_chunks=BATCH_CHUNKS), state, index

    def full(self, repeat: int) -> tuple[list[float], SyncEngine, StateStore, QdrantEdgeIndex]:
        seconds: list[float] = []
        for n in range(repeat):
            engine, state, index = self.engine(f"full-{n}")
            report = self.sync(engine)
            seconds.append(report.seconds)
            self.check(f"full sync {n + 1}: {report.summary}", report.added == self.args.files and not report.failed)
            if n < repeat - 1:
                index.close()
                state.close()
        return seconds, engine, state, index

    def unchanged(self, engine: SyncEngine, repeat: int) -> list[float]:
        seconds = []
        for n in range(repeat):
            report = self.sync(engine)
            seconds.append(report.seconds)
            ok = report.unchanged == self.args.files and report.restamped + report.added + report.updated == 0
            self.check(f"incremental sync {n + 1}: {report.summary}", ok and not report.failed)
        return seconds

    def restamps(self, engine: SyncEngine, state: StateStore, group: str, repeat: int) -> list[float]:
        seconds = []
        for n in range(repeat):
            grant = n % 2 == 0  # add the group's entry, then take it away again, ...
            op = "--add" if grant else "--delete"
            self.server.cacls(
                SHARE, f"{self.tree.root}/projekt", op, [(group, "ALLOWED", INHERIT, READ)], propagate=True
            )
            calls = self.embedder.calls
            report = self.sync(engine)
            seconds.append(report.seconds)
            self.restamp_calls += self.embedder.calls - calls
            ok = report.restamped == self.args.restamp and report.unchanged == self.args.files - self.args.restamp
            self.check(f"re-stamp {n + 1} ({op[2:]}): {report.summary}", ok and not report.failed)
            self.check(f"re-stamp {n + 1}: embedder calls {self.embedder.calls - calls}", self.embedder.calls == calls)
            self.check_acls(state, group if grant else None)
        return seconds

    def check_acls(self, state: StateStore, granted: str | None) -> None:
        """The index's ACLs are the inherited ones: folder readers (+ the granted group under projekt)."""
        docs = state.documents(self.connector().source)
        base = {tokens.sid(self.server.admin_sid), tokens.sid(self.readers)}

        def expected(path: str) -> AccessControl:
            extra = {tokens.sid(granted)} if granted and path.startswith("projekt/") else set()
            return AccessControl(allow=frozenset(base | extra))

        wrong = [d.path for d in docs.values() if d.acl != expected(d.path)]
        ok = not wrong and len(docs) == self.args.files
        self.check(f"indexed ACLs as inherited ({len(docs)} documents, {len(wrong)} wrong)", ok)
        for path in (self.tree.paths[0], self.tree.paths[-1]):  # the server's own view of two files
            self.check_server_acl(path.removeprefix(self.tree.root + "/"), granted)

    def check_server_acl(self, path: str, granted: str | None) -> None:
        """The file's entries are its folder's: Samba writes the ones inherited at creation without the
        INHERITED flag, ``--propagate-inheritance`` adds flagged copies next to them (same SIDs and masks)."""
        entries = self.server.acl(SHARE, f"{self.tree.root}/{path}")
        want = {(self.server.admin_sid, int(FULL, 16)), (self.readers, int(READ, 16))}
        if granted and path.startswith("projekt/"):
            want.add((granted, int(READ, 16)))
        have = {(sid, mask) for sid, kind, _, mask in entries if kind == "0"}  # 0: ACCESS_ALLOWED
        flagged = all(flags & INHERITED_ACE for sid, _, flags, _ in entries if sid == granted)
        self.check(f"server ACL of {path}: {len(entries)} entries, the folder's", have == want and flagged)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench_smb", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="small text files on the share")
    parser.add_argument("--restamp", type=int, default=1000, help="files whose inherited ACL changes")
    parser.add_argument("--embedder", choices=("real", "fake"), default="real")
    parser.add_argument("--data-dir", type=Path, help="index and checkpoint folder (default: a temporary one)")
    parser.add_argument("--full-repeat", type=int, default=1, help="full syncs, each into an empty index")
    parser.add_argument("--repeat", type=int, default=3, help="incremental syncs and ACL changes")
    return parser


def _row(name: str, seconds: Sequence[float], files: int, target: str = "", ok: bool | None = None) -> str:
    median = statistics.median(seconds)
    verdict = "" if ok is None else ("PASS" if ok else "FAIL")
    return (
        f"{name:34} {len(seconds):>3} {median:>9.2f} s {max(seconds):>8.2f} s "
        f"{files / median:>10.0f} {target:>9} {verdict:>6}"
    )


def _report(bench: Bench, full: list[float], quiet: list[float], restamp: list[float]) -> bool:
    args = bench.args
    restamp_ok = max(restamp) <= RESTAMP_TARGET_S
    print(f"\n{'measure':34} {'n':>3} {'median':>11} {'max':>10} {'files/s':>10} {'target':>9} {'result':>6}")
    print(_row(f"full sync, {args.files} files", full, args.files))
    print(_row("incremental sync, no changes", quiet, args.files))
    print(
        _row(
            f"ACL-only change, {args.restamp} re-stamped",
            restamp,
            args.restamp,
            f"<= {RESTAMP_TARGET_S:g} s",
            restamp_ok,
        )
    )
    print(f"embedder calls during the re-stamp syncs: {bench.restamp_calls}")
    failed = [name for name, ok in bench.checks if not ok]
    print(f"checks: {len(bench.checks) - len(failed)}/{len(bench.checks)} passed")
    for name in failed:
        print(f"  FAILED: {name}")
    return restamp_ok and not failed


def _embedder(kind: str) -> CountingEmbedder:
    if kind == "fake":
        return CountingEmbedder(inner=HashingEmbedder())
    from ragwarden.ingestion.embedding import SentenceTransformerEmbedder

    return CountingEmbedder(inner=SentenceTransformerEmbedder())


def run(args: argparse.Namespace, data: Path) -> int:
    embedder = _embedder(args.embedder)
    print(f"embedder: {embedder.model_id}; starting a Samba AD DC with a file share ...")
    with file_server() as server:
        bench = Bench(server, args, data, embedder)
        group = f"{bench.tree.root}-projekt"
        server.dc.samba_tool("group", "add", group)
        bench.tree.build(server, bench.readers)
        print(
            f"//{server.dc.ip}/{SHARE}/{bench.tree.root}: {args.files} files written over SMB, "
            f"{args.restamp} below projekt/"
        )
        full, engine, state, index = bench.full(args.full_repeat)
        try:
            bench.check_acls(state, None)
            quiet = bench.unchanged(engine, args.repeat)
            restamp = bench.restamps(engine, state, server.sid(group), args.repeat)
        finally:
            index.close()
            state.close()
    return 0 if _report(bench, full, quiet, restamp) else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 0 < args.restamp <= args.files or args.repeat < 1 or args.full_repeat < 1:
        raise SystemExit("need 0 < --restamp <= --files and repeats >= 1")
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        return run(args, Path(tempfile.mkdtemp(prefix="bench-smb-", dir=args.data_dir)))
    with tempfile.TemporaryDirectory(prefix="ragwarden-bench-smb-") as scratch:
        return run(args, Path(scratch))


if __name__ == "__main__":
    raise SystemExit(main())
