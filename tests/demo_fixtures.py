"""The demo corpus ingested once per session with the real parts (shipped model, Qdrant Edge)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ragwarden.demo.loader import demo_root, demo_settings, ingest_demo
from ragwarden.services import Services, build_services

PROXY_SECRET = "test-proxy-secret-0123456789"


@dataclass
class Demo:
    services: Services
    manifest: list[dict[str, Any]]
    directory: dict[str, Any]
    doc_ids: dict[str, str]  # manifest path -> doc id

    @property
    def users(self) -> list[str]:
        return sorted(self.directory["users"])

    @property
    def indexed(self) -> list[dict[str, Any]]:
        return [d for d in self.manifest if d["indexed"]]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("demo-data")
    settings = demo_settings(str(data_dir), proxy_secret=PROXY_SECRET)
    services = build_services(settings)
    ingest_demo(services)
    root = demo_root()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    directory = yaml.safe_load((root / "directory.yaml").read_text(encoding="utf-8"))
    doc_ids = {}
    for entry in manifest:
        found = list(services.state.find(entry["path"]))
        if found:
            doc_ids[entry["path"]] = found[0].doc_id
    yield Demo(services, manifest, directory, doc_ids)
    services.close()


def corpus_root() -> Path:
    return demo_root() / "corpus"
