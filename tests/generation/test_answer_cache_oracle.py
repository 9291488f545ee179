"""No answer crosses an ACL through the answer cache: a randomized test against an oracle.

Hypothesis draws a company (users in random groups), documents with random allow / deny / share lists in a
real Qdrant Edge index behind the real retrieval choke point, and a stream of questions (some only in case or
spacing different) asked by random users, with random re-stamps and content edits in between. The scripted
model writes into each answer a generation number and the marker of every passage its prompt held.

The oracle knows nothing of ragwarden's code: visibility is the documented rule (allow ∩ T, share empty or
share ∩ T, deny ∩ T empty, T = the user, their groups, ``everyone``). For every answer served, cached or not:
each passage it was made from is one the caller may read *now*, in its current version; a cache hit happens
only when the question (normalised as documented) and the passages the choke point returned now, with their
text and ACL, are those the answer was generated from; and such a repeat is always a hit (the cache works).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragwarden.core.models import AccessControl, AccessScope, Chunk, IndexedChunk, SearchHit
from ragwarden.generation import Answerer, GenerationSettings
from ragwarden.generation.answer_cache import answer_cache_for
from ragwarden.generation.llm import ChatMessage
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.retriever import Retriever
from ragwarden.testing.fakes.chat import ScriptedChatModel
from ragwarden.testing.fakes.embedding import HashingEmbedder

GROUPS = ["group:hr", "group:rnd", "group:it", "group:finance", "group:board"]
USERS = [f"user:u{i}" for i in range(6)]
PRINCIPALS = ["everyone", *GROUPS, *USERS]
QUESTIONS = ["How many vacation days carry over?", "When is the canteen open?", "Who approves travel costs?"]
VARIANTS = [lambda q: q, lambda q: q.upper(), lambda q: "  " + q.lower().rstrip("?") + " ", lambda q: q + "x"]
WORDS = "vacation days carry over canteen open travel costs approve policy office".split()
MARKER = re.compile(r"\bD(\d+)V(\d+)\b")
MEMORY = "/dev/shm" if Path("/dev/shm").is_dir() else None  # an index per example: opening one on disk syncs


@dataclass
class Acl:
    allow: frozenset[str]
    deny: frozenset[str] = frozenset()
    share: frozenset[str] = frozenset()


def may_read(tokens: frozenset[str], acl: Acl) -> bool:
    """The oracle: the documented rule, written out again."""
    return bool(acl.allow & tokens) and (not acl.share or bool(acl.share & tokens)) and not acl.deny & tokens


acls = st.builds(
    Acl,
    st.frozensets(st.sampled_from(PRINCIPALS), min_size=1, max_size=3),
    st.frozensets(st.sampled_from(PRINCIPALS[1:]), max_size=2),
    st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(PRINCIPALS), min_size=1, max_size=2)),
)
docs = st.tuples(acls, st.lists(st.sampled_from(WORDS), min_size=3, max_size=6))
asks = st.tuples(st.just("ask"), st.sampled_from(USERS), st.integers(0, len(QUESTIONS) - 1),
                 st.integers(0, len(VARIANTS) - 1))  # fmt: skip
restamps = st.tuples(st.just("restamp"), st.integers(0, 99), acls)
edits = st.tuples(st.just("edit"), st.integers(0, 99), st.lists(st.sampled_from(WORDS), min_size=3, max_size=6))


@dataclass
class World:
    index: QdrantEdgeIndex
    memberships: dict[str, frozenset[str]]
    acls: dict[int, Acl] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)
    generated: dict[int, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)  # gen → (question, passages)
    seen: list[tuple[SearchHit, ...]] = field(default_factory=list)  # what the choke point returned, per search

    def tokens(self, user: str) -> frozenset[str]:
        return frozenset({user, "everyone"}) | self.memberships[user]

    def write(self, doc: int, acl: Acl, words: Sequence[str]) -> None:
        self.acls[doc], self.versions[doc] = acl, self.versions.get(doc, -1) + 1
        text = f"{' '.join(words)} D{doc}V{self.versions[doc]}."
        chunk = Chunk(f"doc-{doc}", 0, text, AccessControl(acl.allow, acl.deny, acl.share), title=f"Doc {doc}",
                      metadata={"content_hash": f"v{self.versions[doc]}"})  # fmt: skip
        vector = HashingEmbedder().embed_batch([text])[0]
        self.index.upsert([IndexedChunk(chunk.chunk_id, vector, text, chunk.payload())])


@dataclass
class Recording:
    """The real choke point, with what it returned kept for the test's own bookkeeping."""

    retriever: Retriever
    world: World

    def search(self, scope: Any, query: str, limit: int = 10) -> list[SearchHit]:
        hits = self.retriever.search(scope, query, limit)
        self.world.seen.append(tuple(hits))
        return hits


