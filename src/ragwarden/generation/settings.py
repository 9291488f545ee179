"""Typed settings of the generation layer and the factories that build from them.

The field names are those of ``ragwarden.core.settings.Settings`` (environment ``RAGWARDEN_<NAME>``);
:func:`generation_settings_from` copies the matching attributes of any settings object, so the entry
point builds one :class:`Settings` and passes it down.
"""

from __future__ import annotations

from pydantic import ConfigDict, ValidationError, model_validator

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.settings import GenerationFields
from ragwarden.generation.llm import ChatModel


class GenerationSettings(GenerationFields):
    """The generation fields of :class:`ragwarden.core.settings.Settings`, on their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _consistent(self) -> GenerationSettings:
        if self.llm_backend == "ollama" and not self.ollama_model.strip():
            raise ValueError("RAGWARDEN_OLLAMA_MODEL is required when RAGWARDEN_LLM_BACKEND=ollama")
        return self


def generation_settings_from(settings: object | None = None, **overrides: object) -> GenerationSettings:
    """Generation settings from the attributes of ``settings`` that share a field name, plus overrides."""
    values = {
        name: getattr(settings, name)
        for name in GenerationSettings.model_fields
        if settings is not None and getattr(settings, name, None) is not None
    }
    values.update(overrides)
    try:
        return GenerationSettings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid generation settings: {problems}") from exc


def build_chat_model(settings: GenerationSettings | None = None) -> ChatModel:
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
