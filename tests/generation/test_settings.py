"""Generation settings: taken by field name from the application's settings, validated, and turned
into the configured chat model without loading or contacting anything."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.settings import Settings
from ragwarden.generation import GenerationSettings, build_chat_model, generation_settings_from
from ragwarden.generation.embedded import LlamaCppChatModel
from ragwarden.generation.errors import ModelNotFoundError


def test_fields_are_copied_by_name_and_unknown_attributes_ignored() -> None:
    app = SimpleNamespace(llm_backend="ollama", ollama_model="qwen2.5:7b", answer_max_tokens=128, port=8000)
    settings = generation_settings_from(app, answer_temperature=0.3)
    assert (settings.llm_backend, settings.ollama_model, settings.answer_max_tokens) == ("ollama", "qwen2.5:7b", 128)
    assert settings.answer_temperature == 0.3


def test_the_core_settings_object_gives_the_embedded_defaults() -> None:
    settings = generation_settings_from(Settings())
    assert settings == GenerationSettings()
    assert settings.llm_backend == "embedded" and settings.answer_min_term_overlap == 1


@pytest.mark.parametrize("bad", [{"llm_backend": "gpt4"}, {"answer_max_tokens": 0}, {"ollama_read_timeout": -1}])
def test_invalid_values_are_one_readable_configuration_error(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match="invalid generation settings"):
        generation_settings_from(None, **bad)


def test_the_default_backend_is_the_embedded_model_and_nothing_is_loaded_yet() -> None:
    model = build_chat_model(GenerationSettings())
    assert isinstance(model, LlamaCppChatModel)
    assert model._llama is None  # loads on first use (or model.load() at start-up)


def test_a_model_path_that_does_not_exist_fails_at_build_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotFoundError, match="no GGUF model file"):
        build_chat_model(GenerationSettings(llm_model_path=tmp_path / "nope.gguf"))
