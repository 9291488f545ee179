"""Generation settings: the application's one settings object serves the generation layer as it is;
generation-only settings are validated into one readable error; either becomes the configured chat model
without loading or contacting anything."""

from __future__ import annotations

import pytest

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.settings import Settings
from ragwarden.generation import GenerationSettings, build_chat_model, generation_settings
from ragwarden.generation.embedded import LlamaCppChatModel
from ragwarden.generation.errors import ModelNotFoundError
from ragwarden.generation.ollama_chat import OllamaChatModel


def test_the_application_settings_build_the_model_they_name() -> None:
    app = Settings(llm_backend="ollama", ollama_model="qwen2.5:7b", answer_max_tokens=128)
    model = build_chat_model(app)
    assert isinstance(model, OllamaChatModel) and model.model == "qwen2.5:7b"


def test_the_core_settings_object_gives_the_embedded_defaults() -> None:
    defaults = GenerationSettings()
    app = Settings()
    assert all(getattr(app, name) == getattr(defaults, name) for name in GenerationSettings.model_fields)
    assert app.llm_backend == "embedded" and app.answer_min_term_overlap == 1


def test_ollama_without_a_model_is_refused_by_both() -> None:
    with pytest.raises(ConfigurationError, match="RAGWARDEN_OLLAMA_MODEL"):
        generation_settings(llm_backend="ollama", ollama_model=" ")
    with pytest.raises(ValueError, match="RAGWARDEN_OLLAMA_MODEL"):
        Settings(llm_backend="ollama", ollama_model=" ")


@pytest.mark.parametrize("bad", [{"llm_backend": "gpt4"}, {"answer_max_tokens": 0}, {"ollama_read_timeout": -1}])
def test_invalid_values_are_one_readable_configuration_error(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match="invalid generation settings"):
        generation_settings(**bad)


def test_the_default_backend_is_the_embedded_model_and_nothing_is_loaded_yet() -> None:
    model = build_chat_model(GenerationSettings())
    assert isinstance(model, LlamaCppChatModel)
    assert model._llama is None  # loads on first use (or model.load() at start-up)


def test_a_model_path_that_does_not_exist_fails_at_build_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotFoundError, match="no GGUF model file"):
        build_chat_model(GenerationSettings(llm_model_path=tmp_path / "nope.gguf"))
