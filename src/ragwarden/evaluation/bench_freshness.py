"""``ragwarden bench freshness``: how soon a change at the source is visible (or gone) in ``/v1/search``
of a real ``ragwarden serve``, while it answers a steady query load.

The corpus: ``--docs`` small text files, each with a made-up word of its own, in departments whose
``.acl.json`` admit one group each; one user per department. Corpus and first ingest (real embedder)
are cached under ``--cache-dir`` and copied per run, so a re-run does not ingest again (unless the
code that writes the index and the state changed since).

1. Change -> visible/gone, ``--changes`` times per kind, at random moments, under ``--rate`` searches/s:
   - *watch* (inotify; periodic passes 1 h apart, so only the watcher acts): a file's own sidecar
     revokes its department, another department is granted, a new file, a content edit (new word),
     a deletion. Target p95 <= 5 s.
   - *no watch*, permission-only passes every ``--acl-interval`` (same data, server restarted):
     revoke, grant, deletion. Target p95 <= acl_interval + 5 s.
2. ``/v1/search`` p95 while the watcher's content sync re-embeds ``--resync`` rewritten files,
   against its p95 idle, same server. Target ratio <= 1.5.
3. One changed document in a 100 000-chunk index searchable <= 5 s without a full HNSW rebuild, and
   its re-stamp: :func:`ragwarden.evaluation.index_freshness.measure_one_change` (``--index-points``;
   reported as not measured where that module is not installed).

4. With Samba installed (``--no-smb`` skips it, ``--smb-only`` measures just it): the same against a real
   Samba share with change notifications, users resolved through Samba AD: new file, content edit,
   deletion. Target p95 <= 10 s. Then ``smbcacls`` revocations without watch, permission passes every
   ``--smb-acl-interval``: target p95 <= that + 5 s. See :mod:`ragwarden.evaluation.bench_freshness_smb`
   (and why permission changes there come by the permission pass, whose length it prints).

Also printed: every pass the servers ran (from ``/metrics``), failed ones are a failed check. Exit
status 1 when a target is missed or a check fails.

This module runs the phases in order; the parts live beside it: the corpus and its cached ingest
(``bench_freshness_corpus``), the client and the query load (``bench_freshness_load``), the changes and
their measurement (``bench_freshness_phases``), the printed figures (``bench_freshness_report``).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import sys
import tempfile
from pathlib import Path

from ragwarden.evaluation.bench_freshness_corpus import CORPUS_VERSION, QUIET, Workspace
from ragwarden.evaluation.bench_freshness_load import QueryLoad
from ragwarden.evaluation.bench_freshness_phases import Changes, Results, changes_phase, run_server, sync_phase
from ragwarden.evaluation.bench_freshness_report import INDEX_TARGET_S, report
from ragwarden.testing.live_server import LiveServer

WATCH_KINDS = ("revoke", "grant", "new", "edit", "delete")
PASS_KINDS = ("revoke", "grant", "delete")
QUICK = {
    "docs": 200,
    "changes": 2,
    "acl_interval": 2.0,
    "idle_seconds": 5.0,
    "resync": 40,
    "index_points": 0,
    "smb": False,
}


def index_figure(points: int) -> tuple[str, bool | None, dict[str, float]]:
    """Figure 3, from :mod:`ragwarden.evaluation.index_freshness` where it is installed."""
    if points <= 0:
        return "not measured (--index-points 0)", None, {}
    try:
        from ragwarden.evaluation.index_freshness import measure_one_change
    except ModuleNotFoundError:
        return "not measured: ragwarden.evaluation.index_freshness is not installed", None, {}
    print(f"one changed document in a {points}-chunk index ...", flush=True)
    r = measure_one_change(points=points, say=lambda text: print(f"  {text}", flush=True))
    searchable, restamp = r.get("change_searchable_s", math.inf), r.get("restamp_visible_s", math.inf)
    folded, clean = bool(r.get("change_folded", 1.0)), bool(r.get("change_only_new_chunks", 0.0))
    ok = searchable <= INDEX_TARGET_S and restamp <= INDEX_TARGET_S and not folded and clean
    text = (
        f"{int(r.get('points', points)):,} chunks: searchable after {searchable:.3f} s "
        f"({'a fold ran' if folded else 'no HNSW rebuild'}"
        f"{'' if clean else ', OLD CHUNKS LEFT'}), re-stamp visible after {restamp:.3f} s"
    )
    return text, ok, r


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ragwarden bench freshness", description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--docs", type=int, default=10_000, help="documents in the corpus")
    add("--changes", type=int, default=20, help="changes measured per kind and mode")
    add("--rate", type=float, default=5.0, help="background searches per second")
    add("--acl-interval", type=float, default=10.0, help="seconds between permission passes without watch")
    add("--resync", type=int, help="files rewritten for the content sync of figure 2 (default: a quarter)")
    add("--idle-seconds", type=float, default=30.0, help="the idle window of figure 2")
    add("--index-points", type=int, default=100_000, help="figure 3's index size (0: not measured)")
    add("--cache-dir", type=Path, default=Path.home() / ".cache" / "ragwarden-bench")
    add("--no-cache", action="store_true", help="write and ingest the corpus afresh in a temporary folder")
    add("--json", type=Path, help="also write every sample to this file")
    smb_help = "measure an SMB share too (default: when Samba is installed)"
    add("--smb", action=argparse.BooleanOptionalAction, default=None, help=smb_help)
    add("--smb-acl-interval", type=float, default=30.0, help="seconds between the SMB share's permission passes")
    add("--smb-only", action="store_true", help="measure the SMB share only (no folder, no large index)")
    add("--quick", action="store_true", help="200 documents, 2 changes, short windows, no cache (the test)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    if "--quick" in (sys.argv[1:] if argv is None else argv):  # its defaults; options given still win
        parser.set_defaults(**QUICK, no_cache=True)
    args = parser.parse_args(argv)
    args.resync = args.resync or args.docs // 4
    if args.smb is None:
        from ragwarden.testing.samba.provision import samba_installed

        args.smb = samba_installed()
    if args.docs < 10 or args.changes < 1 or args.rate <= 0 or min(args.acl_interval, args.smb_acl_interval) <= 0:
        raise SystemExit("need --docs >= 10, --changes >= 1, --rate > 0 and --acl-interval, --smb-acl-interval > 0")
    if args.smb_only:
        if args.smb is False:
            raise SystemExit("--smb-only and --no-smb exclude each other")
        return run_smb_only(args)
    if not args.no_cache:
        base = args.cache_dir / f"freshness-v{CORPUS_VERSION}-{args.docs}"
        base.mkdir(parents=True, exist_ok=True)
        with (base / "lock").open("w") as lock:
            try:  # two runs would share run/ (it sits where the index says the source is)
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SystemExit(f"another `bench freshness` uses {base}: wait for it, or pass --no-cache") from None
            return run(args, Workspace(base, args.docs))
    with tempfile.TemporaryDirectory(prefix="ragwarden-bench-freshness-") as scratch:
        return run(args, Workspace(Path(scratch), args.docs))


def run_smb_only(args: argparse.Namespace) -> int:
    """The SMB figures alone (``--smb-only``): the share is written afresh, so no folder corpus is needed."""
    from ragwarden.evaluation.bench_freshness_smb import smb_phase

    args.smb, results = True, Results(ingest=None)
    with tempfile.TemporaryDirectory(prefix="ragwarden-bench-smb-") as scratch:
        smb_phase(args, results, Path(scratch))
    if args.json is not None:
        args.json.write_text(json.dumps(results.raw(), indent=1))
    return 0 if report(args, results) else 1


def run(args: argparse.Namespace, workspace: Workspace) -> int:
    results = Results(ingest=workspace.prepare(cache=not args.no_cache))
    changes = Changes(workspace.corpus)
    mode = f"no watch, acl {args.acl_interval:g} s"

    def watched(server: LiveServer, load: QueryLoad) -> None:
        changes_phase(server, "watch", WATCH_KINDS, changes, results, args.changes, (0.2, 1.0), 60.0)
        sync_phase(server, load, changes, args, results)

    def passes_only(server: LiveServer, _load: QueryLoad) -> None:
        pause, timeout = (0.0, args.acl_interval), args.acl_interval + 60
        changes_phase(server, mode, PASS_KINDS, changes, results, args.changes, pause, timeout)

    print(f"watch: {args.changes} x {', '.join(WATCH_KINDS)}, then a content sync of {args.resync} files", flush=True)
    run_server(workspace.server(watch=True, acl_interval=QUIET), "watch", args.docs, watched, args.rate, results)
    print(f"{mode}: {args.changes} x {', '.join(PASS_KINDS)}", flush=True)
    server = workspace.server(watch=False, acl_interval=f"{args.acl_interval:g}s")
    run_server(server, mode, args.docs, passes_only, args.rate, results)
    if args.smb:
        from ragwarden.evaluation.bench_freshness_smb import smb_phase

        with tempfile.TemporaryDirectory(prefix="ragwarden-bench-smb-") as scratch:
            smb_phase(args, results, Path(scratch))
    results.index = index_figure(args.index_points)
    if args.json is not None:
        args.json.write_text(json.dumps(results.raw(), indent=1))
    return 0 if report(args, results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
