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
from ragwarden.generation.fakes import ScriptedChatModel


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
