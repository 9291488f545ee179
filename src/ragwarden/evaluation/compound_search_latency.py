"""``/v1/search`` latency with and without German compound splitting, in one run.

    python -m ragwarden.evaluation.compound_search_latency [--rounds N]

Two servers over the demo corpus, each on its own fresh index: one built and queried with compound splitting
(the default), one without (as before). Every question of the quality benchmark's sets (German, English,
cross-lingual) is sent to both, each first in turn (the first of a pair is measurably slower), as the demo
users in turn, over real HTTP, so both see the same load and noise. The first round warms caches and is not
counted. Prints p50/p95 per server and the ratio; the target is p95 no more than 10 % above the unsplit one's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ragwarden.evaluation.bench_page import serve
from ragwarden.evaluation.bench_quality import load_questions

TARGET_RATIO = 1.10


def _server(stack: ExitStack, data_dir: Path, split: bool) -> tuple[str, dict[str, str], list[str]]:
    """A served app over a fresh demo index: its URL, the trusted-header secret and the demo users."""
    from ragwarden.acl.local_directory.resolver import LocalDirectory
    from ragwarden.api.app import create_app
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex
    from ragwarden.retrieval.hybrid import SearchPlan
    from ragwarden.retrieval.sparse import Bm25Encoder
    from ragwarden.services import build_services

    settings = demo_settings(str(data_dir), host="127.0.0.1")
    plan = SearchPlan(dense_floor=settings.search_dense_floor, sparse_floor=settings.search_sparse_floor)
    index = QdrantEdgeIndex(settings.index_path, settings.collection, plan=plan,
                            encoder=Bm25Encoder(split_compounds=split))  # fmt: skip
    services = build_services(settings, index=index)
    stack.callback(services.close)
    ingest_demo(services)
    assert isinstance(services.directory, LocalDirectory)
    url = stack.enter_context(serve(create_app(services)))
    return url, {"X-Proxy-Secret": settings.require_proxy_secret().get_secret_value()}, services.directory.users()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, -(-len(ordered) * 95 // 100) - 1)]


def measure(rounds: int) -> dict[str, list[float]]:
    """Milliseconds per ``/v1/search`` request, per server (``split``, ``unsplit``), warm-up round left out."""
    import httpx

    here = Path(__file__).parent
    queries = [q["question"] for q in load_questions() + load_questions(here / "questions_de.yaml")]
    times: dict[str, list[float]] = {"unsplit": [], "split": []}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:  # the servers close before their files go
        servers = {name: _server(stack, Path(tmp) / name, name == "split") for name in times}
        client: Any = stack.enter_context(httpx.Client(timeout=30))
        for n in range(rounds + 1):
            for i, query in enumerate(queries):
                order = list(servers.items())  # whichever server is asked first is slower here: take turns
                for name, (url, secret, users) in order if i % 2 else order[::-1]:
                    headers = {**secret, "X-Remote-User": users[i % len(users)]}
                    start = time.perf_counter()
                    client.post(f"{url}/v1/search", json={"query": query}, headers=headers).raise_for_status()
                    if n:
                        times[name].append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragwarden.evaluation.compound_search_latency", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds over the questions (after a warm-up)")
    args = parser.parse_args(argv)
    times = measure(args.rounds)
    for name, ms in times.items():
        print(f"{name:8} n={len(ms):4}  p50 {statistics.median(ms):7.1f} ms  p95 {_p95(ms):7.1f} ms")
    ratio = _p95(times["split"]) / _p95(times["unsplit"])
    p50 = statistics.median(times["split"]) / statistics.median(times["unsplit"])
    verdict = "ok" if ratio <= TARGET_RATIO else "over"
    print(f"split / unsplit: p50 x{p50:.3f}, p95 x{ratio:.3f} (target <= x{TARGET_RATIO}: {verdict})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
