"""The qdrant-client side of ``ragwarden bench scale``: the same corpus and callers through
:class:`~ragwarden.retrieval.qdrant_index.QdrantServerIndex` in local mode, beside the Edge index of the
same size, and the collection settings the adapter sends (what a real server or cluster would receive).

No Qdrant server can be fetched here, so local mode stands in: it accepts the request and drops the
quantization and shard settings (``get_collection`` answers without them), which is why the request is
recorded as sent rather than read back. Its latency is a Python scan and says nothing about a server;
what it shows is that the adapter's filter finds the same top-10 as the exact search.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

from ragwarden.evaluation.bench_scale_data import Company, Say, open_cached_scale, scale_path
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.index_tuning import ServerTuning


class RecordingClient:
    """A QdrantClient that remembers the ``create_collection`` arguments it forwards."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.created: dict[str, Any] = {}

    def create_collection(self, collection_name: str, **kwargs: Any) -> Any:
        self.created = dict(kwargs)
        return self._client.create_collection(collection_name, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def sent_settings(created: dict[str, Any]) -> list[str]:
    """The scale-relevant part of the recorded request, one line each."""
    dense = next(iter(created["vectors_config"].values()))
    quantization = created.get("quantization_config")
    scalar = getattr(quantization, "scalar", None)
    hnsw = created["hnsw_config"]
    int8 = f"scalar {scalar.type.value} quantile {scalar.quantile} always_ram={scalar.always_ram}" if scalar else "none"
    return [
        f"shard_number={created.get('shard_number')}",
        f"quantization={int8}",
        f"dense vectors on_disk={dense.on_disk}, HNSW m={hnsw.m} ef_construct={hnsw.ef_construct} "
        f"on_disk={hnsw.on_disk}",
    ]


def _client_index(company: Company, n: int, tuning: ServerTuning) -> tuple[Any, RecordingClient]:
    from qdrant_client import QdrantClient

    from ragwarden.retrieval.qdrant_index import QdrantServerIndex

    client = RecordingClient(QdrantClient(":memory:"))
    index = QdrantServerIndex(client, tuning=tuning)
    index.ensure_collection(company.dim)
    for chunks in company.chunks(n):
        index.upsert(chunks)
    return index, client


def compare(
    args: argparse.Namespace, company: Company, callers: dict[str, list[int]], tuning: ServerTuning, say: Say
) -> None:
    """Edge and the qdrant-client adapter (local mode) at ``args.client_points``, same callers."""
    from ragwarden.evaluation.bench_scale import ground_truth, measure, serving_tuning

    n = args.client_points
    edge_tuning = serving_tuning(args)
    open_cached_scale(company, n, edge_tuning, args.data_dir, say)
    path = scale_path(company, n, edge_tuning, args.data_dir)
    everyone = [c for numbers in callers.values() for c in numbers]
    truth = dict(zip(everyone, ground_truth(company, n, everyone, None), strict=True))
    started = time.perf_counter()
    local, client = _client_index(company, n, tuning)
    say(
        f"qdrant-client adapter at {n:,} points, {len(everyone)} callers (local mode: loaded in "
        f"{time.perf_counter() - started:.0f} s); the collection as the adapter asks a server for it:"
    )
    for line in sent_settings(client.created):
        say(f"    {line}")
    try:
        with warnings.catch_warnings():  # local mode says, per query, that it ignores the search params
            warnings.simplefilter("ignore", UserWarning)
            rows = [("qdrant-client local", measure(local, company, callers, truth))]
    finally:
        local.close()
    edge = QdrantEdgeIndex(path, tuning=edge_tuning)
    try:
        rows.append(("qdrant-edge", measure(edge, company, callers, truth)))
    finally:
        edge.close()
    for name, classes in rows:
        for c in classes:
            say(
                f"    {name:<20} {c.name:<7} p50 {c.p50_ms:8.2f} ms   p95 {c.p95_ms:8.2f} ms   "
                f"recall@10 {c.recall:.3f}   CPU {c.cpu_ms:7.2f} ms/query"
            )
