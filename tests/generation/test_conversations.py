"""Conversation memory: per (principal, conversation id), bounded, expiring; follow-up condensing."""

from __future__ import annotations

import pytest

from ragwarden.generation.conversations import (
    InMemoryConversationStore,
    Turn,
    condense_heuristic,
    condense_with_model,
    is_follow_up,
)
from ragwarden.testing.fakes.chat import ScriptedChatModel


def turn(question: str, standalone: str | None = None) -> Turn:
    return Turn(question, standalone or question, "answer", "en")


def test_turns_are_kept_per_principal_and_conversation_id() -> None:
    store = InMemoryConversationStore()
    store.append("user:alice", "c1", turn("alice's question"))
    assert store.turns("user:bob", "c1") == []
    assert [t.question for t in store.turns("user:alice", "c1")] == ["alice's question"]
    assert store.turns("user:alice", "c2") == []


def test_only_the_last_turns_are_kept_and_idle_conversations_expire() -> None:
    now = [0.0]
    store = InMemoryConversationStore(max_turns=2, ttl=60, clock=lambda: now[0])
    for q in ("one", "two", "three"):
        store.append("p", "c", turn(q))
    assert [t.question for t in store.turns("p", "c")] == ["two", "three"]
    now[0] = 61.0
    assert store.turns("p", "c") == []


def test_the_number_of_conversations_is_bounded() -> None:
    store = InMemoryConversationStore(max_conversations=2)
    for cid in ("a", "b", "c"):
        store.append("p", cid, turn(cid))
    assert store.turns("p", "a") == [] and store.turns("p", "c")


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Until when?", True),
        ("And for part-time staff?", True),
        ("How much does it cost?", True),
        ("Und dafür?", True),
        ("Was ist mit Teilzeitkräften?", True),
        ("How many vacation days can I carry over?", False),
        ("Gibt es einen Zuschuss für das Jobticket?", False),
        ("Who approves first class train travel for managers?", False),
    ],
)
def test_follow_ups_are_recognised(question: str, expected: bool) -> None:
    assert is_follow_up(question) is expected


def test_a_follow_up_is_prefixed_with_the_previous_standalone_question() -> None:
    history = [turn("How many vacation days can I carry over?")]
    assert condense_heuristic(history, "Until when?") == "How many vacation days can I carry over? Until when?"
    assert condense_heuristic(history, "Who approves first class train travel for managers?") == (
        "Who approves first class train travel for managers?"
    )
    assert condense_heuristic([], "Until when?") == "Until when?"


def test_the_model_rewrite_sees_earlier_questions_never_answers_and_falls_back_when_unusable() -> None:
    history = [Turn("How many vacation days can I carry over?", "How many vacation days can I carry over?",
                    "SECRET-ANSWER-TEXT", "en")]
    model = ScriptedChatModel(reply="Until when can vacation days be carried over?")
    assert condense_with_model(model, history, "Until when?") == "Until when can vacation days be carried over?"
    assert "SECRET-ANSWER-TEXT" not in model.last_prompt
    rambling = ScriptedChatModel(reply="Well,\nlet me think")
    assert condense_with_model(rambling, history, "Until when?") == condense_heuristic(history, "Until when?")


def big_turn(question: str, kib: int = 8) -> Turn:
    return Turn(question, question, "x" * (kib * 1024), "en")


def test_one_conversation_is_bounded_by_bytes_dropping_its_oldest_turns_first() -> None:
    """Memory per conversation stays under ``max_bytes_each``: long turns push the oldest out."""
    store = InMemoryConversationStore(max_turns=100, max_bytes_each=20 * 1024)
    for q in ("one", "two", "three", "four"):
        store.append("p", "c", big_turn(q))
    assert [t.question for t in store.turns("p", "c")] == ["three", "four"]
    assert store.bytes_used <= 20 * 1024
    store.append("p", "c", big_turn("huge", kib=64))  # larger than the bound on its own: not remembered
    assert store.turns("p", "c") == [] and store.bytes_used == 0


def test_all_conversations_together_are_bounded_by_bytes_least_recently_continued_evicted_first() -> None:
    store = InMemoryConversationStore(max_bytes=100 * 1024, max_bytes_each=64 * 1024)
    for cid in ("a", "b", "c"):
        store.append("p", cid, big_turn(cid, kib=30))
    store.append("p", "a", big_turn("a again", kib=1))  # "a" is now the most recently continued
    store.append("p", "d", big_turn("d", kib=30))
    assert store.turns("p", "b") == []  # the oldest went first
    assert store.turns("p", "a") and store.turns("p", "d")
    assert store.bytes_used <= 100 * 1024


def test_idle_conversations_expire_even_if_nobody_asks_for_them_again() -> None:
    """Age is a bound on memory, not only on what a reader sees: expired conversations are freed."""
    now = [0.0]
    store = InMemoryConversationStore(ttl=60, clock=lambda: now[0])
    for i in range(50):
        store.append("p", f"old{i}", big_turn("q", kib=4))
    now[0] = 30.0
    store.append("p", "recent", turn("q"))
    now[0] = 61.0
    store.append("p", "new", turn("q"))
    assert len(store) == 2 and store.bytes_used < 4 * 1024
    assert store.turns("p", "recent") and store.turns("p", "old0") == []


def test_the_byte_bound_holds_for_real_memory_under_fast_long_turns() -> None:
    """The review's attack: many conversations of long, distinct turns. The memory the store really
    holds (tracemalloc) stays near ``max_bytes`` instead of growing with the number of turns."""
    import tracemalloc

    limit = 2 * 1024 * 1024
    store = InMemoryConversationStore(max_bytes=limit, max_bytes_each=64 * 1024)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(3000):  # ~24 MiB of turns offered
            store.append(f"user:u{i % 50}", f"c{i}", Turn(f"q{i}", f"q{i}", f"{i}" + "ä" * 4000, "de"))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert store.bytes_used <= limit
    assert held < 1.5 * limit, held


def test_the_answerer_builds_its_store_with_the_configured_bounds() -> None:
    from ragwarden.generation import Answerer, GenerationSettings
    from tests.generation.support import FakeRetriever

    settings = GenerationSettings(conversation_max_bytes=1024 * 1024, conversation_max_bytes_each=8192)
    store = Answerer(FakeRetriever([]), ScriptedChatModel(), settings).conversations
    assert isinstance(store, InMemoryConversationStore)
    assert (store.max_bytes, store.max_bytes_each) == (1024 * 1024, 8192)
