"""Conversation memory and the person's rights: their conversations can be listed (DSGVO access) and
erased without touching anyone else's; conversations that cited a forgotten document are dropped; and
retention removes turns older than it even in a conversation that is still going on, and only those."""

from __future__ import annotations

from ragwarden.generation.conversations import InMemoryConversationStore, Turn


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _turn(question: str, cited: tuple[str, ...] = ()) -> Turn:
    return Turn(question, question, f"answer to {question}", "de", cited)


def test_a_persons_conversations_are_listed_and_erased_and_no_one_elses() -> None:
    clock = Clock()
    store = InMemoryConversationStore(clock=clock)
    store.append("hanna", "c1", _turn("eins"))
    clock.now = 5.0
    store.append("hanna", "c1", _turn("zwei"))
    store.append("bob", "c2", _turn("drei"))
    listed = store.of("hanna")
    assert [(age, t.question) for age, t in listed["c1"]] == [(5.0, "eins"), (0.0, "zwei")] and "c2" not in listed
    assert store.erase("hanna") == 2
    assert store.of("hanna") == {} and store.turns("hanna", "c1") == []
    assert [t.question for t in store.turns("bob", "c2")] == ["drei"]
    assert store.erase("hanna") == 0


def test_conversations_citing_a_forgotten_document_are_dropped() -> None:
    store = InMemoryConversationStore()
    store.append("hanna", "c1", _turn("lohn", ("doc-pay",)))
    store.append("hanna", "c2", _turn("plan", ("doc-plan",)))
    before = store.bytes_used
    assert store.forget_documents({"doc-pay"}) == 1
    assert store.turns("hanna", "c1") == [] and len(store.turns("hanna", "c2")) == 1
    assert 0 < store.bytes_used < before


def test_retention_removes_old_turns_of_a_busy_conversation_and_only_those() -> None:
    clock = Clock()
    store = InMemoryConversationStore(clock=clock, ttl=3600.0, retention=100.0)
    store.append("hanna", "c1", _turn("alt"))
    clock.now = 60.0
    store.append("hanna", "c1", _turn("neu"))
    store.append("bob", "c2", _turn("bob"))
    clock.now = 120.0  # "alt" is 120 s old, "neu" and bob's 60 s
    assert store.sweep() == 1
    assert [t.question for t in store.turns("hanna", "c1")] == ["neu"]
    assert [t.question for t in store.turns("bob", "c2")] == ["bob"]
    clock.now = 200.0
    assert store.sweep() == 2 and len(store) == 0 and store.bytes_used == 0
