"""What ``ragwarden ingest``, ``sync``, ``sources`` and ``verify`` do: hand the job to the server that owns
the index when one runs for this data directory (its admin channel), else do it here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ragwarden.api.admin_channel import ChannelClient, socket_path
from ragwarden.cli.console import follow_job, print_sources, print_sync_report, print_verify, progress_bar
from ragwarden.core.errors import ConfigurationError, NotFoundError
from ragwarden.core.settings import Settings


def check_sources_file(settings: Settings) -> None:
    """A bad sources file stops start-up before anything is built (no model loaded, no port bound)."""
    if settings.sources_file is not None:
        from ragwarden.connectors.registry import scheme_options
        from ragwarden.core.sources import load_sources

        load_sources(Path(settings.sources_file), schemes=scheme_options())


class _NoDirectory:
    """Syncing resolves nobody: a source can be synced, verified or removed without a users directory."""

    def resolve(self, user: str) -> Any:
        raise ConfigurationError("this command resolves no users")

    def describe(self, token: str) -> str:
        return token


def _services(settings: Settings) -> Any:
    from ragwarden.services import build_services

    needs_none = settings.directory_file is None and not settings.ad_host
    return build_services(settings, directory=_NoDirectory()) if needs_none else build_services(settings)


def _client(settings: Settings) -> ChannelClient | None:
    client = ChannelClient(socket_path(settings.data_dir))
    return client if client.available() else None


def _handover(client: ChannelClient, body: dict[str, Any], label: str) -> int:
    job = client.submit(body)
    print(f"ragwarden: the running server syncs {job['source']} (job {job['id']})", file=sys.stderr)
    follow_job(client, job, label)
    return 0


def ingest(settings: Settings, location: str, name: str | None) -> int:
    """Sync a folder or share now; the source is recorded, so a server started later keeps it fresh."""
    client = _client(settings)
    if client is not None:
        return _handover(client, {"location": location} | ({"name": name} if name else {}), "ingest")
    from ragwarden.services.sources import SourcePasses, registry_check, spec_for_location

    services = _services(settings)
    try:
        spec = spec_for_location(services, location, name)
        if services.state.sources.get(spec.name) is None:
            registry_check(services, spec)
            services.state.sources.declare(spec, origin="ingest")
        report = SourcePasses(services).run(spec, "content", progress_bar("ingest"))
    finally:
        services.close()
    print_sync_report(report)
    return 0


def sync_source(settings: Settings, name: str, kind: str) -> int:
    """Run a pass of a recorded source now."""
    client = _client(settings)
    if client is not None:
        return _handover(client, {"source": name, "kind": kind}, f"sync {name}")
    from ragwarden.services.sources import SourcePasses

    services = _services(settings)
    try:
        record = services.state.sources.get(name)
        if record is None:
            raise NotFoundError(f"no source named {name!r} (see `ragwarden sources`)")
        report = SourcePasses(services).run(record.spec, kind, progress_bar(f"sync {name}"))
    finally:
        services.close()
    print_sync_report(report)
    return 0


def list_sources(settings: Settings, *, as_json: bool) -> int:
    client = _client(settings)
    if client is not None:
        rows = client.sources()
    else:  # the records alone: no index, no model
        from ragwarden.ingestion.state import StateStore
        from ragwarden.services.status import source_status

        state = StateStore(settings.state_path)
        try:
            rows = source_status(state)
        finally:
            state.close()
    if as_json:
        print(json.dumps({"sources": rows}, ensure_ascii=False, indent=2))
    else:
        print_sources(rows)
    return 0


def remove_source(settings: Settings, name: str) -> int:
    client = _client(settings)
    if client is not None:
        result = client.submit({"remove": name})
    else:
        from ragwarden.services.sources import forget_source

        services = _services(settings)
        try:
            result = {"documents": forget_source(services, name)}
        finally:
            services.close()
    print(f"removed source {name} and its {result['documents']} documents")
    return 0


def run_verify(settings: Settings, *, sample: int | None, source: str | None, as_json: bool) -> int:
    """Re-read the ACLs of indexed documents at their source; exit 1 on any drift."""
    client = _client(settings)
    if client is not None:
        result = client.submit({"verify": True, "sample": sample, "source": source})
    else:
        from ragwarden.services.verify import verify

        services = _services(settings)
        try:
            result = verify(services, sample=sample, source=source).as_dict()
        finally:
            services.close()
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_verify(result)
    return 1 if result["drift"] else 0
