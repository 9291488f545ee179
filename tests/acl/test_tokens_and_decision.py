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


# --- one canonical SID form, at index time and at query time ------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("sid:s-1-5-21-1-2-3-1105", "sid:S-1-5-21-1-2-3-1105"),  # lower-case s
        ("sid:S-1-5-21-01-002-3-01105", "sid:S-1-5-21-1-2-3-1105"),  # leading zeros
        ("sid:S-1-05-18", "sid:S-1-5-18"),
        ("sid:S-1-5-32-545", "sid:S-1-5-32-545"),
    ],
)
def test_other_spellings_of_a_sid_become_the_one_canonical_token(raw: str, canonical: str) -> None:
    """A sidecar's spelling and a resolver's spelling of the same SID are the same token."""
    assert tokens.parse(raw) == canonical
    assert tokens.sid(raw.removeprefix("sid:")) == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "sid:S-1-5-021-1105",  # a bare RID behind the 21: not a whole account SID
        "sid:S-1-5-21-1-2-3",  # a domain SID, no account
        "sid:S-1-5-21-1-2-3-4-5",
        "sid:S-1-5-\u0662\u0661-1-2-3-1105",  # Arabic-Indic digits: int() would read them as 21
        "sid:S-1-5-\uff12\uff11-1-2-3-1105",  # full-width digits
        "sid:S-1-5-21-1-2-3-1105\n",  # a trailing newline passed the old $-anchored pattern
        "sid:S-1-5",
        "sid:S-2-5-18",
        "sid:S-1-0x5-18",
        "sid:S-1-5-4294967296",  # a sub-authority is 32 bits
        "sid: S-1-5-18",
        "user:alice\n",
    ],
)
def test_non_canonical_sids_that_cannot_be_canonicalised_are_refused(bad: str) -> None:
    with pytest.raises(AccessControlError):
        tokens.parse(bad)


def test_the_resolvers_binary_sids_and_the_ntfs_mapping_agree_with_the_token_module() -> None:
    from ragwarden.acl.active_directory.wire import sid_from_bytes
    from ragwarden.connectors import ntfs_acl

    raw = ntfs_acl.sid_bytes("S-1-5-21-1-2-3-1105")
    assert tokens.sid(sid_from_bytes(raw)) == tokens.sid(ntfs_acl.parse_sid(raw)[0]) == "sid:S-1-5-21-1-2-3-1105"
