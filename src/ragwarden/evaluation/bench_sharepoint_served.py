"""The served part of ``ragwarden bench sharepoint``: how long a permission revoked in SharePoint stays
findable in ``/v1/search`` of a real ``ragwarden serve``.

The server takes over the benchmark's data directory (the index the sync phases wrote, with the real
embedder) and keeps the site fresh from a sources file with the default schedule (or ``--acl-interval``),
its callers signed in with Entra tokens of the emulator's tenant and resolved through its Graph, with their
site groups. Each probe is revoked in the world at a random moment (spread over several permission-pass
cycles), then searched for by its user, once a second, until it is gone: the latency errs on the slow
side by up to about a second.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from ragwarden.evaluation.bench_freshness_load import Client
from ragwarden.evaluation.bench_sharepoint_tenant import Probe
from ragwarden.testing.live_server import LiveServer, wait_for
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import World, can_read, publish_directory

AUDIENCE = "api://ragwarden"
POLL_S = 1.0


@dataclass
class Served:
    """What the revocation phase measured."""

    latencies: dict[str, list[float]] = field(default_factory=dict)  # probe kind -> seconds until gone
    checks: list[tuple[str, bool]] = field(default_factory=list)
    passes: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)
    spread: float = 0.0
    ready: float = 0.0  # seconds until the server was ready and had run a pass
    calls: Counter[str] = field(default_factory=Counter)  # the requests of the server's passes, by kind
    units: float = 0.0  # the resource units they spent

    def check(self, name: str, ok: bool) -> None:
        self.checks.append((name, ok))


def write_sources(path: Path, name: str, location: str, options: dict[str, Any], acl_interval: float | None) -> None:
    entry: dict[str, Any] = {"name": name, "location": location, **options}
    if acl_interval is not None:
        entry["acl_interval"] = f"{acl_interval:g}s"
    path.write_text(yaml.safe_dump({"sources": [entry]}, sort_keys=False))


def server_env(ms: FakeMicrosoft, extra: dict[str, str]) -> dict[str, str]:
    """Callers sign in with Entra tokens of the emulator's tenant; people resolve through its Graph."""
    return {
        "RAGWARDEN_AUTH_MODE": "entra",
        "RAGWARDEN_ENTRA_TENANT_ID": ms.tenant_id,
        "RAGWARDEN_ENTRA_AUDIENCE": f'["{AUDIENCE}"]',
        "RAGWARDEN_ENTRA_CLIENT_ID": ms.client_id,
        "RAGWARDEN_ENTRA_CLIENT_SECRET": ms.client_secret,
        "RAGWARDEN_ENTRA_AUTHORITY_HOST": ms.authority_host,
        "RAGWARDEN_ENTRA_GRAPH_URL": ms.graph_url,
        "RAGWARDEN_ENTRA_CA_BUNDLE": str(ms.ca_file),
        **extra,
    }


class Searcher:
    """Searches as a world user with an Entra access token."""

    def __init__(self, server: LiveServer, ms: FakeMicrosoft) -> None:
        self._http = httpx.Client(base_url=server.url, timeout=120)
        self._ms = ms
        self._tokens: dict[str, str] = {}

    def shows(self, probe: Probe) -> bool:
        token = self._tokens.setdefault(probe.user, self._ms.issue(oid=probe.user, aud=AUDIENCE))
        response = self._http.post("/v1/search", headers={"Authorization": f"Bearer {token}"},
                                   json={"query": probe.word, "limit": 50})  # fmt: skip
        response.raise_for_status()
        return any(r["path"] == probe.path for r in response.json()["results"])

    def close(self) -> None:
        self._http.close()


def revocation_phase(server: LiveServer, ms: FakeMicrosoft, world: World, probes: list[Probe], interval: float,
                     seed: int = 0) -> Served:  # fmt: skip
    """Start ``server``, wait for its first pass, revoke every probe at a random moment, stop it."""
    served = Served()
    publish_directory(world, ms)
    started = time.monotonic()
    server.start(timeout=900)
    client, searcher = Client(server), Searcher(server, ms)
    try:
        wait_for(lambda: any(n for (_kind, outcome), (n, _s) in client.passes().items() if outcome == "success"),
                 900, 0.5)  # fmt: skip
        served.ready = time.monotonic() - started
        served.spread = max(interval, len(probes) / 6 * interval)
        _measure(served, world, searcher, probes, random.Random(seed), timeout=max(300.0, 3 * interval))
        served.passes = client.passes()
    finally:
        client.close()
        searcher.close()
        server.stop()
    failed = sum(n for (_kind, outcome), (n, _s) in served.passes.items() if outcome == "failure")
    served.check(f"the server ran no failed pass ({failed} failed; see {server.log_path})", not failed)
    return served


def _measure(served: Served, world: World, searcher: Searcher, probes: list[Probe], rng: random.Random,
             timeout: float) -> None:  # fmt: skip
    """Each probe revoked at a random moment within ``served.spread``; polled until gone (or ``timeout``)."""
    schedule = sorted(((rng.uniform(0, served.spread), n) for n in range(len(probes))), reverse=True)
    pending: dict[int, float] = {}  # probe -> when it was revoked
    origin = time.monotonic()
    while schedule or pending:
        while schedule and schedule[-1][0] <= time.monotonic() - origin:
            n = schedule.pop()[1]
            probe = probes[n]
            name = f"{probe.kind} {probe.path}"
            visible = searcher.shows(probe) and can_read(world, probe.user, probe.item_id)
            served.check(f"{name}: found by its user before the revocation", visible)
            if visible:
                probe.revoke()
                served.check(f"{name}: the oracle says the revocation takes it away",
                             not can_read(world, probe.user, probe.item_id))  # fmt: skip
                pending[n] = time.monotonic()
        for n, revoked in list(pending.items()):
            probe = probes[n]
            if not searcher.shows(probe):
                served.latencies.setdefault(probe.kind, []).append(time.monotonic() - revoked)
                del pending[n]
            elif time.monotonic() - revoked > timeout:
                served.latencies.setdefault(probe.kind, []).append(math.inf)
                served.check(f"{probe.kind} {probe.path}: gone within {timeout:g} s", False)
                del pending[n]
        time.sleep(POLL_S)
