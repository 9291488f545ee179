"""Terminal output for long runs: a progress bar and the sync report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from ragwarden.core.errors import RagwardenError
from ragwarden.ingestion.sync_report import SyncReport

T = TypeVar("T")


def progress_bar(label: str) -> Callable[[Iterable[T]], Iterable[T]]:
    """A tqdm bar on a terminal; silent when output is not a terminal (CI, pipes)."""

    def wrap(items: Iterable[T]) -> Iterator[T]:
        from tqdm import tqdm

        yield from tqdm(items, desc=label, unit="doc", disable=not sys.stderr.isatty())

    return wrap


def print_sync_report(report: SyncReport, *, file=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    print(f"{report.source}: {report.summary}", file=file)
    for item in report.failed:
        print(f"  not indexed: {item.source_uri}: {item.reason}", file=file)


def follow_job(client: Any, job: dict[str, Any], label: str) -> dict[str, Any]:
    """A progress bar for a job the server runs; prints its report like a local run would."""
    from tqdm import tqdm

    with tqdm(desc=label, unit="doc", disable=not sys.stderr.isatty()) as bar:

        def update(state: dict[str, Any]) -> None:
            bar.update(max(0, int(state.get("done", 0)) - bar.n))

        final: dict[str, Any] = client.follow(job["id"], update)
    if final["state"] == "failed":
        raise RagwardenError(f"{final['source']}: {final['kind']} sync failed: {final.get('error')}")
    print(f"{final['source']}: {final.get('summary', 'done')}")
    for item in final.get("failed", []):
        print(f"  not indexed: {item['source_uri']}: {item['reason']}")
    return final


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit} ago"
    return f"{seconds:.0f}s ago"


def print_sources(rows: list[dict[str, Any]], *, file=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    if not rows:
        print("No sources yet: `ragwarden ingest PATH`, or list them in a sources file (--sources).", file=file)
        return
    head = (
        f"{'SOURCE':20} {'STATE':10} {'DOCS':>7} {'CHUNKS':>8} {'PERMISSIONS':>14} {'CONTENT':>12} {'FAILED':>6}"
        "  LOCATION"
    )
    print(head, file=file)
    for r in rows:
        print(
            f"{r['name']:20} {r['state']:10} {r['documents']:>7} {r['chunks']:>8} "
            f"{_age(r['acl']['age_seconds']):>14} {_age(r['content']['age_seconds']):>12} "
            f"{r['failures']['items']:>6}  {r['location']}",
            file=file,
        )
        if r["failures"]["last_error"] and r["failures"]["consecutive"]:
            print(f"{'':20} last error: {r['failures']['last_error']}", file=file)


def print_verify(result: dict[str, Any], *, file=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    for line in result["drift"]:
        print(f"DRIFT {line['source']}: {line['doc']}: {line['problem']}", file=file)
    print(f"verified {result['checked']} documents in {len(result['sources'])} sources: "
          f"{len(result['drift'])} drift", file=file)


def print_licenses(*, as_json: bool, policy: str | None, file=sys.stdout) -> int:  # type: ignore[no-untyped-def]
    """``ragwarden licenses``: the inventory, and with an allow-list the components outside it (exit 1)."""
    import json
    from pathlib import Path

    from ragwarden.services import licenses

    components = [*licenses.shipped_models(), *licenses.runtime_packages()]
    problems = licenses.violations(components, licenses.load_policy(Path(policy))) if policy else []
    if as_json:
        print(json.dumps({"components": [c.as_dict() for c in components],
                          "outside_allow_list": [{"name": c.name, "why": why} for c, why in problems]},
                         indent=2), file=file)  # fmt: skip
    else:
        width = max(len(c.name) for c in components)
        for c in components:
            print(f"{c.kind:8} {c.name:{width}}  {c.version:14} {c.licence}", file=file)
        print(f"{len(components)} components ({sum(c.kind == 'model' for c in components)} models)", file=file)
    for c, why in problems:
        print(f"outside the allow-list: {c.name} {c.version}: {why}", file=sys.stderr)
    return 1 if problems else 0
