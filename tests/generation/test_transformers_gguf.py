"""The alternative loader: the same shipped GGUF de-quantized into transformers answers a grounded
question through the real Answerer. Slow (~30 s to import and de-quantize), so marked ``slow``."""

from __future__ import annotations

import pytest

from ragwarden.generation import Answerer, GenerationSettings
from ragwarden.generation.hf_gguf import TransformersGGUFChatModel
from tests.generation.support import FakeRetriever, chunk, scope

pytestmark = pytest.mark.slow


@pytest.fixture
def model(transformers_gguf: TransformersGGUFChatModel) -> TransformersGGUFChatModel:
    """Built by ``build_chat_model`` from these settings, once per session (tests/fixtures/models.py)."""
    return transformers_gguf


def test_the_transformers_gguf_loader_answers_a_one_fact_question(model: TransformersGGUFChatModel) -> None:
    settings = GenerationSettings(llm_loader="transformers", llm_threads=2, answer_max_tokens=32)
    assert model.context_window == 8192  # SmolLM2's trained context, read from the GGUF
    retriever = FakeRetriever([chunk("canteen", "The canteen is open from 11:30 to 14:00 on working days.")])
    result = Answerer(retriever, model, settings).answer(scope("bob"), "When does the canteen open?")
    assert "11:30" in result.answer
