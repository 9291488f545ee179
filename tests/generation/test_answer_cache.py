"""The answer cache: what its key is made of (the question, the exact passages with their ACLs, the model and
its settings; never the caller), how it forgets (entries, bytes, TTL), and that a cached answer is served as a
fresh one is (same events, same result, recorded in the audit as cached), only when the key would be the same.
The randomized check against an oracle is in ``test_answer_cache_oracle.py``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ragwarden.audit.records import event_body
from ragwarden.core.audit import AuditEvent, AuditTrail
from ragwarden.core.models import SearchHit
from ragwarden.generation import AnswerComplete, Answerer, AnswerToken, GenerationSettings
from ragwarden.generation.answer_cache import (
    AnswerCache,
    KeyParts,
    answer_cache_for,
    answer_key,
    normalised_question,
    settings_fingerprint,
)
from ragwarden.generation.packing import Source
from ragwarden.testing.fakes.chat import ScriptedChatModel
from tests.generation.support import FakeRetriever, chunk, scope

SETTINGS = GenerationSettings(answer_mode="generative")
VACATION = chunk("vacation-policy", "Up to 5 vacation days can be carried over until 31 March.")
CANTEEN = chunk("canteen", "The canteen is open from 11:30 to 14:00 on working days.")
HR_NOTE = chunk("hr-note", "HR note: vacation days of leavers are paid out.", allow=("group:hr",))
QUESTION = "How many vacation days can I carry over?"


def hit(c: Any, score: float = 0.5, **payload: Any) -> SearchHit:
    return SearchHit(c.chunk_id, score, {**c.payload(), **payload})


def source(h: SearchHit, number: int = 1) -> Source:
    return Source(number, h.doc_id, str(h.payload["title"]), str(h.payload["source_uri"]), h.text, h.score,
                  (0,), (h.point_id,))  # fmt: skip


def key(hits: list[SearchHit], question: str = QUESTION, **changes: Any) -> str:
    sources = [source(h, i + 1) for i, h in enumerate(hits)]
    fingerprint = settings_fingerprint(SETTINGS, guard=True, mode="generative")
    values: dict[str, Any] = {
        "question": question, "language": "en", "hits": hits, "sources": sources, "model_id": "scripted",
        "context_window": 4096, "settings": fingerprint,
    }  # fmt: skip
    return answer_key(KeyParts(**(values | changes)), few_shot=True)


# --- the key ------------------------------------------------------------------------------------------


def test_a_question_is_the_same_whatever_its_case_spacing_or_closing_punctuation() -> None:
    assert normalised_question("Wie viele  Urlaubstage?") == normalised_question("wie viele urlaubstage") != ""
    assert normalised_question("Straße\u00adnbahn ?") == normalised_question("STRASSENBAHN")
    assert normalised_question("Wie viele Urlaubstgae?") != normalised_question("Wie viele Urlaubstage?")
    assert key([hit(VACATION)], "HOW MANY vacation days can I carry over") == key([hit(VACATION)])


def test_the_key_changes_with_every_passage_its_acl_its_content_and_their_order() -> None:
    base = [hit(VACATION), hit(CANTEEN)]
    same = key(base)
    assert key([hit(VACATION, 0.9), hit(CANTEEN, 0.1)]) == same  # the score moves with wording, not the passage
    changed = [
        [hit(CANTEEN), hit(VACATION)],  # order
        [hit(VACATION)],  # one passage fewer
        [hit(VACATION), hit(CANTEEN), hit(HR_NOTE)],  # one more
        [hit(VACATION, acl_allow=["group:staff"]), hit(CANTEEN)],  # a re-stamp
        [hit(VACATION, acl_deny=["user:mallory"]), hit(CANTEEN)],
        [hit(VACATION, acl_share=["group:hr"]), hit(CANTEEN)],
        [hit(VACATION, acl_version="0123456789abcdef"), hit(CANTEEN)],
        [hit(VACATION, text="Up to 9 vacation days can be carried over."), hit(CANTEEN)],  # an edit
        [hit(VACATION, content_hash="sha256:other"), hit(CANTEEN)],
        [hit(VACATION, title="Old vacation policy"), hit(CANTEEN)],
        [SearchHit("another-point", 0.5, VACATION.payload()), hit(CANTEEN)],
    ]
    keys = {key(hits) for hits in changed}
    assert same not in keys and len(keys) == len(changed)


def test_the_key_changes_with_the_model_and_each_setting_that_changes_the_text() -> None:
    base = [hit(VACATION)]
    same = key(base)
    others = [
        key(base, model_id="llama3.2"),
        key(base, context_window=8192),
        key(base, language="de"),
        key(base, settings=settings_fingerprint(SETTINGS, guard=False, mode="generative")),
        key(base, settings=settings_fingerprint(SETTINGS.model_copy(update={"answer_temperature": 0.7}), guard=True,
                                                mode="generative")),  # fmt: skip
        key(base, settings=settings_fingerprint(SETTINGS.model_copy(update={"llm_repeat_penalty": 1.3}), guard=True,
                                                mode="generative")),  # fmt: skip
    ]
    assert same not in others and len(set(others)) == len(others)
    busy = SETTINGS.model_copy(update={"answer_concurrency": 4, "answer_cache_size": 5, "conversation_max_turns": 3})
    assert settings_fingerprint(busy, guard=True, mode="generative") == settings_fingerprint(
        SETTINGS, guard=True, mode="generative"
    )


# --- the store ----------------------------------------------------------------------------------------


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_store_forgets_the_least_recently_used_beyond_its_count_and_its_bytes() -> None:
    cache = AnswerCache(max_entries=2, max_bytes=10_000, ttl=60)
    cache.put("a", ["one"], "p")
    cache.put("b", ["two"], "p")
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", ["three"], "p")
    assert (cache.get("b"), len(cache)) == (None, 2) and cache.get("a") and cache.get("c")
    small = AnswerCache(max_entries=100, max_bytes=1000, ttl=60)
    for name in "wxyz":
        small.put(name, ["x" * 300], "p")
    assert small.bytes <= 1000 and small.get("w") is None and small.get("z") is not None
    small.put("huge", ["x" * 5000], "p")  # larger than the whole budget: not kept, nothing else lost
    assert small.get("huge") is None and small.get("z") is not None


def test_an_entry_older_than_the_ttl_is_gone_and_the_setting_zero_means_no_cache() -> None:
    clock = Clock()
    cache = AnswerCache(max_entries=10, max_bytes=10_000, ttl=60, clock=clock)
    cache.put("a", ["one"], "p")
    clock.now = 59.0
    assert cache.get("a") is not None
    clock.now = 61.0
    assert cache.get("a") is None and len(cache) == 0 and cache.bytes == 0
    assert answer_cache_for(GenerationSettings(answer_cache_size=0)) is None
    built = answer_cache_for(GenerationSettings(answer_cache_size=7, answer_cache_ttl_seconds=5))
    assert built is not None and (built.max_entries, built.ttl) == (7, 5)


# --- through the Answerer -----------------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


def answerer(chunks: list[Any], reply: str = "Up to 5 vacation days can be carried over until 31 March [1].",
             **settings: Any) -> tuple[Answerer, ScriptedChatModel, FakeRetriever]:  # fmt: skip
    model, retriever = ScriptedChatModel(reply=reply), FakeRetriever(chunks)
    s = GenerationSettings(answer_mode="generative", **settings)
    return Answerer(retriever, model, s, guard=True, cache=answer_cache_for(s)), model, retriever


def events(a: Answerer, who: Any, question: str = QUESTION, sink: Sink | None = None) -> list[Any]:
    trail = AuditTrail(sink, "rest") if sink is not None else None
    return list(a.answer_stream(who, question, audit=trail))


def comparable(stream: list[Any]) -> list[Any]:
    """The events without what differs between any two turns (conversation id, timings)."""
    out: list[Any] = []
    for event in stream:
        if isinstance(event, AnswerComplete):
            event = replace(event.result, conversation_id="", timings=None)
        out.append(event)
    return out


def test_the_same_question_over_the_same_passages_is_answered_once_and_served_as_it_was() -> None:
    a, model, _ = answerer([VACATION, CANTEEN])
    sink = Sink()
    first = events(a, scope("bob"), sink=sink)
    second = events(a, scope("carol"), "how many vacation days can I carry over", sink=sink)
    assert len(model.calls) == 1 and a.cache is not None and (a.cache.hits, a.cache.misses) == (1, 1)
    assert [type(e) for e in first] == [type(e) for e in second] and isinstance(second[0], AnswerToken)
    fresh, served = comparable(first)[-1], comparable(second)[-1]
    assert served == replace(fresh, standalone_question="how many vacation days can I carry over")
    assert fresh.found and fresh.sentences and fresh.citations[0].doc_id == "vacation-policy"
    bodies = [event_body(e, lambda p: p)["answer"] for e in sink.events]
    assert "cached" not in bodies[0] and bodies[1]["cached"] is True
    assert bodies[0]["prompt_sha256"] == bodies[1]["prompt_sha256"]  # the prompt that made the text
    assert [d.doc_id for d in sink.events[1].documents] == [d.doc_id for d in sink.events[0].documents]
    assert [t.answer for t in a.conversations.turns("user:carol", second[-1].result.conversation_id)] == [
        served.answer
    ]


def test_a_caller_who_gets_other_passages_gets_a_fresh_answer() -> None:
    """hr sees one more vacation passage: the choke point returns other chunks, so the key differs."""
    a, model, _ = answerer([VACATION, HR_NOTE])
    events(a, scope("bob"))
    events(a, scope("hanna", "group:hr"))
    events(a, scope("hanna", "group:hr"))
    assert len(model.calls) == 2 and a.cache is not None and a.cache.hits == 1
    assert "HR note" in model.last_prompt
    assert "HR note" not in "\n".join(m.content for m in model.calls[0])


def test_a_restamp_or_an_edit_of_a_passage_makes_the_next_answer_fresh() -> None:
    a, model, retriever = answerer([VACATION, CANTEEN])
    events(a, scope("bob"))
    retriever.chunks[0] = replace(VACATION, acl=replace(VACATION.acl, deny=frozenset({"user:mallory"})))
    events(a, scope("bob"))
    retriever.chunks[0] = replace(VACATION, text="Up to 7 vacation days can be carried over until 31 March.")
    events(a, scope("bob"))
    events(a, scope("bob"))
    assert len(model.calls) == 3 and a.cache is not None and a.cache.hits == 1


def test_an_abandoned_answer_is_not_kept() -> None:
    a, model, _ = answerer([VACATION])
    stream = a.answer_stream(scope("bob"), QUESTION)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    events(a, scope("bob"))
    assert len(model.calls) == 2


def test_a_guarded_answer_is_replayed_with_its_dropped_sentences_and_an_empty_one_as_not_found() -> None:
    a, model, _ = answerer([VACATION], reply="Up to 5 vacation days can be carried over [1]. The moon is cheese.")
    fresh, served = events(a, scope("bob"))[-1].result, events(a, scope("bob"))[-1].result
    assert len(model.calls) == 1 and fresh.dropped_sentences == served.dropped_sentences == 1
    assert (fresh.answer, fresh.sentences) == (served.answer, served.sentences)
    b, quiet, _ = answerer([VACATION], reply="   ")
    assert [events(b, scope("bob"))[-1].result.found for _ in range(2)] == [False, False] and len(quiet.calls) == 1


def test_without_a_cache_every_answer_asks_the_model() -> None:
    a, model, _ = answerer([VACATION], answer_cache_size=0)
    events(a, scope("bob"))
    events(a, scope("bob"))
    assert a.cache is None and len(model.calls) == 2
