"""``ragwarden bench answer-api``: end-to-end ``/v1/answer`` latency on the demo corpus, split into
resolve / retrieve / prompt / first token / complete (medians and p95 over the demo's fact questions).

``--concurrent-answers N``: instead, search latency on a real HTTP server (uvicorn, loopback) idle and
while N answer streams are open against the real embedded model (see :mod:`.bench_answer_load`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from typing import Any

from ragwarden.evaluation.percentiles import p95 as _p95

STAGES = ("resolve_ms", "retrieve_ms", "prompt_ms", "first_token_ms", "total_ms")


def measure(client: Any, headers: dict[str, str], questions: list[str], repeats: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for _ in range(repeats):
        for question in questions:
            r = client.post("/v1/answer", json={"question": question}, headers=headers)
            r.raise_for_status()
            timings = r.json()["timings"]
            for stage in STAGES:
                if timings.get(stage) is not None:
                    samples[stage].append(float(timings[stage]))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench answer-api", description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--user", default="gesa", help="a demo user who may read the all-staff pages")
    parser.add_argument(
        "--concurrent-answers", type=int, default=0, metavar="N",
        help="measure search p95 idle vs while N answer streams are open (e.g. 50)",
    )
    parser.add_argument("--searches", type=int, default=40, help="search samples per phase (with --concurrent-answers)")
    args = parser.parse_args(argv)
    if args.concurrent_answers > 0:
        from ragwarden.evaluation.bench_answer_load import run

        return run(args.concurrent_answers, args.searches, args.user)
    from fastapi.testclient import TestClient

    from ragwarden.api.app import create_app
    from ragwarden.demo.loader import demo_settings, ingest_demo, load_manifest
    from ragwarden.services import build_services

    questions = [f["question"] for d in load_manifest() for f in d.get("facts", [])]
    with tempfile.TemporaryDirectory() as tmp:
        settings = demo_settings(tmp, expose_timings=True)  # it reads the answers' timings
        services = build_services(settings)
        try:
            ingest_demo(services)
            headers = {"X-Remote-User": args.user, "X-Proxy-Secret": settings.require_proxy_secret().get_secret_value()}
            with TestClient(create_app(services)) as client:
                client.post("/v1/answer", json={"question": questions[0]}, headers=headers)  # loads the model
                samples = measure(client, headers, questions, args.repeats)
        finally:
            services.close()
    print(f"/v1/answer on the demo corpus, {len(samples['total_ms'])} answers as {args.user}")
    print(f"{'stage':16} {'median ms':>10} {'p95 ms':>10}")
    for stage in STAGES:
        if samples[stage]:
            print(f"{stage:16} {statistics.median(samples[stage]):10.1f} {_p95(samples[stage]):10.1f}")
    return 0
