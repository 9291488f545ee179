"""The contract every :class:`~ragwarden.core.ports.PrincipalResolver` keeps, and the principal cache's.

Subclass :class:`PrincipalResolverContract` in a test module and provide two fixtures: ``resolver`` (the
adapter, talking to a real or stand-in directory) and ``world`` (a :class:`ResolverWorld`: who is in that
directory, and how to take it down)::

    class TestMyDirectory(PrincipalResolverContract):
        @pytest.fixture
        def resolver(self, my_server) -> PrincipalResolver: ...

        @pytest.fixture
        def world(self, my_server) -> ResolverWorld:
            return World(known_user="alice", expected_tokens=frozenset({...}), unknown_user="nobody",
                         disabled_user=Unsupported("groups cannot be disabled"), outages={...})

What a capability the adapter lacks looks like: :class:`Unsupported` with the reason, and the test that
needs it is skipped saying why. :class:`CachingResolverContract` checks a resolver that caches another one
(fixture ``make_cache``) against :class:`~ragwarden.testing.fakes.directory.ScriptedDirectory`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import pytest

from ragwarden.core.errors import DirectoryUnavailableError, RagwardenError, TransientError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver
from ragwarden.testing.fakes.directory import ALICE_SID, STAFF_SID, ScriptedDirectory

#: a way to make the directory unavailable: within the block, ask the resolver it yields
Outage = Callable[[], AbstractContextManager[PrincipalResolver]]

MALFORMED_NAMES = {
    "empty": "",
    "blank": "   ",
    "wildcard": "*",
    "ldap-injection": "*)(objectClass=*",
    "ldap-or-injection": "x)(|(sAMAccountName=*)",
    "path-traversal": "../../users/x",
    "url-encoded": "%2e%2e%2fusers",
    "nul": "alice\x00",
    "newline": "alice\nbob",
    "domain-only": "CORP\\",
    "at-only": "@",
    "very-long": "a" * 10_000,
}
UNKNOWN_TOKENS = (
    "sid:S-1-5-21-9-9-9-999999",
    "entra:00000000-0000-0000-0000-000000000000",
    "group:no-such-group",
    "user:no-such-user",
    "everyone",
    "sid:not-a-sid",
    "entra:../../users",
    "garbage",
    "",
)


@dataclass(frozen=True, slots=True)
class Unsupported:
    """This adapter cannot do what the test needs; ``reason`` is shown with the skip."""

    reason: str


class ResolverWorld(Protocol):
    """What the contract needs to know about the directory behind the resolver under test."""

    @property
    def known_user(self) -> str: ...

    @property
    def expected_tokens(self) -> frozenset[str]:
        """Tokens the known user's scope must hold (at least: their own token and one group)."""

    @property
    def foreign_tokens(self) -> frozenset[str]:
        """Tokens that exist in the directory but that the known user must not hold."""

    @property
    def unknown_user(self) -> str: ...

    @property
    def disabled_user(self) -> str | Unsupported:
        """A user who exists, with groups, but is disabled."""

    @property
    def outages(self) -> Mapping[str, Outage] | Unsupported:
        """Named ways to make the directory unavailable (a closed port, a 503, a broken connection)."""

    def principal_of(self, user: str) -> str:
        """The ``principal`` a scope resolved for ``user`` carries (normally ``user`` itself)."""


@dataclass(frozen=True)
class World:
    """A plain :class:`ResolverWorld`."""

    known_user: str
    expected_tokens: frozenset[str]
    unknown_user: str
    disabled_user: str | Unsupported
    outages: Mapping[str, Outage] | Unsupported
    foreign_tokens: frozenset[str] = frozenset()
    principal_prefix: str = ""

    def principal_of(self, user: str) -> str:
        return f"{self.principal_prefix}{user}"


def _empty_or_refused(resolver: PrincipalResolver, name: str) -> AccessScope | None:
    """The scope for ``name``, or None when the resolver refused it with a permanent ragwarden error."""
    try:
        return resolver.resolve(name)
    except TransientError:
        raise  # "the directory is down" is not an answer to a bad name: callers would retry it
    except RagwardenError:
        return None


