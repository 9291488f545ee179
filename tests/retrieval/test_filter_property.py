"""The index's ACL filter against an independent oracle, on a generated directory and corpus.

The oracle is written here, from the access model's wording, and resolves nested groups itself: it
shares no code with ``ragwarden.acl`` or the adapters' filter. Visibility is read back through
:meth:`search` itself (dense, hybrid and sparse), so the checked filter is the one searches use.
The whole path (folder corpus, connector, sync, index) on ≥ 1 000 000 decisions is ``tests/test_leak_hunt.py``.
"""

from __future__ import annotations

import random
import tempfile
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragwarden.core.models import AccessControl, AccessScope
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.testing.contracts.vector_index_data import make_chunk

DIM = 8
WORD = "Vorgang"  # in every chunk, so a keyword query reaches all of them


@dataclass
class World:
    users: dict[str, list[str]]  # user → direct groups
    member_of: dict[str, list[str]]  # group → parent groups (cycles allowed)
    docs: dict[str, dict[str, list[str]]]  # doc id → {"allow": [...], "deny": [...], "share": [...]}


# -- the oracle -------------------------------------------------------------------------------------


def oracle_tokens(world: World, user: str) -> set[str]:
    """user:<name>, every group reachable through memberships (any depth, cycles), and everyone."""
    if user not in world.users:
        return set()
    seen: set[str] = set()
    queue = deque(world.users[user])
    while queue:
        group = queue.popleft()
        if group in seen:
            continue
        seen.add(group)
        queue.extend(world.member_of.get(group, []))
    return {f"user:{user}", "everyone"} | {f"group:{g}" for g in seen}


def oracle_allows(tokens: set[str], acl: Mapping[str, Sequence[str]]) -> bool:
    if not tokens:
        return False
    allowed = any(t in tokens for t in acl["allow"])
    on_share = not acl["share"] or any(t in tokens for t in acl["share"])
    denied = any(t in tokens for t in acl["deny"])
    return allowed and on_share and not denied


# -- generation -------------------------------------------------------------------------------------


def generate_world(rng: random.Random, n_users: int, n_groups: int, n_docs: int) -> World:
    groups = [f"g{i}" for i in range(n_groups - 3)] + ["Domain Users", "Geschäftsführung", "S-1-5-21-9-1104"]
    member_of = {g: rng.sample(groups, rng.choice([0, 0, 1, 1, 2])) for g in groups}  # cycles happen
    users = {f"u{i}": rng.sample(groups, rng.randint(0, 3)) for i in range(n_users)}
    principals = [f"group:{g}" for g in groups] + [f"user:{u}" for u in users] + ["everyone", "user:ghost"]

    def some(k_max: int, pool: Sequence[str] = principals) -> list[str]:
        return rng.sample(pool, rng.randint(1, k_max))

    docs = {}
    for i in range(n_docs):
        docs[f"doc-{i}"] = {
            "allow": some(3),
            "deny": some(2) if rng.random() < 0.35 else [],
            "share": some(2, [f"group:{g}" for g in groups] + ["everyone"]) if rng.random() < 0.3 else [],
        }
    return World(users, member_of, docs)


def build_index(path: Path, world: World, rng: random.Random) -> QdrantEdgeIndex:
    index = QdrantEdgeIndex(path)
    index.ensure_collection(DIM)
    chunks = []
    for doc_id, acl in world.docs.items():
        for part in range(rng.choice([1, 1, 2])):
            dense = [rng.uniform(-1, 1) for _ in range(DIM)]
            text = f"{WORD} {doc_id} Teil {part}"
            chunks.append(make_chunk(doc_id, text, acl["allow"], acl["deny"], acl["share"], part, dense))
    index.upsert(chunks)
    return index


# -- checking ---------------------------------------------------------------------------------------


