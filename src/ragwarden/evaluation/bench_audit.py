"""``ragwarden bench audit``: what the audit log costs a search, and how fast ``audit verify`` reads it.

1. ``/v1/search`` over real HTTP (uvicorn, loopback) on the demo corpus, from two apps over the same services
   in the same run: one auditing (the default: every record fsynced before the response), one with
   ``RAGWARDEN_AUDIT=off``. Requests alternate between the two, so both see the same machine; medians, p95
   and their ratio (target: p95 with auditing ≤ 1.2 × without).
2. ``audit verify`` on ``--records`` records (default 1 000 000) written directly with the log's writer over
   ten days (each a full page of ten documents, as a search records), in records per second.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ragwarden.evaluation.percentiles import p95 as _p95

TARGET_RATIO = 1.2


def search_overhead(services: Any, searches: int) -> dict[str, Any]:
    """Medians and p95 of ``/v1/search`` from an app over ``services`` (auditing as configured) and one over
    the same services with auditing off, the requests alternating between them."""
    from ragwarden.api.app import create_app
    from ragwarden.audit.sink import AuditOff
    from ragwarden.demo.loader import load_manifest
    from ragwarden.evaluation.bench_page import serve

    users = [u for u, _ in services.listed_users()]
    queries = [d["query"] for d in load_manifest() if d.get("query")]
    plan = [(users[i % len(users)], queries[i % len(queries)]) for i in range(searches)]
    off = dataclasses.replace(services, audit=AuditOff())
    secret = services.settings.require_proxy_secret().get_secret_value()
    with serve(create_app(services)) as on_url, serve(create_app(off)) as off_url:
        times = _alternating({"on": on_url, "off": off_url}, plan, secret)
    return {k: {"median": statistics.median(v), "p95": _p95(v), "count": len(v)} for k, v in times.items()}


def _alternating(urls: dict[str, str], plan: list[tuple[str, str]], secret: str) -> dict[str, list[float]]:
    """Each search of ``plan`` against every app, the order flipped each time; the first ten warm up."""
    import httpx

    times: dict[str, list[float]] = {name: [] for name in urls}
    with httpx.Client(timeout=60) as client:
        warm = plan[:10]
        for n, (user, query) in enumerate([*warm, *plan]):
            for name in sorted(urls, reverse=bool(n % 2)):
                started = time.perf_counter()
                r = client.post(urls[name] + "/v1/search", json={"query": query, "limit": 10},
                                headers={"X-Remote-User": user, "X-Proxy-Secret": secret})
                r.raise_for_status()
                if n >= len(warm):
                    times[name].append((time.perf_counter() - started) * 1000)
    return times


def verify_throughput(records: int, directory: Path) -> dict[str, float]:
    from ragwarden.audit.log import ChainedLog
    from ragwarden.audit.verify import verify_log

    chain = ChainedLog(directory)
    start = datetime.now(UTC) - timedelta(days=10)
    per_day, batch = -(-records // 10), 1000
    written = 0
    began = time.perf_counter()
    for day in range(10):
        when = start + timedelta(days=day)
        for first in range(0, min(per_day, records - written), batch):
            count = min(batch, per_day - first, records - written)
            chain.append_many([_body(written + i, when) for i in range(count)], when)
            written += count
    write_s = time.perf_counter() - began
    began = time.perf_counter()
    report = verify_log(directory)
    verify_s = time.perf_counter() - began
    if not report.intact or report.records != records:
        raise RuntimeError(f"the generated log does not verify: {report.problems[:5]}")
    size = sum(p.stat().st_size for p in directory.glob("audit-*.jsonl"))
    return {"records": records, "write_s": write_s, "verify_s": verify_s, "per_s": records / verify_s,
            "bytes_per_record": size / records}


def _body(n: int, when: datetime) -> dict[str, Any]:
    caller = f"{n % 997:064x}"
    docs = [{"doc_id": f"{(n * 7 + k) % 50_000:032x}", "points": [f"{n:08x}-{k:04x}-4000-8000-{k:012x}"],
             "acl_version": f"{k:016x}", "grants": [{"reader": caller, "allow": "group:staff", "share": None}]}
            for k in range(10)]
    return {"type": "access", "time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "interface": "rest",
            "action": "search", "caller": caller, "documents": docs}


def report(search: dict[str, Any], verified: dict[str, float]) -> tuple[str, bool]:
    on, off = search["on"], search["off"]
    ratio = on["p95"] / off["p95"]
    lines = [
        f"/v1/search, {on['count']} per app     median      p95",
        f"  auditing on (fsync)   {on['median']:8.1f} ms {on['p95']:8.1f} ms",
        f"  auditing off          {off['median']:8.1f} ms {off['p95']:8.1f} ms",
        f"  p95 ratio on/off      {ratio:.2f}x (target ≤ {TARGET_RATIO}x); median ratio "
        f"{on['median'] / off['median']:.2f}x",
        f"audit verify: {verified['records']:,} records ({verified['bytes_per_record']:.0f} bytes each) in "
        f"{verified['verify_s']:.1f} s = {verified['per_s']:,.0f} records/s (written in {verified['write_s']:.1f} s)",
    ]
    ok = ratio <= TARGET_RATIO
    lines.append("all targets met" if ok else "a target was missed")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench audit", description=__doc__)
    parser.add_argument("--searches", type=int, default=300, help="searches per app (default 300)")
    parser.add_argument("--records", type=int, default=1_000_000, help="records for the verify figure")
    args = parser.parse_args(argv)
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.services import build_services

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(demo_settings(str(Path(tmp) / "data")))
        try:
            ingest_demo(services)
            search = search_overhead(services, args.searches)
        finally:
            services.close()
        verified = verify_throughput(args.records, Path(tmp) / "verify")
    text, ok = report(search, verified)
    print(text)
    return 0 if ok else 1
