"""The generation layer's settings and the factory that builds the chat model from them.

The generation layer takes :class:`~ragwarden.core.settings.generation.GenerationFields`: the application's one
:class:`~ragwarden.core.settings.Settings` object is one (it is passed down as it is); a caller without the
application's settings (a benchmark, a test) builds :class:`GenerationSettings` with :func:`generation_settings`.
"""

from __future__ import annotations

from pydantic import ConfigDict, ValidationError

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.settings.generation import GenerationFields
from ragwarden.generation.llm import ChatModel


class GenerationSettings(GenerationFields):
    """The generation fields of :class:`ragwarden.core.settings.Settings`, on their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def generation_settings(**values: object) -> GenerationSettings:
    """Generation settings from keyword values; a bad value is one readable :class:`ConfigurationError`."""
    try:
        return GenerationSettings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid generation settings: {problems}") from exc


def build_chat_model(settings: GenerationFields | None = None) -> ChatModel:
    """The configured chat model. Nothing is loaded or contacted yet (the embedded model loads on first
    use, or call its ``load()``; an Ollama model's ``check()`` verifies server and model)."""
    s = settings or GenerationSettings()
    if s.llm_backend == "ollama":
        from ragwarden.generation.ollama_chat import OllamaChatModel

        return OllamaChatModel(
            s.ollama_model,
            base_url=s.ollama_url,
            connect_timeout=s.ollama_connect_timeout,
            read_timeout=s.ollama_read_timeout,
            request_timeout=s.ollama_request_timeout,
            keep_alive=s.ollama_keep_alive,
            context_window=s.ollama_context_window,
            repeat_penalty=s.llm_repeat_penalty,
        )
    if s.llm_loader == "transformers":
        from ragwarden.generation.hf_gguf import TransformersGGUFChatModel

        return TransformersGGUFChatModel(
            s.llm_model_path,
            context_window=s.llm_context_window,
            threads=s.llm_threads,
            lock_timeout=s.answer_wait_timeout,
        )
    from ragwarden.generation.embedded import LlamaCppChatModel

    return LlamaCppChatModel(
        s.llm_model_path,
        context_window=s.llm_context_window,
        threads=s.llm_threads,
        repeat_penalty=s.llm_repeat_penalty,
        requantize=s.llm_requantize,
        cache_dir=s.llm_cache_dir,
        lock_timeout=s.answer_wait_timeout,
    )
