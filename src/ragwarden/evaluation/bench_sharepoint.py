"""``ragwarden bench sharepoint``: what keeping a SharePoint Online site in sync costs, and how soon a revoked
permission leaves search, against the SharePoint emulator with Graph's latency (``--latency-ms`` per
request) and throttling (``--units-per-minute``, Microsoft's resource-unit limit per app and tenant; see
:mod:`ragwarden.evaluation.bench_sharepoint_tenant`).

The site has ``--items`` files: most in department folders, ``--descendants`` below one folder, and the
probes of figure 4. The connector is built from a sources-file entry through the registry (certificate
credential, msal, the emulator's CA) with ``units_per_minute`` set to the tenant's limit; the passes run
through ``services.sync`` with the real embedder (all-MiniLM on 2 cores embeds ~100 of these short texts a
second, so 10,000 files take minutes, not hours), wrapped to count its calls.

1. Initial sync of the site.
2. An incremental run after 1 % of the files were edited.
3. A permission-only change: a user granted on the folder with ``--descendants`` files below it (Graph's
   delta lists the folder alone; its files inherit). Embedder calls: 0.

   Each run starts with the limit unspent (runs are minutes apart). For each: wall time, requests by kind
   (the emulator's names: ``permissions`` counts each read, also inside ``$batch``; ``download`` is the
   pre-authenticated fetch after ``content``'s redirect), resource units spent, 429 answers, the seconds
   the connector waited (its own budget and ``Retry-After``), embedder calls and texts.
4. A real ``ragwarden serve`` takes over the index and keeps the site fresh on the default schedule (or
   ``--acl-interval``); ``--revocations`` times per kind a permission is revoked in the world at a random
   moment: a user's grant on a file, a user's grant on a folder (a file below it is probed), a user's
   membership of a site group granted on a file. Time until the file is gone from that user's
   ``/v1/search``: targets p95 <= acl_interval + 10 s where delta reports the change (the two grants),
   <= 2 min for every kind (without the permission reconcile, 24 h by default).

Exit status 1 when a target is missed or a check fails.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ragwarden.acl.principals import Emittable
from ragwarden.connectors import registry
from ragwarden.connectors.sharepoint.connector import SharePointConnector
from ragwarden.core.settings import load_settings
from ragwarden.core.sources.spec import DEFAULT_ACL_INTERVAL, SourceSpec
from ragwarden.evaluation.bench_freshness_report import median, p95
from ragwarden.evaluation.bench_sharepoint_served import Served, revocation_phase, server_env, write_sources
from ragwarden.evaluation.bench_sharepoint_tenant import KINDS, Layout, MeteredEmulator, populate
from ragwarden.ingestion.sync_report import SyncReport
from ragwarden.services import Services, build_embedder, build_services
from ragwarden.testing.fakes.embedding import CountingEmbedder
from ragwarden.testing.live_server import LiveServer
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import World

SOURCE = "team"
CERT_ENV = "RW_BENCH_SP_CERT"
TOKENS = Emittable(kinds=frozenset({"entra", "spgroup"}))
SLACK_S = 10.0
ANY_KIND_TARGET_S = 120.0
DELTA_KINDS = ("file grant", "folder grant")


@dataclass
class Phase:
    name: str
    seconds: float
    report: SyncReport
    calls: Counter[str]
    units: float
    waited: float  # seconds the connector held back: its own budget and the Retry-After it was given
    embed_calls: int
    embed_texts: int


class Tenant:
    """The Entra stand-in, the world, the metered emulator, and the data directory the passes share."""

    def __init__(self, root: Path, args: argparse.Namespace) -> None:
        for part in ("entra", "emulator"):
            (root / part).mkdir(parents=True, exist_ok=True)
        self.ms = FakeMicrosoft(root / "entra")
        self.world = World(tenant_id=self.ms.tenant_id, seed=args.seed)
        self.layout: Layout = populate(self.world, args.items, args.descendants, args.revocations)
        self.em = MeteredEmulator(root / "emulator", self.world, self.ms, units_per_minute=args.units_per_minute,
                                  latency=args.latency_ms / 1000, page_size=args.page_size)  # fmt: skip
        self.root, self.data = root, root / "data"
        self.directory = root / "directory.yaml"
        self.directory.write_text("users: {}\ngroups: {}\n")
        self.options = {
            "tenant_id": self.ms.tenant_id,
            "client_id": self.ms.client_id,
            "certificate_env": CERT_ENV,
            "units_per_minute": args.units_per_minute,
            "graph_url": self.em.graph_url,
            "authority_host": self.ms.authority_host,
            "ca_bundle": str(self.em.ca_file),
        }

    def connector(self, max_file_bytes: int) -> SharePointConnector:
        spec = SourceSpec(SOURCE, self.em.source_url, "sharepoint", options=self.options)
        environ = {CERT_ENV: str(self.ms.client_cert_file)}
        ctx = registry.ConnectorContext(max_file_bytes=max_file_bytes, environ=environ, state_dir=self.data)
        found = registry.build_connector(spec, ctx)
        assert isinstance(found, SharePointConnector)
        return found

    def server(self, acl_interval: float | None) -> LiveServer:
        sources = self.root / "sources.yaml"
        write_sources(sources, SOURCE, self.em.source_url, self.options, acl_interval)
        env = server_env(self.ms, {CERT_ENV: str(self.ms.client_cert_file)})
        return LiveServer(self.data, self.directory, sources, env_extra=env)

    def close(self) -> None:
        self.em.stop()
        self.ms.stop()


def sync_phase(name: str, tenant: Tenant, services: Services, embedder: CountingEmbedder) -> Phase:
    tenant.em.budget.forget()  # runs are minutes apart: each starts with the limit unspent
    calls, units = Counter(tenant.em.counts), tenant.em.budget.used
    made, texts = embedder.calls, len(embedder.texts)
    print(f"{name} ...", flush=True)
    connector = tenant.connector(services.max_file_bytes)
    started = time.perf_counter()
    try:
        report = services.sync(connector)
    finally:
        waited = connector.client.pacer.waited
        connector.close()
    seconds = time.perf_counter() - started
    return Phase(name, seconds, report, Counter(tenant.em.counts) - calls, tenant.em.budget.used - units, waited,
                 embedder.calls - made, len(embedder.texts) - texts)  # fmt: skip


def sync_phases(tenant: Tenant, args: argparse.Namespace) -> tuple[list[Phase], int]:
    """Figures 1-3 in this process; (the phases, how many files the incremental run found edited)."""
    settings = load_settings(data_dir=tenant.data, directory_file=tenant.directory, proxy_secret="b" * 32)
    embedder = CountingEmbedder(inner=build_embedder(settings))
    services = build_services(settings, embedder=embedder, principals=TOKENS)
    world, layout = tenant.world, tenant.layout
    try:
        phases = [sync_phase(f"1. initial sync of {args.items:,} files", tenant, services, embedder)]
        edited = random.Random(args.seed).sample(layout.editable, max(1, round(args.items / 100)))
        for item in edited:
            layout.edit(world, item)
        phases.append(sync_phase(f"2. incremental run, {len(edited):,} files (1 %) edited", tenant, services,
                                 embedder))  # fmt: skip
        world.grant(layout.big_folder, "user", world.add_user("neu"), "read")
        name = f"3. permission-only change on a folder with {args.descendants:,} files below it"
        phases.append(sync_phase(name, tenant, services, embedder))
    finally:
        services.close()
    return phases, len(edited)


def _calls(calls: Counter[str]) -> str:
    return ", ".join(f"{kind} {n:,}" for kind, n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])))


def print_phase(phase: Phase, budget: float) -> None:
    r = phase.report
    throttled = phase.calls["throttled"] + phase.calls["batch_throttled"]
    print(f"\n{phase.name}")
    print(f"   wall time {phase.seconds:,.1f} s: {r.summary}")
    answered = Counter({k: n for k, n in phase.calls.items() if k not in ("throttled", "batch_throttled")})
    print(f"   requests: {_calls(answered)}")
    print(f"   resource units {phase.units:,.0f} (limit {budget:,.0f}/min); {throttled:,} answered 429; "
          f"the connector waited {phase.waited:,.1f} s for its budget and Retry-After")  # fmt: skip
    print(f"   embedder: {phase.embed_calls:,} calls, {phase.embed_texts:,} texts")


def sync_checks(phases: list[Phase], args: argparse.Namespace, edited: int) -> list[tuple[str, bool]]:
    initial, incremental, acl_only = (p.report for p in phases)
    return [
        (f"initial sync indexed every file ({initial.added} added, {len(initial.failed)} failed)",
         initial.added == args.items and not initial.failed),
        (f"incremental run updated the {edited} edited files, nothing else ({incremental.summary})",
         incremental.updated == edited and not (incremental.added or incremental.deleted or incremental.failed)),
        (f"permission-only change re-stamped the {args.descendants} files ({acl_only.summary})",
         acl_only.restamped == args.descendants and not (acl_only.added or acl_only.updated or acl_only.failed)),
        (f"permission-only change: 0 embedder calls ({phases[2].embed_calls})", phases[2].embed_calls == 0),
        ("no download carried the Graph token", not sum(p.calls["download_with_bearer"] for p in phases)),
    ]  # fmt: skip


def print_revocations(served: Served, interval: float) -> list[bool]:
    print(f"\n4. permission revoked in SharePoint -> gone from /v1/search (acl_interval {interval:g} s, no reconcile; "
          f"{sum(map(len, served.latencies.values()))} revocations at random moments over {served.spread:.0f} s)")
    print(f"{'revocation':34} {'n':>3} {'median':>9} {'p95':>9} {'target':>10} {'result':>6}")
    verdicts = []
    every: list[float] = []
    for kind in KINDS:
        values = served.latencies.get(kind, [])
        every += values
        verdicts.append(_row(kind, values, interval + SLACK_S if kind in DELTA_KINDS else ANY_KIND_TARGET_S))
    verdicts.append(_row("every kind", every, ANY_KIND_TARGET_S))
    passes = [f"{kind} {outcome} {n} x {s / n:.2f} s" for (kind, outcome), (n, s) in sorted(served.passes.items()) if n]
    print(f"server ready and first pass done after {served.ready:.0f} s; passes: {'; '.join(passes) or 'none'}")
    print(f"the server's requests: {_calls(served.calls)}; {served.units:,.0f} resource units")
    return verdicts


def _row(label: str, values: list[float], target: float) -> bool:
    ok = bool(values) and p95(values) <= target
    goal, verdict = f"<= {target:g} s", "PASS" if ok else "FAIL"
    print(f"{label:34} {len(values):>3} {median(values):>7.1f} s {p95(values):>7.1f} s {goal:>10} {verdict:>6}")
    return ok


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ragwarden bench sharepoint", description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--items", type=int, default=10_000, help="files in the site")
    add("--descendants", type=int, default=1_000, help="files below the folder of the permission-only change")
    add("--revocations", type=int, default=5, help="revocations measured per kind")
    add("--latency-ms", type=float, default=20.0, help="milliseconds every Graph and SharePoint request takes")
    add("--units-per-minute", type=float, default=1_250.0,
        help="Graph's resource-unit limit per app and tenant (1,250: a tenant of up to 1,000 licences)")
    add("--acl-interval", type=float, help=f"seconds between the server's permission passes "
                                            f"(default: the default schedule's {DEFAULT_ACL_INTERVAL:g})")
    add("--page-size", type=int, default=200, help="items per delta page")
    add("--seed", type=int, default=7)
    add("--workdir", type=Path, help="keep the run's files here (default: a temporary folder)")
    return parser  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.items < 1 or args.descendants < 1 or args.revocations < 1 or args.units_per_minute < 100:
        raise SystemExit("need --items, --descendants and --revocations >= 1, and --units-per-minute >= 100")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return run(args, Path(tempfile.mkdtemp(prefix="bench-sharepoint-", dir=args.workdir)))
    with tempfile.TemporaryDirectory(prefix="ragwarden-bench-sharepoint-") as scratch:
        return run(args, Path(scratch))


def run(args: argparse.Namespace, root: Path) -> int:
    interval = args.acl_interval if args.acl_interval is not None else DEFAULT_ACL_INTERVAL
    tenant = Tenant(root, args)
    try:
        phases, edited = sync_phases(tenant, args)
        print(f"4. revocations: a real ragwarden serve on the site (acl_interval {interval:g} s) ...", flush=True)
        tenant.em.budget.forget()
        calls, units = Counter(tenant.em.counts), tenant.em.budget.used
        served = revocation_phase(tenant.server(args.acl_interval), tenant.ms, tenant.world, tenant.layout.probes,
                                  interval, args.seed)  # fmt: skip
        served.calls, served.units = Counter(tenant.em.counts) - calls, tenant.em.budget.used - units
    finally:
        tenant.close()
    print(f"\nsite: {args.items:,} files; every request {args.latency_ms:g} ms; Graph's limit "
          f"{args.units_per_minute:,.0f} resource units per minute; the real embedder")
    for phase in phases:
        print_phase(phase, args.units_per_minute)
    verdicts = print_revocations(served, interval)
    checks = sync_checks(phases, args, edited) + served.checks
    failed = [name for name, ok in checks if not ok]
    print(f"\nchecks: {len(checks) - len(failed)}/{len(checks)} passed")
    for name in failed:
        print(f"  FAILED: {name}")
    return 0 if all(verdicts) and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
