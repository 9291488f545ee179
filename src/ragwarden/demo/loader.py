"""The bundled demo corpus and its directory: used by the demo, the benchmarks and the tests."""

from __future__ import annotations

import os
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from ragwarden.core.settings import Settings, load_settings
from ragwarden.ingestion.sync_report import SyncReport
from ragwarden.services import Progress, Services

DEMO_SOURCE = "demo"


def demo_root() -> Path:
    return Path(str(resources.files("ragwarden.demo")))


def demo_settings(data_dir: str | None = None, **overrides: Any) -> Settings:
    """Embedded defaults on the demo corpus (trusted-header unless ``auth_mode`` is given); the proxy
    secret is generated unless one is given."""
    overrides.setdefault("proxy_secret", os.environ.get("RAGWARDEN_PROXY_SECRET") or secrets.token_urlsafe(24))
    overrides.setdefault("auth_mode", "trusted-header")
    base = Path(data_dir) if data_dir else load_settings().data_dir / "demo"
    return load_settings(data_dir=base, directory_file=demo_root() / "directory.yaml", **overrides)


def ingest_demo(services: Services, progress: Progress | None = None) -> SyncReport:
    connector = services.folder_connector(demo_root() / "corpus", source=DEMO_SOURCE)
    return services.sync(connector, progress=progress)


def load_manifest() -> list[dict[str, Any]]:
    """The corpus manifest: per document its path, language, distinctive query, canary and facts."""
    import json

    manifest: list[dict[str, Any]] = json.loads((demo_root() / "manifest.json").read_text(encoding="utf-8"))
    return manifest