class PrincipalResolverContract:
    """Tests every ``PrincipalResolver`` must pass. Fixtures to provide: ``resolver``, ``world``."""

    def test_a_known_user_holds_the_expected_tokens_and_is_the_principal(
        self, resolver: PrincipalResolver, world: ResolverWorld
    ) -> None:
        assert len(world.expected_tokens) >= 2, "name at least the user's own token and one group"
        scope = resolver.resolve(world.known_user)
        assert isinstance(scope, AccessScope)
        assert world.expected_tokens <= scope.tokens, f"missing: {world.expected_tokens - scope.tokens}"
        assert scope.principal == world.principal_of(world.known_user)

    def test_a_known_user_holds_no_one_elses_tokens(self, resolver: PrincipalResolver, world: ResolverWorld) -> None:
        if not world.foreign_tokens:
            pytest.skip("the world names no tokens the known user must not hold")
        scope = resolver.resolve(world.known_user)
        assert not scope.tokens & world.foreign_tokens

    def test_an_unknown_user_resolves_to_nothing(self, resolver: PrincipalResolver, world: ResolverWorld) -> None:
        assert resolver.resolve(world.unknown_user).is_empty

    def test_a_disabled_user_resolves_to_nothing(self, resolver: PrincipalResolver, world: ResolverWorld) -> None:
        if isinstance(world.disabled_user, Unsupported):
            pytest.skip(world.disabled_user.reason)
        assert resolver.resolve(world.disabled_user).is_empty

    @pytest.mark.parametrize("name", list(MALFORMED_NAMES.values()), ids=list(MALFORMED_NAMES))
    def test_a_malformed_name_resolves_to_nothing_or_is_refused(
        self, resolver: PrincipalResolver, name: str
    ) -> None:
        """Empty scope or a permanent ragwarden error; never another exception, never someone's tokens."""
        scope = _empty_or_refused(resolver, name)
        assert scope is None or scope.is_empty, f"{name[:40]!r} resolved to {sorted(scope.tokens)[:5]}"

    @pytest.mark.parametrize("suffix", ["*", ")(objectClass=*", "/../x", "\x00", "?$select=id", "\\"])
    def test_the_known_name_with_injected_characters_is_nobody(
        self, resolver: PrincipalResolver, world: ResolverWorld, suffix: str
    ) -> None:
        scope = _empty_or_refused(resolver, world.known_user + suffix)
        assert scope is None or scope.is_empty, f"{suffix!r} appended still resolved to {sorted(scope.tokens)[:5]}"

    def test_a_directory_that_cannot_answer_raises_and_never_gives_a_partial_scope(self, world: ResolverWorld) -> None:
        """Fail closed: a scope built from half an answer could miss a group that carries a deny entry."""
        if isinstance(world.outages, Unsupported):
            pytest.skip(world.outages.reason)
        assert world.outages, "name at least one outage, or say Unsupported"
        for name, outage in world.outages.items():
            with outage() as down:
                try:
                    scope = down.resolve(world.known_user)
                except DirectoryUnavailableError:
                    continue
            pytest.fail(f"outage {name!r}: resolved to {sorted(scope.tokens)[:5]} instead of raising")

    def test_describe_names_any_token_without_raising(self, resolver: PrincipalResolver, world: ResolverWorld) -> None:
        resolver.resolve(world.known_user)  # some adapters learn names while resolving
        for token in sorted(world.expected_tokens | world.foreign_tokens):
            name = resolver.describe(token)
            assert isinstance(name, str) and name, token
        for token in UNKNOWN_TOKENS:
            assert isinstance(resolver.describe(token), str), token

    def test_describe_does_not_raise_while_the_directory_is_down(self, world: ResolverWorld) -> None:
        """A name is cosmetic: explain/whoami degrade to the raw token, the decision never depended on it."""
        if isinstance(world.outages, Unsupported):
            pytest.skip(world.outages.reason)
        for outage in world.outages.values():
            with outage() as down:
                for token in (*sorted(world.expected_tokens), *UNKNOWN_TOKENS):
                    assert isinstance(down.describe(token), str), token


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


#: builds the cache under test around ``inner`` with ``ttl`` seconds and ``clock``
CacheFactory = Callable[[PrincipalResolver, float, Callable[[], float]], PrincipalResolver]
ALICE = frozenset({ALICE_SID, STAFF_SID})
TTL = 60.0


