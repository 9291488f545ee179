"""``GET /metrics`` in Prometheus' text format (prometheus-client), for loopback callers or the bearer
token of ``RAGWARDEN_METRICS_TOKEN``: never public.

Source gauges are read from the records at scrape time (``*_last_success_timestamp_seconds``, the age
of the permissions behind answers, documents, failures); sync durations, request latencies and
401/403/503 counts are recorded as they happen.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragwarden.api.auth import is_loopback
from ragwarden.api.loopback import FORWARDING_HEADERS
from ragwarden.core.errors import DirectoryUnavailableError
from ragwarden.services import Services

TIMED_PATHS = {"/v1/search": "search", "/v1/answer": "answer", "/v1/documents": "document"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class SourcesCollector:
    """Per-source gauges, computed from the records on every scrape."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self._services.state
        now = datetime.now(UTC)
        last = GaugeMetricFamily(
            "ragwarden_source_last_success_timestamp_seconds",
            "End of the last successful pass, per source and pass (content, acl)",
            labels=["source", "pass"],
        )
        age = GaugeMetricFamily(
            "ragwarden_source_permissions_age_seconds", "Age of the permissions the index holds", labels=["source"]
        )
        stale = GaugeMetricFamily("ragwarden_source_stale", "1 while the source is withheld", labels=["source"])
        docs = GaugeMetricFamily("ragwarden_source_documents", "Documents in the index", labels=["source"])
        chunks = GaugeMetricFamily("ragwarden_source_chunks", "Chunks in the index", labels=["source"])
        failed = GaugeMetricFamily("ragwarden_source_failed_items", "Items not indexed", labels=["source"])
        failing = GaugeMetricFamily(
            "ragwarden_source_consecutive_failures", "Failed passes since the last success", labels=["source"]
        )
        counts, failures = state.source_counts(), state.failure_counts()
        for record in state.sources.all():
            name = record.spec.name
            for kind, when in (("content", record.content_ok), ("acl", record.acl_ok)):
                if when is not None:
                    last.add_metric([name, kind], when.timestamp())
            acl_age = record.acl_age(now)
            if acl_age is not None:
                age.add_metric([name], acl_age)
            stale.add_metric([name], 0.0 if record.is_fresh(now) else 1.0)
            docs.add_metric([name], counts.get(name, (0, 0))[0])
            chunks.add_metric([name], counts.get(name, (0, 0))[1])
            failed.add_metric([name], failures.get(name, 0))
            failing.add_metric([name], record.failures)
        yield from (last, age, stale, docs, chunks, failed, failing)


class Metrics:
    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(SourcesCollector(services))
        self.sync_seconds = Histogram(
            "ragwarden_sync_duration_seconds",
            "Duration of sync passes",
            ["source", "pass", "outcome"],
            registry=self.registry,
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
        )
        self.latency = Histogram(
            "ragwarden_request_duration_seconds",
            "Search, answer and document latency",
            ["endpoint"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.responses = Counter(
            "ragwarden_http_responses", "HTTP responses by status", ["status"], registry=self.registry
        )
        self.resolver_errors = Counter(
            "ragwarden_resolver_errors", "Callers whose groups could not be resolved", registry=self.registry
        )
        services.extras["pass_observer"] = self.observe_pass

    def observe_pass(self, source: str, kind: str, seconds: float, ok: bool) -> None:
        self.sync_seconds.labels(source, kind, "success" if ok else "failure").observe(seconds)


#: Chunks a sync embeds at a time while requests come in (≈ 50 ms on 2 cores), and when it is quiet.
BUSY_SLICE, QUIET_SLICE = 4, 64
QUIET_SECONDS = 2.0


class Activity:
    """When the last search, answer or document read arrived: the server folds fresh index points in
    while nobody is asking (an Edge fold holds the interpreter, every request would wait)."""

    def __init__(self) -> None:
        self.last = float("-inf")
        self.in_flight = 0  # changed on the event loop only; read from sync threads

    def touch(self) -> None:
        self.last = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.in_flight else time.monotonic() - self.last

    def yield_to_requests(self, longest: float = 1.0) -> int:
        """A sync's pace: wait (at most ``longest``) while searches or answers are being served, then
        say how many chunks to embed before looking again: a query's embedding waits for the slice under
        way (the model takes one batch at a time), so slices are small while requests come in."""
        deadline = time.monotonic() + longest
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.005)
        return BUSY_SLICE if self.idle_for() < QUIET_SECONDS else QUIET_SLICE


class MetricsMiddleware:
    """Times the search, answer and document endpoints and counts responses by status."""

    def __init__(self, app: ASGIApp, metrics: Metrics, activity: Activity) -> None:
        self.app, self.metrics, self.activity = app, metrics, activity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        endpoint = next((name for prefix, name in TIMED_PATHS.items() if path.startswith(prefix)), None)
        if endpoint is not None:
            self.activity.touch()
            self.activity.in_flight += 1
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.responses.labels(str(status["code"])).inc()
            if endpoint is not None:
                self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
                self.activity.in_flight -= 1
                self.activity.touch()


def install_metrics(app: FastAPI, services: Services) -> Metrics:
    metrics = Metrics(services)
    activity = services.extras.setdefault("activity", Activity())
    app.add_middleware(MetricsMiddleware, metrics=metrics, activity=activity)
    token = services.settings.metrics_token

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def scrape(request: Request) -> Response:
        if not _may_scrape(request, token.get_secret_value() if token else None):
            return JSONResponse(
                {"error": "metrics are served to loopback callers or with the metrics bearer token"},
                status_code=403,
            )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def on_error(exc: Exception) -> None:
        if isinstance(exc, DirectoryUnavailableError):
            metrics.resolver_errors.inc()

    app.state.on_error = on_error
    return metrics


def _may_scrape(request: Request, token: str | None) -> bool:
    given = request.headers.get("authorization", "")
    if token and given.lower().startswith("bearer "):
        return hmac.compare_digest(given[7:].strip().encode(), token.encode())
    forwarded = any(h in request.headers for h in FORWARDING_HEADERS)  # a proxy on this host relays others
    peer = request.client.host if request.client else ""
    return not forwarded and is_loopback(peer)
