"""The ChatModel contract, run on every adapter and fake.

Real parts: the shipped SmolLM2-135M GGUF in llama.cpp and de-quantized by transformers (the session's
``smollm`` and ``transformers_gguf``, tests/fixtures/models.py), and the Ollama adapter through the real
``ollama`` client against a server speaking the documented Ollama API (tests/generation/ollama_server.py).
A reference answer is the same backend's answer computed without streaming.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import ollama
import pytest

from ragwarden.generation.embedded import LlamaCppChatModel
from ragwarden.generation.hf_gguf import TransformersGGUFChatModel
from ragwarden.generation.llm import ChatMessage, ChatModel
from ragwarden.generation.ollama_chat import OllamaChatModel
from ragwarden.testing.contracts.chat_model import ChatModelContract, ReferenceAnswer
from ragwarden.testing.fakes.chat import GatedChatModel, ScriptedChatModel
from tests.generation.ollama_server import Behaviour, FakeOllamaServer

REPLY = "Bis zu fünf Urlaubstage können ins Folgejahr übertragen werden [1]."


def _not_a_model(folder: Path) -> Path:
    path = folder / "not-a-model.gguf"
    path.write_bytes(b"this is not a GGUF file\n" * 64)
    return path


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


# --- llama.cpp, in-process (the default) -----------------------------------------------------------------


class TestLlamaCppChatModel(ChatModelContract):
    @pytest.fixture
    def chat_model(self, smollm: LlamaCppChatModel) -> ChatModel:
        return smollm

    @pytest.fixture
    def reference_answer(self, smollm: LlamaCppChatModel) -> ReferenceAnswer:
        def answer(messages: Sequence[ChatMessage], max_tokens: int) -> str:
            whole = smollm._load().create_chat_completion(
                messages=[m.as_dict() for m in messages], max_tokens=max_tokens, temperature=0.0,
                repeat_penalty=smollm.repeat_penalty, seed=smollm.seed,
            )
            return str(whole["choices"][0]["message"]["content"])

        return answer

    @pytest.fixture
    def broken_chat_model(self, tmp_path: Path) -> ChatModel:
        return LlamaCppChatModel(_not_a_model(tmp_path), threads=2)


# --- transformers' GGUF loader (optional, slow) ----------------------------------------------------------


@pytest.mark.slow
class TestTransformersGGUFChatModel(ChatModelContract):
    @pytest.fixture
    def chat_model(self, transformers_gguf: TransformersGGUFChatModel) -> ChatModel:
        return transformers_gguf

    @pytest.fixture
    def reference_answer(self, transformers_gguf: TransformersGGUFChatModel) -> ReferenceAnswer:
        def answer(messages: Sequence[ChatMessage], max_tokens: int) -> str:
            tokenizer, model = transformers_gguf._load()
            inputs = tokenizer.apply_chat_template(
                [m.as_dict() for m in messages], add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            out = model.generate(**inputs, max_new_tokens=max_tokens, do_sample=False)
            return str(tokenizer.decode(out[0][inputs["input_ids"].shape[-1]:], skip_special_tokens=True))

        return answer

    @pytest.fixture
    def broken_chat_model(self, tmp_path: Path) -> ChatModel:
        return TransformersGGUFChatModel(_not_a_model(tmp_path), threads=2)


# --- Ollama, through the official client -----------------------------------------------------------------

PIECES = ("Bis", " zu", " fünf", " Urlaubstage", " können", " übertragen", " werden", " [1]", ".")


@pytest.fixture(scope="module")
def ollama_server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer(Behaviour(pieces=PIECES)) as server:
        yield server


class TestOllamaChatModel(ChatModelContract):
    oversized_prompt = "answered"  # Ollama cuts a prompt to num_ctx itself (keeping its end)

    @pytest.fixture
    def chat_model(self, ollama_server: FakeOllamaServer) -> Iterator[ChatModel]:
        model = OllamaChatModel("llama3.2", base_url=ollama_server.url, connect_timeout=2.0, read_timeout=5.0,
                                request_timeout=30.0, context_window=4096)
        yield model
        model.close()

    @pytest.fixture
    def reference_answer(self, ollama_server: FakeOllamaServer) -> ReferenceAnswer:
        def answer(messages: Sequence[ChatMessage], max_tokens: int) -> str:
            reply = ollama.Client(host=ollama_server.url).chat(
                "llama3.2", [m.as_dict() for m in messages], stream=False, options={"num_predict": max_tokens}
            )
            return str(reply.message.content)

        return answer

    @pytest.fixture
    def broken_chat_model(self) -> ChatModel:
        return OllamaChatModel("llama3.2", base_url=f"http://127.0.0.1:{_closed_port()}", connect_timeout=2.0)


# --- the fakes -------------------------------------------------------------------------------------------


class TestScriptedChatModel(ChatModelContract):
    oversized_prompt = "answered"  # a fake ignores the window: packing is tested on the Answerer

    @pytest.fixture
    def chat_model(self) -> ScriptedChatModel:
        return ScriptedChatModel(REPLY)

    @pytest.fixture
    def reference_answer(self, chat_model: ScriptedChatModel) -> ReferenceAnswer:
        return lambda messages, max_tokens: REPLY


class TestGatedChatModel(ChatModelContract):
    oversized_prompt = "answered"

    @pytest.fixture
    def chat_model(self) -> GatedChatModel:
        model = GatedChatModel(REPLY)
        model.gate.set()
        return model

    @pytest.fixture
    def reference_answer(self) -> ReferenceAnswer:
        return lambda messages, max_tokens: REPLY

    def test_a_stream_closed_while_the_gate_is_shut_frees_the_model(self, chat_model: GatedChatModel) -> None:
        chat_model.gate.clear()
        held = chat_model.stream([ChatMessage("user", "?")], max_tokens=8, temperature=0.0)
        assert next(held) == "Bis " and next(held) == " "  # still "decoding"
        held.close()
        chat_model.gate.set()
        assert "".join(chat_model.stream([ChatMessage("user", "?")], max_tokens=16, temperature=0.0)) == REPLY
        assert chat_model.entered == 2
