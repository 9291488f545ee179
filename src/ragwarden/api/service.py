"""``ragwarden serve`` and ``ragwarden worker``: the API and the scheduler in one process (the embedded
index has one owner), or the scheduler alone beside API processes that serve with ``--no-sync``.

Start-up reads and checks every declared source before anything starts: a bad sources file stops it
with one message, nothing half-started. The admin channel (a Unix socket) lets ``ingest``, ``sync``,
``sources``, ``verify`` and ``privacy`` on this machine hand their work to this process; a retention sweeper
enforces RAGWARDEN_RETENTION_* here, where the conversations and sessions live.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from typing import Any

from ragwarden.api.admin_channel import ChannelServer, build_channel_app, socket_path
from ragwarden.api.metrics import Activity
from ragwarden.core.errors import InvalidRequestError, NotFoundError
from ragwarden.ingestion.scheduler import Scheduler
from ragwarden.ingestion.source_records import PASS_ACL, PASS_CONTENT
from ragwarden.services import Services
from ragwarden.services.sources import build_scheduler, declared_sources, forget_source, spec_for_location
from ragwarden.services.status import source_status

log = logging.getLogger(__name__)


class SyncControl:
    """What the admin channel can ask of a running scheduler."""

    def __init__(self, services: Services, scheduler: Scheduler) -> None:
        self._services, self._scheduler = services, scheduler
        self._lock = threading.Lock()

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("kind", PASS_CONTENT)
        if kind not in (PASS_CONTENT, PASS_ACL):
            raise InvalidRequestError(f"unknown pass {kind!r}")
        if body.get("verify"):
            from ragwarden.services.verify import verify

            return verify(self._services, sample=body.get("sample"), source=body.get("source")).as_dict()
        if body.get("remove"):
            return self.remove(str(body["remove"]))
        if "location" in body:
            return self._ingest(str(body["location"]), body.get("name"))
        name = body.get("source")
        if not isinstance(name, str):
            raise InvalidRequestError("name a source or a location")
        return self._scheduler.request(name, kind, reason="cli").as_dict()

    def _ingest(self, location: str, name: str | None) -> dict[str, Any]:
        with self._lock:  # two ingests of one new folder record it once
            spec = spec_for_location(self._services, location, name)
            records = self._services.state.sources
            if records.get(spec.name) is None:
                from ragwarden.services.sources import registry_check

                registry_check(self._services, spec)
                records.declare(spec, origin="ingest")
            if spec.name not in {s.name for s in self._scheduler.specs()}:
                self._scheduler.add(spec, content_due=spec.content_interval, acl_due=spec.acl_interval)
        return self._scheduler.request(spec.name, PASS_CONTENT, reason="ingest").as_dict()

    def remove(self, name: str) -> dict[str, Any]:
        self._scheduler.remove(name)
        removed = forget_source(self._services, name)
        return {"state": "done", "removed": name, "documents": removed}

    def job(self, job_id: str) -> dict[str, Any] | None:
        job = self._scheduler.job(job_id)
        return job.as_dict() if job is not None else None

    def sources(self) -> list[dict[str, Any]]:
        return source_status(self._services.state, self._scheduler)

    def privacy(self, body: dict[str, Any]) -> dict[str, Any]:
        from ragwarden.services.privacy import handle

        return handle(self._services, body, "cli")


class RetentionSweeper:
    """Enforces the retention settings every ``RAGWARDEN_RETENTION_SWEEP`` in the serving process, where the
    conversations and sessions live (audit day files too, when ``RAGWARDEN_RETENTION_AUDIT`` is set)."""

    def __init__(self, services: Services) -> None:
        self._services, self._stop = services, threading.Event()
        self._thread = threading.Thread(target=self._run, name="ragwarden-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        from ragwarden.services.privacy import retention

        while not self._stop.wait(self._services.settings.retention_sweep):
            try:
                done = retention(self._services.settings, self._services)
                if done["audit_files"]:
                    log.warning("retention deleted the audit day files %s", ", ".join(done["audit_files"]))
                if done["audit_query_files"]:
                    log.info("retention deleted the query text files %s", ", ".join(done["audit_query_files"]))
            except Exception:  # noqa: BLE001 - the next sweep tries again; the log says why
                log.exception("enforcing retention failed")


class IdleFolder:
    """Folds fresh points into the index (``settle``) when no request has come for a moment, or after
    ``max_wait`` at the latest: a fold holds the interpreter, so a request arriving during one waits."""

    def __init__(self, services: Services, quiet: float = 2.0, max_wait: float = 120.0) -> None:
        self._settle, self._quiet, self._max_wait = services.settle_index, quiet, max_wait
        self._activity: Any = services.extras.setdefault("activity", Activity())
        self._due: float | None = None
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="ragwarden-fold", daemon=True)
        services.extras["settle"] = self.request  # syncs ask; this thread decides when
        services.extras["pace"] = self._activity.yield_to_requests  # syncs embed between requests

    def request(self) -> None:
        if self._due is None:
            self._due = time.monotonic() + self._max_wait
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            due = self._due
            if due is None or self._stop.is_set():
                continue
            if self._activity.idle_for() >= self._quiet or time.monotonic() >= due:
                self._due = None
                try:
                    self._settle()
                except Exception:  # noqa: BLE001 - the next sync asks again
                    log.exception("folding fresh points into the index failed")


class Background:
    """The scheduler, the admin channel and the idle folder of one process, started and stopped together."""

    def __init__(self, services: Services) -> None:
        specs = declared_sources(services)  # raises on a bad sources file, before anything starts
        self._services = services
        self.folder = IdleFolder(services)
        self.scheduler = build_scheduler(services, specs)
        self.channel = ChannelServer(
            socket_path(services.settings.data_dir), build_channel_app(SyncControl(services, self.scheduler))
        )

    def start(self) -> None:
        self.channel.start()
        self.folder.start()
        self.scheduler.start()
        # The first change to a source should not pay for the parsers' imports and the sync's model
        # (~3 s here): they load now, beside the first requests.
        threading.Thread(target=self._services.warm_up_syncs, name="ragwarden-warm-up", daemon=True).start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.folder.stop()
        self.channel.stop()


def serve(services: Services, *, sync: bool = True, log_level: str = "info") -> None:
    import uvicorn

    from ragwarden.api.app import create_app

    if sync:
        services.serve_beside_syncs()
        # A sync's pure-Python stretches (parsing, chunking) hold the interpreter; a search waiting for it
        # gets it after this interval rather than the default 5 ms, at every one of its hand-overs.
        sys.setswitchinterval(0.001)
    background = Background(services) if sync else None
    app = create_app(services)
    app.state.scheduler = background.scheduler if background else None
    sweeper = RetentionSweeper(services)  # --no-sync too: each API process holds its own conversations
    if background is not None:
        background.start()
    sweeper.start()
    try:
        uvicorn.run(app, host=services.settings.host, port=services.settings.port, log_level=log_level)
    finally:
        sweeper.stop()
        if background is not None:
            background.stop()


def run_worker(services: Services) -> None:
    """The scheduler without the API, until SIGINT or SIGTERM."""
    background = Background(services)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    background.start()
    log.warning("ragwarden worker: keeping %d sources in sync", len(background.scheduler.specs()))
    try:
        while not stop.wait(1.0):
            pass
    finally:
        background.stop()


__all__ = ["NotFoundError", "SyncControl", "run_worker", "serve"]
