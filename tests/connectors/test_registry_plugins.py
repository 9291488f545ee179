"""A third-party connector joins through the ``ragwarden.connectors`` entry-point group: an installed
distribution (a real ``.dist-info`` on ``sys.path``, found by ``importlib.metadata``) names a ``Scheme``, and
a sources file, ``ingest`` and search use it like a built-in one, permissions included."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.connectors import registry
from ragwarden.core.settings import Settings
from ragwarden.retrieval.documents import search_documents
from ragwarden.services import build_services
from ragwarden.services.sources import context, spec_for_location
from ragwarden.testing.fakes.embedding import CountingEmbedder

PLUGIN = '''
from ragwarden.connectors.registry import Scheme
from ragwarden.core.models import AccessControl
from ragwarden.testing.fakes.connector import MemoryConnector

DOCS = {
    "hr/gehalt.txt": (b"Die Gehaltsrunde 2026 bringt drei Prozent.", AccessControl(allow=frozenset({"group:hr"}))),
    "all/kantine.txt": (b"Die Kantine hat montags geschlossen.", AccessControl(allow=frozenset({"everyone"}))),
}

def build(spec, ctx):
    return MemoryConnector(DOCS, source=spec.name)

SCHEME = Scheme("memory", frozenset({"flavour"}), build)
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    site = tmp_path / "site"
    dist = site / "ragwarden_memory-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "ragwarden_memory.py").write_text(PLUGIN)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ragwarden-memory\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ragwarden.connectors]\nmemory = ragwarden_memory:SCHEME\n")
    monkeypatch.syspath_prepend(str(site))
    return "memory"


def test_an_installed_plugin_scheme_is_known_with_its_options(plugin: str) -> None:
    assert registry.schemes()[plugin].options == {"flavour"}
    assert registry.scheme_options()["folder"] == {"include_hidden"}  # the built-in ones stay


def test_a_plugin_source_is_ingested_and_searched_with_its_permissions(plugin: str, tmp_path: Path) -> None:
    directory = LocalDirectory.from_mapping({"users": {"hanna": {"groups": ["hr"]}, "tom": {}}, "groups": {"hr": {}}})
    settings = Settings(data_dir=tmp_path / "data")
    services = build_services(settings, embedder=CountingEmbedder(), directory=directory)
    try:
        spec = spec_for_location(services, "memory://payroll", name="payroll")
        assert spec.scheme == "memory"
        report = services.sync(registry.build_connector(spec, context(services)))
        assert report.failed == [] and report.added == 2
        hanna, tom = directory.resolve("hanna"), directory.resolve("tom")
        assert {r.path for r in search_documents(services.retriever, hanna, "Gehaltsrunde", 5)} >= {"hr/gehalt.txt"}
        assert "hr/gehalt.txt" not in {r.path for r in search_documents(services.retriever, tom, "Gehaltsrunde", 5)}
    finally:
        services.close()


def test_a_broken_plugin_does_not_stop_the_built_in_schemes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    dist = site / "broken_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ragwarden.connectors]\nbroken = no_such_module:SCHEME\n")
    monkeypatch.syspath_prepend(str(site))
    assert {"folder", "smb"} <= set(registry.schemes()) and "broken" not in registry.schemes()

