"""Query vectors through ONNX Runtime: the same vectors as PyTorch (short, long past the model's window,
batched with padding), exported once per model into the cache directory, and refused -- queries staying on
PyTorch -- whenever the two would disagree. The services use it with ``RAGWARDEN_QUERY_BACKEND=onnx``, not with
``torch``, and with ``auto`` (the default) beside a float32 embedder only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragwarden.core.settings import Settings
from ragwarden.ingestion import onnx_query
from ragwarden.ingestion.embedding import SentenceTransformerEmbedder
from ragwarden.ingestion.onnx_query import OnnxQueryModel, onnx_query_model
from ragwarden.ingestion.query_embedding import QueryEmbedder
from ragwarden.services import query_embedder
from ragwarden.testing.fakes.embedding import HashingEmbedder

# PyTorch's own vectors are within this of float32 ones (0.9999 in float32; bfloat16 on CPUs with it).
ALIKE = 0.995

TEXTS = [
    "Urlaub",
    "Wie viele Urlaubstage kann ich ins nächste Jahr übertragen?",
    "backup retention " * 200,  # past the model's 256 tokens: truncated the same way
    "Müller-Lüdenscheidt GmbH & Co. KG, §4 Abs. 2",
]


@pytest.fixture(scope="session")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def fast(real_embedder: SentenceTransformerEmbedder, onnx_dir: Path) -> OnnxQueryModel:
    model = onnx_query_model(real_embedder, onnx_dir, 1)
    assert model is not None
    return model


def _cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    x, y = np.asarray(a), np.asarray(b)
    return (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))


def test_the_vectors_are_pytorchs_alone_and_batched(
    real_embedder: SentenceTransformerEmbedder, fast: OnnxQueryModel
) -> None:
    reference = real_embedder.embed_batch(TEXTS)
    assert _cosines(reference, fast.embed_batch(TEXTS)).min() >= ALIKE
    alone = [fast.embed_batch([t])[0] for t in TEXTS]
    assert _cosines(reference, alone).min() >= ALIKE
    assert np.allclose(np.linalg.norm(np.asarray(alone), axis=1), 1.0, atol=1e-5)


def test_it_is_exported_once_per_model(
    real_embedder: SentenceTransformerEmbedder, fast: OnnxQueryModel, onnx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (exported,) = (onnx_dir / "onnx").glob("*.onnx")
    before = exported.stat().st_mtime_ns

    def no_export(*_: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_query, "_export", no_export)
    assert onnx_query_model(real_embedder, onnx_dir, 1) is not None
    assert exported.stat().st_mtime_ns == before
    assert not [p for p in (onnx_dir / "onnx").iterdir() if p != exported]  # no scratch left behind


def test_vectors_that_disagree_keep_queries_on_pytorch(
    real_embedder: SentenceTransformerEmbedder, fast: OnnxQueryModel, onnx_dir: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.setattr(onnx_query, "MIN_COSINE", 1.0001)  # nothing can agree this well
    monkeypatch.setattr(onnx_query, "MIN_COSINE_BF16", 1.0001)
    assert onnx_query_model(real_embedder, onnx_dir, 1) is None
    assert "stay on PyTorch" in caplog.text


def test_a_broken_export_keeps_queries_on_pytorch(
    real_embedder: SentenceTransformerEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    def failing(*_: object) -> None:
        raise RuntimeError("exporter changed")

    monkeypatch.setattr(onnx_query, "_export", failing)
    assert onnx_query_model(real_embedder, tmp_path, 1) is None
    assert "exporter changed" in caplog.text
    assert not list((tmp_path / "onnx").glob("*.onnx"))


def test_the_services_choose_it_by_the_setting(real_embedder: SentenceTransformerEmbedder, onnx_dir: Path) -> None:
    chosen = query_embedder(real_embedder, Settings(cache_dir=onnx_dir, query_backend="onnx"))
    assert isinstance(chosen, QueryEmbedder) and chosen.fast is not None
    assert _cosines(real_embedder.embed_batch(["VPN"]), chosen.embed_batch(["VPN"])).min() >= ALIKE
    plain = query_embedder(real_embedder, Settings(cache_dir=onnx_dir, query_backend="torch"))
    assert isinstance(plain, QueryEmbedder) and plain.fast is None
    auto = query_embedder(real_embedder, Settings(cache_dir=onnx_dir))  # auto: ONNX beside float32 only
    assert isinstance(auto, QueryEmbedder) and (auto.fast is not None) == (real_embedder.precision == "float32")
    float32 = query_embedder(SentenceTransformerEmbedder(precision="float32"), Settings(cache_dir=onnx_dir))
    assert isinstance(float32, QueryEmbedder) and float32.fast is not None
    double = query_embedder(HashingEmbedder(), Settings(cache_dir=onnx_dir))  # a test double: nothing to export
    assert isinstance(double, QueryEmbedder) and double.fast is None


def test_beside_a_float32_embedder_they_agree_to_four_decimals(onnx_dir: Path) -> None:
    embedder = SentenceTransformerEmbedder(precision="float32")
    fast = onnx_query_model(embedder, onnx_dir, 1)
    assert fast is not None
    assert _cosines(embedder.embed_batch(TEXTS), fast.embed_batch(TEXTS)).min() >= 0.9999
