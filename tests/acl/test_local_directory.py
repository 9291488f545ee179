"""The local directory: a user's tokens are themselves, every group reached at any depth, and everyone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.ports import PrincipalResolver

DEMO_LIKE = """
users:
  alice: {groups: [hr-leads], display_name: Alice Adler}
  bob:   {groups: [rnd]}
  carol: {groups: [hr], disabled: true}
  dave: {}
groups:
  hr-leads: {member_of: [hr], display_name: HR-Leitung}
  hr: {member_of: [staff]}
  rnd: {member_of: [staff]}
  staff: {}
"""


@pytest.fixture
def directory(tmp_path: Path) -> LocalDirectory:
    path = tmp_path / "directory.yaml"
    path.write_text(DEMO_LIKE, encoding="utf-8")
    return LocalDirectory.from_file(path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dir.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_is_a_principal_resolver(directory: LocalDirectory) -> None:
    resolver: PrincipalResolver = directory
    assert resolver.resolve("alice").principal == "alice"


def test_nested_groups_are_reached_at_any_depth(directory: LocalDirectory) -> None:
    """alice is in hr-leads, which is in hr, which is in staff: she holds all three groups."""
    scope = directory.resolve("alice")
    assert scope.tokens == {
        "user:alice",
        "group:hr-leads",
        "group:hr",
        "group:staff",
        tokens.EVERYONE,
    }


def test_a_user_without_groups_still_has_themselves_and_everyone(directory: LocalDirectory) -> None:
    assert directory.resolve("dave").tokens == {"user:dave", "everyone"}


def test_a_long_chain_of_groups_resolves_without_recursion_limits() -> None:
    depth = 3000  # well past Python's recursion limit of 1000
    groups = {f"g{i}": {"member_of": [f"g{i + 1}"]} for i in range(depth)}
    groups[f"g{depth}"] = {}
    directory = LocalDirectory.from_mapping({"users": {"u": {"groups": ["g0"]}}, "groups": groups})
    assert len(directory.resolve("u").tokens) == depth + 1 + 2


def test_cycles_are_tolerated_and_every_member_of_a_cycle_is_reached() -> None:
    data = {
        "users": {"u": {"groups": ["a"]}, "v": {"groups": ["c"]}},
        "groups": {
            "a": {"member_of": ["b"]},
            "b": {"member_of": ["c"]},
            "c": {"member_of": ["a", "d"]},
            "d": {"member_of": ["d"]},
        },
    }
    directory = LocalDirectory.from_mapping(data)
    expected = {"group:a", "group:b", "group:c", "group:d", "everyone"}
    assert directory.resolve("u").tokens == expected | {"user:u"}
    assert directory.resolve("v").tokens == expected | {"user:v"}


def test_closures_match_a_naive_search_on_a_random_graph() -> None:
    import random

    rng = random.Random(7)
    names = [f"g{i}" for i in range(300)]
    groups = {n: {"member_of": rng.sample(names, rng.randint(0, 3))} for n in names}
    users = {f"u{i}": {"groups": rng.sample(names, rng.randint(0, 2))} for i in range(200)}
    directory = LocalDirectory.from_mapping({"users": users, "groups": groups})
    for user, entry in users.items():
        seen: set[str] = set()
        todo = list(entry["groups"])
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo.extend(groups[g]["member_of"])
        expected = {f"group:{g}" for g in seen} | {f"user:{user}", "everyone"}
        assert directory.resolve(user).tokens == expected


def test_an_unknown_user_gets_an_empty_scope_and_sees_nothing(directory: LocalDirectory) -> None:
    scope = directory.resolve("mallory")
    assert scope.is_empty
    assert directory.resolve("not a valid name").is_empty
    assert directory.resolve("").is_empty


def test_a_disabled_user_gets_an_empty_scope(directory: LocalDirectory) -> None:
    assert directory.resolve("carol").is_empty
    assert not directory.is_enabled("carol")
    assert "carol" in directory.users()


def test_user_names_are_case_insensitive_and_tokens_lower_case() -> None:
    directory = LocalDirectory.from_mapping(
        {"users": {"Alice": {"groups": ["HR-Leads"]}}, "groups": {"hr-leads": {}}}
    )
    for spelling in ("alice", "ALICE", "Alice", " alice "):
        scope = directory.resolve(spelling)
        assert scope.principal == "alice"
        assert scope.tokens == {"user:alice", "group:hr-leads", "everyone"}


def test_describe_names_users_groups_and_everyone(directory: LocalDirectory) -> None:
    assert directory.describe("group:hr-leads") == "group hr-leads (HR-Leitung)"
    assert directory.describe("group:hr") == "group hr"
    assert directory.describe("user:alice") == "user alice (Alice Adler)"
    assert directory.describe("user:zed") == "user zed (not in the local directory)"
    assert directory.describe("everyone").startswith("everyone")
    assert directory.describe("sid:S-1-5-11") == "sid:S-1-5-11"


def test_users_and_display_names(directory: LocalDirectory) -> None:
    assert directory.users() == ["alice", "bob", "carol", "dave"]
    assert directory.groups() == ["hr", "hr-leads", "rnd", "staff"]
    assert directory.display_name("ALICE") == "Alice Adler"
    assert directory.display_name("bob") == "bob"
    assert directory.display_name("nobody") == "nobody"


def test_an_entry_without_a_body_is_empty(tmp_path: Path) -> None:
    directory = LocalDirectory.from_file(write(tmp_path, "users:\n  u:\ngroups:\n  g:\n"))
    assert directory.resolve("u").tokens == {"user:u", "everyone"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("users: [alice, bob\n", "malformed YAML"),
        ("", "is empty"),
        ("- alice\n", "the top level must be a mapping"),
        ("users: {alice: {groups: [hr]}}\n", "users.alice.groups: group 'hr' is referenced but not defined"),
        ("groups: {a: {member_of: [b]}}\n", "groups.a.member_of: group 'b' is referenced but not defined"),
        ("users: {alice: [hr]}\n", "users.alice must be a mapping, got list"),
        ("users: {alice: {groups: hr}}\ngroups: {hr: {}}\n", "users.alice.groups must be a list"),
        ("users: {alice: {group: [hr]}}\ngroups: {hr: {}}\n", "users.alice: unknown keys ['group']"),
        ("users: {alice: {disabled: maybe}}\n", "users.alice.disabled must be true or false"),
        ("users: {'al ice': {}}\n", "invalid user name 'al ice'"),
        ("users: {no: {}}\n", "user name False must be a string (quote it)"),
        ("groups: {'h/r': {}}\n", "invalid group name 'h/r'"),
        ("users: {alice: {}, Alice: {}}\n", "users.Alice: defined twice"),
        ("users: {alice: {}}\nusers: {bob: {}}\n", "duplicate key 'users'"),
        ("people: {}\n", "unknown top-level keys ['people']"),
        ("users: {alice: {display_name: 3}}\n", "users.alice.display_name must be a non-empty string"),
    ],
)
def test_a_bad_directory_file_is_a_configuration_error_naming_file_and_entry(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        LocalDirectory.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert fragment in message


def test_a_missing_directory_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        LocalDirectory.from_file(tmp_path / "nope.yaml")


def test_loading_thousands_of_users_is_fast() -> None:
    """Closures are computed once at load; resolve is a look-up."""
    groups = {f"g{i}": {"member_of": [f"g{i // 10}"] if i else []} for i in range(2000)}
    users = {f"u{i}": {"groups": [f"g{i % 2000}", f"g{(i * 7) % 2000}"]} for i in range(10000)}
    start = time.perf_counter()
    directory = LocalDirectory.from_mapping({"users": users, "groups": groups})
    assert time.perf_counter() - start < 5.0
    assert "group:g0" in directory.resolve("u1999").tokens
