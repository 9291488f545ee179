"""Sources as a service: what is declared (the sources file, else what ``ingest`` recorded), how one
pass of a source runs and is recorded, and the scheduler that keeps them all fresh."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ragwarden.connectors import registry
from ragwarden.core.errors import ConfigurationError, NotFoundError
from ragwarden.core.ports import Connector
from ragwarden.core.sources import load_sources, parse_sources
from ragwarden.core.sources.spec import SourceSpec
from ragwarden.ingestion.scheduler import Scheduler
from ragwarden.ingestion.source_records import PASS_ACL, PASS_CHANGES, PASS_CONTENT
from ragwarden.ingestion.sync import ScopedConnector
from ragwarden.ingestion.sync_report import SyncReport

if TYPE_CHECKING:
    from ragwarden.services import Services

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Called after every pass: (source, kind, seconds, succeeded); the metrics hook in.
PassObserver = Callable[[str, str, float, bool], None]


def context(services: Services) -> registry.ConnectorContext:
    import os

    s = services.settings
    return registry.ConnectorContext(
        max_file_bytes=services.max_file_bytes,
        environ=dict(os.environ),
        smb_username=s.smb_username,
        smb_password=s.smb_password,
        smb_port=s.smb_port,
        smb_share_allow=tuple(s.smb_share_allow),
        state_dir=s.data_dir,
        sharepoint={
            "tenant_id": s.sharepoint_tenant_id or s.entra_tenant_id,
            "client_id": s.sharepoint_client_id,
            "certificate": s.sharepoint_certificate,
            "graph_url": s.sharepoint_graph_url,
            "authority_host": s.sharepoint_authority_host or s.entra_authority_host,
            "ca_bundle": s.sharepoint_ca_bundle,
        },
        sharepoint_server={
            "username": s.sharepoint_server_username,
            "password": s.sharepoint_server_password,
            "ca_bundle": s.sharepoint_server_ca_bundle,
        },
    )


def spec_for(connector: Connector) -> SourceSpec:
    """The record of a source first indexed by a one-off ``ingest``: its location, default schedule."""
    own = getattr(connector, "source_spec", None)
    if callable(own):  # a connector that knows how it was configured (sharepoint://)
        spec: SourceSpec = own()
        return spec
    root = getattr(connector, "root", None)
    if root is not None:
        return SourceSpec(name=connector.source, location=str(root), scheme="folder")
    uri = getattr(connector, "uri", None)
    if callable(uri):
        share_allow = sorted(getattr(connector, "share_allow", ()) or ())
        options = {"share_allow": share_allow} if share_allow else {}
        return SourceSpec(name=connector.source, location=str(uri("")), scheme="smb", options=options)
    raise ConfigurationError(f"source {connector.source}: cannot record where it lives")


def spec_for_location(services: Services, location: str, name: str | None = None) -> SourceSpec:
    """The spec of ``ragwarden ingest PATH|URL``: a recorded source of that location, else a new one."""
    from ragwarden.core.sources.spec import default_folder_source_name

    if "://" not in location:
        location = str(Path(location).expanduser().resolve())
    for record in services.state.sources.all():
        if record.spec.location == location and (name is None or record.spec.name == name):
            return record.spec
    if "://" not in location:
        name = name or default_folder_source_name(Path(location))
    elif name is None:
        name = _url_source_name(location)
    text = f"sources:\n  - name: {json.dumps(name)}\n    location: {json.dumps(location)}\n"
    return parse_sources(text, origin="ingest", schemes=registry.scheme_options())[0]


def _url_source_name(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    path = "-".join(p for p in unquote(parts.path).split("/") if p)
    raw = f"{parts.scheme}-{parts.hostname or ''}-{path}".lower()
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in raw)[:64].strip("-.") or parts.scheme


def record_pass(services: Services, name: str, kind: str, run: Callable[[], T]) -> T:
    """Run one pass and record it: success stamps the moment the permission read *started*."""
    started, clock = datetime.now(UTC), time.perf_counter()
    observer: PassObserver | None = services.extras.get("pass_observer")
    try:
        result = run()
    except Exception as exc:
        services.state.sources.failed(name, str(exc) or type(exc).__name__)
        if observer is not None:
            observer(name, kind, time.perf_counter() - clock, False)
        raise
    if kind != PASS_CHANGES:  # a pass over some paths says nothing about how fresh the rest is
        services.state.sources.succeeded(name, kind, started)
    gate = getattr(services.retriever, "gate", None)
    if gate is not None and hasattr(gate, "invalidate"):
        gate.invalidate()
    if observer is not None:
        observer(name, kind, time.perf_counter() - clock, True)
    return result


class SourcePasses:
    """The scheduler's :class:`~ragwarden.ingestion.scheduler.PassRunner`."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def connector(self, spec: SourceSpec) -> Connector:
        return registry.build_connector(spec, context(self._services))

    def run(
        self,
        spec: SourceSpec,
        kind: str,
        progress: Callable[[Iterable[Any]], Iterable[Any]],
        paths: Sequence[str] = (),
    ) -> SyncReport:
        services = self._services

        def one_pass() -> SyncReport:
            connector = self.connector(spec)
            try:
                engine = services.engine(progress)
                if kind == PASS_CHANGES:
                    return engine.sync(connector, within=paths)
                return engine.sync(connector) if kind == PASS_CONTENT else engine.sync_acls(connector)
            finally:
                close = getattr(connector, "close", None)
                if callable(close):
                    close()

        return record_pass(services, spec.name, kind, one_pass)

    def can_scope(self, spec: SourceSpec) -> bool:
        return isinstance(self.connector(spec), ScopedConnector)

    def watch(self, spec: SourceSpec, on_change: Callable[[Any], None]) -> Any:
        return registry.build_watcher(spec, self.connector(spec), on_change)