def passages(hits: Sequence[SearchHit]) -> tuple[Any, ...]:
    """What the test compares of a search: ids, texts and ACL lists, in order (its own reading of them)."""
    return tuple((h.point_id, h.payload["text"], *(tuple(sorted(h.payload[f])) for f in ("acl_allow", "acl_deny",
                 "acl_share"))) for h in hits)  # fmt: skip


def same_question(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip("?")


def replying(world: World) -> Any:
    def reply(messages: Sequence[ChatMessage]) -> str:
        gen = len(world.generated)
        world.generated[gen] = ("", ())  # filled in by the test once it knows the question and the search
        markers = sorted(set(MARKER.findall(messages[-1].content)))
        return f"G{gen} " + " ".join(f"D{d}V{v}" for d, v in markers) + " [1]"

    return reply


def check_ask(world: World, answerer: Answerer, model: ScriptedChatModel, user: str, question: str) -> bool:
    """Asks; checks the served answer against the oracle; True when it was served from the cache."""
    calls = len(model.calls)
    result = answerer.answer(AccessScope(user, world.tokens(user)), question)
    now = passages(world.seen[-1])
    if not result.found:
        assert len(model.calls) == calls or not result.answer.startswith("G")
        return False
    gen = int(re.match(r"G(\d+)", result.answer).group(1))  # type: ignore[union-attr]
    fresh = len(model.calls) > calls
    if fresh:
        world.generated[gen] = (same_question(question), now)
    else:
        assert world.generated[gen] == (same_question(question), now), "a hit for another question or passages"
    for doc, version in MARKER.findall(result.answer):
        assert may_read(world.tokens(user), world.acls[int(doc)]), f"{user} was served doc {doc}"
        assert int(version) == world.versions[int(doc)], f"doc {doc} was served in an old version"
    return not fresh


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.frozensets(st.sampled_from(GROUPS), max_size=3), min_size=len(USERS), max_size=len(USERS)),
    st.lists(docs, min_size=2, max_size=8),
    st.lists(st.one_of(asks, asks, asks, restamps, edits), min_size=5, max_size=40),
)
def test_no_cached_answer_reaches_a_caller_who_could_not_have_got_it_fresh(
    groups: list[frozenset[str]], documents: list[tuple[Acl, list[str]]], steps: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory(dir=MEMORY) as tmp:
        world = World(QdrantEdgeIndex(Path(tmp) / "index"), dict(zip(USERS, groups, strict=True)))
        world.index.ensure_collection(HashingEmbedder().dimension)
        try:
            run(world, documents, steps)
        finally:
            world.index.close()


def run(world: World, documents: list[tuple[Acl, list[str]]], steps: list[tuple[Any, ...]]) -> None:
    for doc, (acl, words) in enumerate(documents):
        world.write(doc, acl, words)
    model = ScriptedChatModel(reply=replying(world))
    s = GenerationSettings(answer_mode="generative", answer_min_term_overlap=0, answer_cache_size=10_000)
    retriever = Recording(Retriever(world.index, HashingEmbedder()), world)
    answerer = Answerer(retriever, model, s, cache=answer_cache_for(s))
    served: set[tuple[str, tuple[Any, ...]]] = set()
    for step in steps:
        if step[0] == "restamp":
            doc, acl = step[1] % len(documents), step[2]
            world.acls[doc] = acl
            world.index.restamp_acl([f"doc-{doc}"], AccessControl(acl.allow, acl.deny, acl.share))
        elif step[0] == "edit":
            world.write(step[1] % len(documents), world.acls[step[1] % len(documents)], step[2])
        else:
            question = VARIANTS[step[3]](QUESTIONS[step[2]])
            hit = check_ask(world, answerer, model, step[1], question)
            asked = (same_question(question), passages(world.seen[-1]))
            if world.seen[-1]:
                assert hit == (asked in served), "the same question over the same passages was not reused"
                served.add(asked)
