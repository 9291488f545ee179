"""``ragwarden bench throughput``: how many searches per second ``/v1/search`` serves on this machine.

A real ``ragwarden serve`` (a child process, trusted-header auth, auditing on as by default) over the demo
corpus, with the demo directory grown to ``--users`` users (the demo's groups, in turn). Closed-loop
clients (1, 5, 20 by default) send a realistic stream (:mod:`throughput_load`): typed prefixes and
repeated FAQ questions, each as a random user, a page of 10 with facets. The same run starts the server
once per configuration: the query levers on (the defaults), then off (``RAGWARDEN_QUERY_CACHE_SIZE=0``,
``RAGWARDEN_QUERY_BATCHING=false``), so their ratio is measured side by side. Before the levels, a
warm-up stream (not counted) fills the query vector cache as a running server's would be.

The clients share this machine's cores with the server: ``--client`` picks what sends the requests (``stdlib``,
the lighter, by default; ``httpx``), and each level reports the CPU it took per request (``client ms``).

``--embedding`` adds the query-embedding cost in this process: ms per query at batch 1 and batched,
through ``SentenceTransformer.encode`` and through the direct forward pass the embedder now uses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from ragwarden.evaluation.throughput_load import Level, closed_loop, query_stream
from ragwarden.testing.live_server import PROXY_SECRET, LiveServer

CONFIGS: dict[str, dict[str, str]] = {
    "levers on": {},
    "levers off": {
        "RAGWARDEN_QUERY_CACHE_SIZE": "0",
        "RAGWARDEN_QUERY_BATCHING": "false",
        "RAGWARDEN_SEARCH_THREADS": "0",
        "RAGWARDEN_QUERY_BACKEND": "torch",
    },
    "torch queries": {"RAGWARDEN_QUERY_BACKEND": "torch"},
    "shared pool": {"RAGWARDEN_SEARCH_THREADS": "0"},
    "4 threads": {"RAGWARDEN_SEARCH_THREADS": "4"},
    "8 threads": {"RAGWARDEN_SEARCH_THREADS": "8"},
    "cache only": {"RAGWARDEN_QUERY_BATCHING": "false"},
    "batching only": {"RAGWARDEN_QUERY_CACHE_SIZE": "0"},
    "audit off": {"RAGWARDEN_AUDIT": "off"},
    "one filter": {"RAGWARDEN_INDEX_SPLIT_FILTERS": "false"},  # the ACL filter not cut by token
}


def grown_directory(target: Path, users: int) -> list[str]:
    """The demo directory with users ``u01``… added in the demo users' groups, in turn; all user names."""
    from ragwarden.demo.loader import demo_root

    directory = yaml.safe_load((demo_root() / "directory.yaml").read_text("utf-8"))
    demo = list(directory["users"].items())
    for i in range(max(0, users - len(demo))):
        _, entry = demo[i % len(demo)]
        directory["users"][f"u{i + 1:02d}"] = {"groups": list(entry.get("groups", []))}
    target.write_text(yaml.safe_dump(directory, allow_unicode=True), "utf-8")
    return list(directory["users"])


def ingest(data_dir: Path) -> None:
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.services import build_services

    services = build_services(demo_settings(str(data_dir)))
    try:
        ingest_demo(services)
    finally:
        services.close()


def queries() -> tuple[list[str], list[str]]:
    """Typed searches (the manifest's queries and the questions' first words) and FAQ questions."""
    from importlib import resources

    from ragwarden.demo.loader import load_manifest

    questions = yaml.safe_load((resources.files("ragwarden.evaluation") / "questions.yaml").read_text("utf-8"))
    faq = [q["question"] for q in questions]
    typed = [d["query"] for d in load_manifest() if d.get("query")] + [" ".join(q.split()[:4]) for q in faq]
    return typed, faq


def run_config(
    name: str,
    env: dict[str, str],
    run_dir: Path,
    users: list[str],
    levels: list[int],
    requests: int,
    client: str = "stdlib",
) -> list[Level]:
    server = LiveServer(run_dir / "data", run_dir / "directory.yaml", env_extra=env)
    server.start()
    try:
        headers = {u: {"X-Remote-User": u, "X-Proxy-Secret": PROXY_SECRET} for u in users}
        typed, faq = queries()
        closed_loop(server.url, headers, query_stream(typed, faq, users, requests, seed=0), 5, client)  # warm-up
        out = []
        for clients in levels:
            stream = query_stream(typed, faq, users, requests, seed=clients)
            out.append(closed_loop(server.url, headers, stream, clients, client))
            print(f"  {name}: {clients} clients done", flush=True)
        return out
    finally:
        server.stop()