def declared_sources(services: Services) -> list[SourceSpec]:
    """The sources to keep fresh. With a sources file it is the declared truth: its sources are
    recorded, and recorded sources it does not name are marked undeclared (withheld, not scheduled)."""
    records = services.state.sources
    path = services.settings.sources_file
    if path is None:
        return [r.spec for r in records.all() if r.origin != "undeclared"]
    specs = load_sources(Path(path), schemes=registry.scheme_options())
    for spec in specs:
        registry_check(services, spec)
    names = {s.name for s in specs}
    for record in records.all():
        if record.spec.name not in names and record.origin != "undeclared":
            log.warning(
                "source %s is not in %s: withheld (forget it and its documents with `ragwarden sources remove %s`)",
                record.spec.name,
                path,
                record.spec.name,
            )
            records.declare(record.spec, origin="undeclared")
    for spec in specs:
        records.declare(spec, origin="file")
    return specs


def registry_check(services: Services, spec: SourceSpec) -> None:
    """A source whose connector cannot be built (bad URL, missing credentials) stops start-up. A folder
    that is missing now is not a configuration error: its passes fail and it goes stale (fail closed)."""
    if spec.scheme == "folder":
        return
    try:
        registry.build_connector(spec, context(services))
    except ConfigurationError as exc:
        where = f"{services.settings.sources_file}:{spec.line}: " if spec.line else ""
        raise ConfigurationError(f"{where}{exc}") from exc


def build_scheduler(services: Services, specs: list[SourceSpec]) -> Scheduler:
    passes = SourcePasses(services)
    nice = int(services.extras.get("sync_nice", 0))
    scheduler = Scheduler(passes, workers=services.settings.sync_workers, watch=passes.watch, nice=nice)
    now = datetime.now(UTC)
    for spec in specs:
        record = services.state.sources.get(spec.name)
        scheduler.add(
            spec,
            content_due=_due(record.content_ok if record else None, spec.content_interval, now),
            acl_due=_due(record.acl_ok if record else None, spec.acl_interval, now),
        )
    return scheduler


def _due(last: datetime | None, interval: float, now: datetime) -> float:
    if last is None:
        return 0.0
    return max(0.0, interval - (now - last).total_seconds())


def forget_source(services: Services, name: str) -> int:
    """``ragwarden sources remove NAME``: delete the source's documents and its record."""
    if services.state.sources.get(name) is None:
        raise NotFoundError(f"no source named {name!r}")
    doc_ids = sorted(services.state.documents(name))
    if doc_ids:
        services.index.delete_documents(doc_ids)
        services.state.remove(doc_ids)
    services.state.clear_failures(name, set())
    services.state.sources.forget(name)
    return len(doc_ids)


__all__ = ["PASS_ACL", "PASS_CONTENT", "build_scheduler", "declared_sources", "forget_source", "spec_for"]