def visible_via_search(index: QdrantEdgeIndex, tokens: set[str], mode: str) -> set[str]:
    scope = AccessScope("someone", frozenset(tokens))
    hits = index.search(scope, [1.0] * DIM, WORD, 1000, mode)  # type: ignore[arg-type]
    for hit in hits:  # the payload that came back agrees with the filter that let it through
        assert oracle_allows(tokens, {"allow": hit.payload["acl_allow"], "deny": hit.payload["acl_deny"],
                                      "share": hit.payload["acl_share"]})  # fmt: skip
    return {hit.doc_id for hit in hits}


def check_all(index: QdrantEdgeIndex, world: World, users: Iterable[str], modes: Sequence[str]) -> int:
    """Compares index and oracle for every (user, document); returns the number of decisions."""
    decisions = 0
    for i, user in enumerate(users):
        tokens = oracle_tokens(world, user)
        expected = {d for d, acl in world.docs.items() if oracle_allows(tokens, acl)}
        mode = modes[i % len(modes)]
        assert visible_via_search(index, tokens, mode) == expected, (user, mode)
        decisions += len(world.docs)
    return decisions


def restamp_some(index: QdrantEdgeIndex, world: World, rng: random.Random, share: float) -> None:
    fresh = generate_world(rng, 0, 12, len(world.docs))  # new random ACLs over the same tokens
    for doc_id, acl in zip(world.docs, fresh.docs.values(), strict=True):
        if rng.random() < share:
            world.docs[doc_id] = acl
            index.restamp_acl([doc_id], AccessControl(frozenset(acl["allow"]), frozenset(acl["deny"]),
                                                      frozenset(acl["share"])))  # fmt: skip


def test_index_filter_agrees_with_the_oracle_on_every_user_and_document(tmp_path: Path) -> None:
    """≥ 100 000 (user, document) decisions: nested groups with cycles, denies, shares, re-stamps."""
    rng = random.Random(20240531)
    world = generate_world(rng, n_users=200, n_groups=60, n_docs=600)
    index = build_index(tmp_path / "idx", world, rng)
    try:
        users = [*world.users, "nobody-knows-me"]
        decisions = check_all(index, world, users, ["dense", "dense", "hybrid", "sparse"])
        restamp_some(index, world, rng, share=0.3)
        decisions += check_all(index, world, users, ["dense", "hybrid", "sparse"])
    finally:
        index.close()
    assert decisions >= 100_000


@st.composite
def worlds(draw: st.DrawFn) -> tuple[World, int]:
    seed = draw(st.integers(0, 2**32 - 1))
    sizes = draw(st.tuples(st.integers(1, 8), st.integers(3, 8), st.integers(1, 25)))
    return generate_world(random.Random(seed), *sizes), seed


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_index_filter_agrees_with_the_oracle_on_small_generated_worlds(case: tuple[World, int]) -> None:
    world, seed = case
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(Path(tmp), world, rng)
        try:
            check_all(index, world, [*world.users, "stranger"], ["dense", "hybrid", "sparse"])
        finally:
            index.close()


def test_a_joint_scope_sees_exactly_what_every_member_may_see(tmp_path: Path) -> None:
    """A group chat's reply: the index's AND of the members' filters agrees with the oracle for every
    sampled group of 2–4 users (and a group with an unknown member sees nothing)."""
    from ragwarden.core.models import JointScope

    rng = random.Random(20261121)
    world = generate_world(rng, n_users=40, n_groups=20, n_docs=200)
    index = build_index(tmp_path / "idx", world, rng)
    try:
        for trial in range(60):
            people = rng.sample(sorted(world.users), rng.randint(2, 4))
            if trial % 10 == 0:
                people.append("unknown-guest")
            member_tokens = [oracle_tokens(world, user) for user in people]
            expected = {
                d for d, acl in world.docs.items() if all(oracle_allows(tokens, acl) for tokens in member_tokens)
            }
            joint = JointScope(
                "chat", tuple(AccessScope(u, frozenset(t)) for u, t in zip(people, member_tokens, strict=True))
            )
            mode = ("dense", "hybrid", "sparse")[trial % 3]
            found = {hit.doc_id for hit in index.search(joint, [1.0] * DIM, WORD, 1000, mode)}  # type: ignore[arg-type]
            assert found == expected, (people, mode)
    finally:
        index.close()