@dataclass
class _Cached:
    cache: PrincipalResolver
    inner: ScriptedDirectory
    clock: ManualClock


class CachingResolverContract:
    """What a principal cache promises (``ragwarden.acl.principal_cache``): the TTL is the revocation
    budget. A scope younger than the TTL comes from memory; an older one is resolved again; a directory
    error is raised as :class:`DirectoryUnavailableError` and never cached, nor replaced by a stale or
    empty scope. Fixture to provide: ``make_cache`` (a :data:`CacheFactory`)."""

    @pytest.fixture
    def cached(self, make_cache: CacheFactory) -> _Cached:
        inner, clock = ScriptedDirectory(), ManualClock()
        return _Cached(make_cache(inner, TTL, clock), inner, clock)

    def test_a_repeat_within_the_ttl_does_not_ask_the_directory(self, cached: _Cached) -> None:
        assert cached.cache.resolve("alice").tokens == ALICE
        cached.clock.now += TTL - 0.1
        assert cached.cache.resolve("alice").tokens == ALICE
        assert cached.inner.calls == 1

    def test_after_the_ttl_the_directory_is_asked_again_and_a_revoked_group_is_gone(self, cached: _Cached) -> None:
        cached.cache.resolve("alice")
        cached.inner.groups["alice"] = {ALICE_SID}
        cached.clock.now += TTL
        assert cached.cache.resolve("alice").tokens == {ALICE_SID}
        assert cached.inner.calls == 2

    def test_one_users_entry_never_answers_for_another(self, cached: _Cached) -> None:
        cached.cache.resolve("alice")
        bob = cached.cache.resolve("bob")
        assert bob.is_empty and bob.principal == "bob"
        assert cached.inner.asked == ["alice", "bob"]

    @pytest.mark.parametrize(
        "failure",
        [DirectoryUnavailableError("down"), ConnectionRefusedError("refused"), TimeoutError("slow")],
        ids=["directory-unavailable", "connection-refused", "timeout"],
    )
    def test_an_error_is_raised_and_not_cached_as_an_empty_scope(self, cached: _Cached, failure: Exception) -> None:
        cached.inner.failure = failure
        for _ in range(2):
            with pytest.raises(DirectoryUnavailableError):
                cached.cache.resolve("alice")
        assert cached.inner.calls == 2  # the error was not remembered as an answer
        cached.inner.failure = None
        assert cached.cache.resolve("alice").tokens == ALICE  # not an empty scope left behind by the error
        assert cached.inner.calls == 3

    def test_a_stale_scope_is_never_served_while_the_directory_is_down(self, cached: _Cached) -> None:
        cached.cache.resolve("alice")
        cached.inner.failure = DirectoryUnavailableError("down")
        cached.clock.now += TTL / 2
        assert cached.cache.resolve("alice").tokens == ALICE  # within the budget: from memory
        cached.clock.now += TTL / 2
        for _ in range(2):  # and the stale entry is not revived by the failure
            with pytest.raises(DirectoryUnavailableError):
                cached.cache.resolve("alice")

    def test_the_ttl_counts_from_before_the_directory_answered(self, cached: _Cached) -> None:
        """A slow answer is as old as the question: the TTL is never stretched by the directory's latency."""
        inner, clock = cached.inner, cached.clock
        ask = inner.resolve

        def slow(user: str) -> AccessScope:
            clock.now += 4
            return ask(user)

        inner.resolve = slow  # type: ignore[method-assign]
        cached.cache.resolve("alice")
        clock.now += TTL - 4
        cached.cache.resolve("alice")
        assert inner.calls == 2

    def test_a_zero_ttl_asks_every_time(self, make_cache: CacheFactory) -> None:
        inner = ScriptedDirectory()
        cache = make_cache(inner, 0.0, ManualClock())
        cache.resolve("alice")
        cache.resolve("alice")
        assert inner.calls == 2

    def test_describe_is_the_inner_resolvers(self, cached: _Cached) -> None:
        assert cached.cache.describe(ALICE_SID) == cached.inner.describe(ALICE_SID)
