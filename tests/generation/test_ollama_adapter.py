"""The Ollama adapter against a local server speaking the documented Ollama API (no Ollama here)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from ragwarden.core.errors import ConfigurationError, TransientError
from ragwarden.generation.errors import LLMTimeoutError, LLMUnavailableError, ModelNotFoundError
from ragwarden.generation.llm import ChatMessage, complete
from ragwarden.generation.ollama_chat import OllamaChatModel
from ragwarden.generation.settings import GenerationSettings, build_chat_model
from tests.generation.ollama_server import Behaviour, FakeOllamaServer

MESSAGES = [ChatMessage("system", "Answer from the sources."), ChatMessage("user", "How many days?")]


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as running:
        yield running


def _model(url: str, name: str = "llama3.2", **kwargs: float) -> OllamaChatModel:
    options = {"connect_timeout": 2.0, "read_timeout": 5.0, "request_timeout": 30.0, **kwargs}
    return OllamaChatModel(name, base_url=url, keep_alive="10m", context_window=4096, **options)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_streams_the_pieces_in_order_as_they_arrive(server: FakeOllamaServer) -> None:
    pieces = list(_model(server.url).stream(MESSAGES, max_tokens=64, temperature=0.0))
    assert pieces == ["Up", " to", " 5", " days", " [1]", "."]


def test_sends_model_messages_options_and_keep_alive_as_documented(server: FakeOllamaServer) -> None:
    complete(_model(server.url), MESSAGES, max_tokens=64, temperature=0.2)
    method, path, body = server.behaviour.requests[-1]
    assert (method, path) == ("POST", "/api/chat")
    assert body["model"] == "llama3.2"
    assert body["messages"] == [m.as_dict() for m in MESSAGES]
    assert body["stream"] is True
    assert body["keep_alive"] == "10m"
    assert body["options"] == {"temperature": 0.2, "num_predict": 64, "num_ctx": 4096, "repeat_penalty": 1.0}


def test_check_accepts_an_installed_model_by_name_without_tag(server: FakeOllamaServer) -> None:
    _model(server.url, "llama3.2").check()
    assert ("GET", "/api/tags", {}) in server.behaviour.requests


def test_check_names_the_pull_command_when_the_model_is_missing(server: FakeOllamaServer) -> None:
    with pytest.raises(ModelNotFoundError, match=r"ollama pull qwen2\.5:7b"):
        _model(server.url, "qwen2.5:7b").check()


def test_a_missing_model_at_chat_time_is_a_configuration_error_with_the_pull_hint(
    server: FakeOllamaServer,
) -> None:
    with pytest.raises(ModelNotFoundError, match=r"`ollama pull mistral`") as caught:
        list(_model(server.url, "mistral").stream(MESSAGES, max_tokens=8, temperature=0.0))
    assert isinstance(caught.value, ConfigurationError)


def test_an_unreachable_server_fails_fast_with_a_clear_transient_error() -> None:
    model = _model(f"http://127.0.0.1:{_free_port()}")
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="cannot reach the Ollama server") as caught:
        list(model.stream(MESSAGES, max_tokens=8, temperature=0.0))
    assert time.monotonic() - started < 5
    assert isinstance(caught.value, TransientError)
    with pytest.raises(LLMUnavailableError):
        model.check()


def test_a_server_that_never_starts_answering_times_out_instead_of_hanging() -> None:
    with FakeOllamaServer(Behaviour(delay_before_headers=3.0)) as slow:
        started = time.monotonic()
        with pytest.raises(LLMTimeoutError):
            list(_model(slow.url, read_timeout=0.5).stream(MESSAGES, max_tokens=8, temperature=0.0))
        assert time.monotonic() - started < 2.5


def test_a_stream_that_stalls_midway_times_out(server: FakeOllamaServer) -> None:
    server.behaviour.stall_after = 2
    server.behaviour.stall_seconds = 3.0
    received: list[str] = []
    with pytest.raises(LLMTimeoutError):
        for piece in _model(server.url, read_timeout=0.5).stream(MESSAGES, max_tokens=8, temperature=0.0):
            received.append(piece)
    assert received == ["Up", " to"]


def test_a_trickling_stream_is_cut_at_the_total_request_timeout(server: FakeOllamaServer) -> None:
    server.behaviour.delay_between_pieces = 0.3
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError, match="did not finish within"):
        list(_model(server.url, read_timeout=2.0, request_timeout=0.5).stream(
            MESSAGES, max_tokens=8, temperature=0.0))
    assert time.monotonic() - started < 1.5


def test_a_server_error_is_transient_and_says_what_the_server_said(server: FakeOllamaServer) -> None:
    server.behaviour.status = 500
    with pytest.raises(LLMUnavailableError, match="llama runner process has terminated"):
        list(_model(server.url).stream(MESSAGES, max_tokens=8, temperature=0.0))


def test_an_error_line_in_the_middle_of_the_stream_is_transient(server: FakeOllamaServer) -> None:
    server.behaviour.error_mid_stream = "an unexpected error occurred"
    with pytest.raises(LLMUnavailableError, match="an unexpected error occurred"):
        list(_model(server.url).stream(MESSAGES, max_tokens=8, temperature=0.0))


def test_a_different_service_on_the_port_is_reported_not_crashed_on(server: FakeOllamaServer) -> None:
    server.behaviour.garbage = True
    with pytest.raises(LLMUnavailableError, match="not the Ollama API"):
        list(_model(server.url).stream(MESSAGES, max_tokens=8, temperature=0.0))


def test_the_factory_builds_the_ollama_adapter_from_settings(server: FakeOllamaServer) -> None:
    settings = GenerationSettings(llm_backend="ollama", ollama_url=server.url, ollama_model="llama3.2",
                                  ollama_context_window=2048)
    model = build_chat_model(settings)
    assert model.model_id == "ollama:llama3.2"
    assert model.context_window == 2048
    assert complete(model, MESSAGES, max_tokens=16) == "Up to 5 days [1]."
