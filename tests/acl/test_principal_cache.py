"""The principal cache: fresh entries from memory, re-resolution after the TTL, and no stale answers."""

from __future__ import annotations

import pytest

from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.core.errors import ConfigurationError, DirectoryUnavailableError
from ragwarden.core.models import AccessScope
from ragwarden.testing.fakes.directory import ScriptedDirectory


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def directory() -> ScriptedDirectory:
    return ScriptedDirectory()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_fresh_entry_is_served_without_asking_the_directory(
    directory: ScriptedDirectory, clock: Clock
) -> None:
    cache = CachingResolver(directory, ttl=60, clock=clock)
    first = cache.resolve("alice")
    clock.now += 59.9
    assert cache.resolve("alice") == first
    assert directory.calls == 1


def test_after_the_ttl_a_revoked_group_is_gone(directory: ScriptedDirectory, clock: Clock) -> None:
    cache = CachingResolver(directory, ttl=60, clock=clock)
    assert cache.resolve("alice").tokens
    directory.groups["alice"] = set()
    clock.now += 60
    assert cache.resolve("alice").is_empty
    assert directory.calls == 2


@pytest.mark.parametrize(
    "failure", [DirectoryUnavailableError("down"), ConnectionRefusedError("refused"), TimeoutError("slow")]
)
def test_directory_down_after_the_ttl_raises_instead_of_serving_stale_tokens(
    directory: ScriptedDirectory, clock: Clock, failure: Exception
) -> None:
    cache = CachingResolver(directory, ttl=60, clock=clock)
    cache.resolve("alice")
    directory.failure = failure
    clock.now += 30
    assert cache.resolve("alice").tokens  # still within the budget
    clock.now += 31
    with pytest.raises(DirectoryUnavailableError):
        cache.resolve("alice")
    with pytest.raises(DirectoryUnavailableError):
        cache.resolve("alice")  # and again: the stale entry is never revived


def test_the_age_counts_from_before_the_directory_answered(
    directory: ScriptedDirectory, clock: Clock
) -> None:
    """A slow directory answer is as old as the moment it was asked for, so the TTL is never stretched."""
    cache = CachingResolver(directory, ttl=10, clock=clock)
    original = directory.resolve

    def slow(user: str) -> AccessScope:
        clock.now += 4
        return original(user)

    directory.resolve = slow  # type: ignore[method-assign]
    cache.resolve("alice")
    assert cache.age("alice") == 4
    clock.now += 6
    cache.resolve("alice")
    assert directory.calls == 2


def test_unknown_users_are_cached_too_and_eviction_is_bounded(
    directory: ScriptedDirectory, clock: Clock
) -> None:
    cache = CachingResolver(directory, ttl=60, clock=clock, max_entries=2)
    assert cache.resolve("nobody").is_empty
    cache.resolve("nobody")
    assert directory.calls == 1
    cache.resolve("a")
    cache.resolve("b")
    assert cache.age("nobody") is None  # the least recently resolved went first


def test_invalidate_forgets_one_or_all(directory: ScriptedDirectory, clock: Clock) -> None:
    cache = CachingResolver(directory, ttl=60, clock=clock)
    cache.resolve("alice")
    cache.invalidate("alice")
    cache.resolve("alice")
    cache.invalidate()
    cache.resolve("alice")
    assert directory.calls == 3


def test_describe_is_delegated(directory: ScriptedDirectory) -> None:
    assert CachingResolver(directory).describe("sid:S-1-1-0") == "name of sid:S-1-1-0"


def test_a_negative_ttl_is_a_configuration_error(directory: ScriptedDirectory) -> None:
    with pytest.raises(ConfigurationError):
        CachingResolver(directory, ttl=-1)
