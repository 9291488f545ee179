"""An Ollama server as the chat model (production), through the official ``ollama`` client.

Never a hang: the HTTP client has a connect timeout and a read timeout (the longest silence allowed
between two streamed lines, which includes loading the model on the first request), and a stream is
cut after ``request_timeout`` seconds in total. Every failure becomes one of our errors:
unreachable server or timeout → :class:`LLMUnavailableError` / :class:`LLMTimeoutError` (503, retry),
unknown model → :class:`ModelNotFoundError` naming ``ollama pull <model>``.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ragwarden.generation.errors import (
    BackendMissingError,
    LLMTimeoutError,
    LLMUnavailableError,
    ModelNotFoundError,
)
from ragwarden.generation.llm import ChatMessage

DEFAULT_URL = "http://127.0.0.1:11434"
# Ollama has no tokenizer endpoint; ~3 characters per token over-counts English and German text a
# little, so the packed prompt stays inside the window.
CHARS_PER_TOKEN = 3.0


class OllamaChatModel:
    """Chat through ``POST /api/chat`` (streaming NDJSON) of an Ollama server."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str = DEFAULT_URL,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        request_timeout: float = 600.0,
        keep_alive: str | float | None = "5m",
        context_window: int = 8192,
        repeat_penalty: float = 1.0,
    ) -> None:
        if importlib.util.find_spec("ollama") is None:
            raise BackendMissingError("RAGWARDEN_LLM_BACKEND=ollama needs the ollama client: pip install ollama")
        if not model:
            raise ModelNotFoundError("RAGWARDEN_OLLAMA_MODEL is empty: name a model, e.g. llama3.2")
        import httpx
        import ollama

        self.model = model
        self.base_url = base_url.rstrip("/")
        self.request_timeout = request_timeout
        self.keep_alive = keep_alive
        self._window = context_window
        self.repeat_penalty = repeat_penalty
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout, write=read_timeout, pool=connect_timeout)
        self._client = ollama.Client(host=self.base_url, timeout=timeout)

    @property
    def model_id(self) -> str:
        return f"ollama:{self.model}"

    @property
    def context_window(self) -> int:
        return self._window

    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def check(self) -> None:
        """Fail fast at start-up: the server answers and has the model (``GET /api/tags``)."""
        with self._errors_mapped():
            listing = self._client.list()
        names = {m.model for m in listing.models if m.model}
        if _canonical(self.model) not in {_canonical(n) for n in names}:
            raise self._missing_model()

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float) -> Iterator[str]:
        deadline = time.monotonic() + self.request_timeout
        with self._errors_mapped():
            parts = self._client.chat(
                model=self.model,
                messages=[m.as_dict() for m in messages],
                stream=True,
                options={
                    "temperature": temperature,
                    "num_predict": max_tokens,
                    "num_ctx": self._window,
                    "repeat_penalty": self.repeat_penalty,
                },
                keep_alive=self.keep_alive,
            )
            try:
                for part in parts:
                    text = part.message.content if part.message else None
                    if text:
                        yield text
                    if time.monotonic() > deadline:
                        raise LLMTimeoutError(
                            f"Ollama at {self.base_url} did not finish within {self.request_timeout:g} s"
                        )
            finally:
                _close(parts)

    def close(self) -> None:
        self._client.close()

    def _missing_model(self) -> ModelNotFoundError:
        return ModelNotFoundError(
            f"model {self.model!r} is not available on the Ollama server at {self.base_url}: "
            f"run `ollama pull {self.model}` there, or set RAGWARDEN_OLLAMA_MODEL"
        )

    @contextmanager
    def _errors_mapped(self) -> Iterator[None]:
        """Translates the client's and httpx's exceptions into ragwarden errors."""
        try:
            yield
        except Exception as exc:
            mapped = _map_error(self, exc)
            if mapped is None:
                raise
            raise mapped from exc


def _map_error(model: OllamaChatModel, exc: BaseException) -> BaseException | None:
    import httpx
    import ollama

    where = f"the Ollama server at {model.base_url}"
    if isinstance(exc, ollama.ResponseError):
        if exc.status_code == 404 or "not found" in str(exc.error).lower():
            return model._missing_model()
        return LLMUnavailableError(f"{where} failed: {exc.error} (HTTP {exc.status_code})")
    if isinstance(exc, httpx.TimeoutException):
        return LLMTimeoutError(f"{where} did not answer in time ({type(exc).__name__})")
    if isinstance(exc, (ConnectionError, httpx.TransportError)):
        return LLMUnavailableError(f"cannot reach {where}: is `ollama serve` running? ({type(exc).__name__})")
    if isinstance(exc, ValueError) and not isinstance(exc, UnicodeError):
        # A line that is not JSON: something else is listening on that port.
        return LLMUnavailableError(f"{where} sent a response that is not the Ollama API: {exc}")
    return None


def _canonical(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


def _close(stream: object) -> None:
    close = getattr(stream, "close", None)
    if callable(close):
        close()