def report(results: dict[str, list[Level]]) -> str:
    lines = [
        f"{'configuration':14} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'client ms':>9} {'errors':>6}"
    ]
    for name, levels in results.items():
        for level in levels:
            lines.append(
                f"{name:14} {level.clients:7d} {level.rate:8.1f} {level.p50:8.1f} {level.p95:8.1f} "
                f"{level.client_cpu_ms:9.2f} {level.errors:6d}"
            )
    names = list(results)
    if len(names) >= 2:
        base, other = results[names[0]], results[names[1]]
        for a, b in zip(base, other, strict=True):
            lines.append(
                f"{names[0]} / {names[1]} at {a.clients} clients: req/s {a.rate / max(b.rate, 1e-9):.2f}x, "
                f"p95 {a.p95 / max(b.p95, 1e-9):.2f}x"
            )
    return "\n".join(lines)


def embedding_costs(repeats: int = 50) -> str:
    """ms per query through ``encode``, the direct pass and ONNX Runtime, at batch 1, 8 and 32 (medians)."""
    import torch

    from ragwarden.core.runtime import prepare_process

    prepare_process()
    from ragwarden.ingestion.embedding import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    _, faq = queries()

    def encode(texts: list[str]) -> None:
        with torch.inference_mode():
            embedder.model.encode(texts, batch_size=64, normalize_embeddings=False, show_progress_bar=False)

    from ragwarden.ingestion.onnx_query import onnx_query_model

    fast = onnx_query_model(embedder, None, embedder.threads)
    lines = [f"query embedding ({embedder.precision}, {embedder.threads} threads): ms per query, median of {repeats}"]
    lines.append(f"{'batch':>5} {'encode':>8} {'direct':>8} {'onnx':>8} {'direct/onnx':>12}")
    for size in (1, 8, 32):
        texts = [faq[i % len(faq)] for i in range(size)]
        cost = [_median_ms(lambda t=texts: encode(t), repeats) / size]
        cost.append(_median_ms(lambda t=texts: embedder.embed_batch(t), repeats) / size)
        cost.append(_median_ms(lambda t=texts: fast.embed_batch(t), repeats) / size if fast else float("nan"))
        lines.append(f"{size:5d} {cost[0]:8.2f} {cost[1]:8.2f} {cost[2]:8.2f} {cost[1] / cost[2]:11.2f}x")
    return "\n".join(lines)


def _median_ms(call: object, repeats: int) -> float:
    assert callable(call)
    call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench throughput", description=__doc__)
    parser.add_argument("--clients", default="1,5,20", help="closed-loop client counts (default 1,5,20)")
    parser.add_argument("--requests", type=int, default=600, help="requests per level (default 600)")
    parser.add_argument("--users", type=int, default=50, help="users in the directory (default 50)")
    parser.add_argument("--configs", default="levers on,levers off", help=f"comma-separated, of: {', '.join(CONFIGS)}")
    parser.add_argument("--embedding", action="store_true", help="also the query-embedding cost per batch size")
    parser.add_argument(
        "--client",
        choices=["stdlib", "httpx"],
        default="stdlib",
        help="what sends the requests (default stdlib: http.client, ~0.4 ms CPU per request; httpx ~1.9 ms)",
    )
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",")]
    names = [n.strip() for n in args.configs.split(",")]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration {unknown[0]!r}; use {', '.join(CONFIGS)}")
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        users = grown_directory(run_dir / "directory.yaml", args.users)
        os.environ.setdefault("RAGWARDEN_PROXY_SECRET", PROXY_SECRET)
        ingest(run_dir / "data")
        results = {
            name: run_config(name, CONFIGS[name], run_dir, users, levels, args.requests, args.client) for name in names
        }
    print(
        f"/v1/search, demo corpus, {len(users)} users, trusted-header, facets on, auditing on, "
        f"{args.requests} requests per level, {args.client} client on the same cores (client ms: its CPU per "
        f"request); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(report(results))
    if args.embedding:
        print(embedding_costs())
    return 0
