"""One token format for index time and query time; the decision rule: allow ∩ T, share ∩ T when set,
and any matching deny wins."""

from __future__ import annotations

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.decision import decide
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessControl, AccessScope


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("user:Alice", "user:alice"),
        ("group:HR-Leads", "group:hr-leads"),
        ("everyone", "everyone"),
        ("sid:S-1-5-21-1-2-3-1105", "sid:S-1-5-21-1-2-3-1105"),
        ("entra:0F8FAD5B-D9CB-469F-A165-70867728950E", "entra:0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("upn:Alice@Corp.Example", "upn:alice@corp.example"),
        ("spgroup:site1:7", "spgroup:site1:7"),
    ],
)
def test_tokens_are_canonical(raw: str, canonical: str) -> None:
    assert tokens.parse(raw) == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "alice",
        "role:admin",
        "user:",
        "user:*",
        "group:a b",
        "sid:1105",
        "sid:S-1",
        "entra:nope",
        "Everyone",
        "",
        "user:a:b",
    ],
)
def test_tokens_not_understood_are_refused(bad: str) -> None:
    with pytest.raises(AccessControlError):
        tokens.parse(bad)


def scope(*t: str) -> AccessScope:
    return AccessScope("x", frozenset(t))


def test_allow_matches_any_token() -> None:
    d = decide(AccessControl(frozenset({"group:hr", "user:bob"})), scope("user:bob", "everyone"))
    assert d.allowed and d.deciding_tokens == ("user:bob",)


def test_any_matching_deny_wins_over_an_allow() -> None:
    d = decide(AccessControl(frozenset({"group:hr"}), frozenset({"user:carl"})), scope("user:carl", "group:hr"))
    assert not d.allowed and d.deciding_tokens == ("user:carl",)


def test_share_permission_must_match_too() -> None:
    acl = AccessControl(frozenset({"group:hr"}), share=frozenset({"group:share-users"}))
    assert not decide(acl, scope("group:hr")).allowed
    assert decide(acl, scope("group:hr", "group:share-users")).allowed


def test_empty_scope_sees_nothing() -> None:
    assert not decide(AccessControl(frozenset({"everyone"})), scope()).allowed
