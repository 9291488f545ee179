"""A GGUF chat model through transformers' GGUF loader (``transformers`` + ``gguf`` + ``accelerate``).

The loader de-quantizes the GGUF weights into a float32 PyTorch model: it loads slowly and generates
several times slower than llama.cpp on CPU (see :mod:`.embedded` and the answer benchmark), so it is
an option (``RAGWARDEN_LLM_LOADER=transformers``), kept for parity with the rest of the PyTorch stack.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from ragwarden.generation.embedded import default_threads, resolve_gguf_path
from ragwarden.generation.errors import BackendMissingError, LLMBusyError, ModelNotFoundError, PromptTooLongError
from ragwarden.generation.llm import ChatMessage

REQUIRED = ("transformers", "gguf", "accelerate", "torch")


class TransformersGGUFChatModel:
    """A GGUF model de-quantized into transformers; the GGUF's chat template applies."""

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        context_window: int | None = None,
        threads: int | None = None,
        lock_timeout: float = 60.0,
    ) -> None:
        missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
        if missing:
            raise BackendMissingError(
                f"RAGWARDEN_LLM_LOADER=transformers needs {', '.join(missing)}: "
                f"pip install {' '.join(missing)}"
            )
        self.model_path = resolve_gguf_path(model_path)
        self._requested_window = context_window
        self.threads = threads or default_threads()
        self._parts: tuple[Any, Any] | None = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()
        self.lock_timeout = lock_timeout  # as in the llama.cpp adapter: nobody waits without limit

    @property
    def model_id(self) -> str:
        return self.model_path.stem

    @property
    def context_window(self) -> int:
        _, model = self._load()
        trained = int(getattr(model.config, "max_position_embeddings", 2048))
        return min(self._requested_window or trained, trained)

    def count_tokens(self, text: str) -> int:
        tokenizer, _ = self._load()
        return len(tokenizer.encode(text, add_special_tokens=False))

    def load(self) -> None:
        self._load()

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model = self._load()
        inputs = tokenizer.apply_chat_template(
            [m.as_dict() for m in messages], add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        if inputs["input_ids"].shape[-1] + max_tokens > self.context_window:
            raise PromptTooLongError("the prompt does not fit the model's context window")
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        )
        if not self._generate_lock.acquire(timeout=self.lock_timeout):
            raise LLMBusyError(
                f"the model is busy with other answers (waited {self.lock_timeout:g} s); try again shortly",
                retry_after=self.lock_timeout,
            )
        try:
            # Closing the stream (the caller stopped reading) must stop generate() at the next token, not
            # let it run on to max_tokens holding the model: generate() asks this after every token.
            closed = threading.Event()
            worker = threading.Thread(
                target=model.generate,
                kwargs={
                    **inputs,
                    "streamer": streamer,
                    "max_new_tokens": max_tokens,
                    "stopping_criteria": StoppingCriteriaList([_StopWhenSet(closed)]),
                    **sampling,
                },
                daemon=True,
            )
            worker.start()
            try:
                for text in streamer:
                    if text:
                        yield text
            finally:
                closed.set()
                worker.join()
        finally:
            self._generate_lock.release()

    def _load(self) -> tuple[Any, Any]:
        if self._parts is None:
            with self._load_lock:
                if self._parts is None:
                    self._parts = self._build()
        return self._parts

    def _build(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        torch.set_num_threads(self.threads)
        hf_logging.disable_progress_bar()
        folder, name = str(self.model_path.parent), self.model_path.name
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
        except (ValueError, OSError) as exc:  # not a GGUF, truncated, an unknown architecture
            raise ModelNotFoundError(f"cannot load the GGUF model {self.model_path}: {exc}") from exc
        model.eval()
        return tokenizer, model


class _StopWhenSet:
    """A transformers stopping criterion: stop every sequence once ``event`` is set."""

    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self._event.is_set(), dtype=torch.bool, device=input_ids.device)
