"""Fail closed in the types: no ACL-less chunk, no allow-less ACL, no 'unrestricted' scope."""

from __future__ import annotations

import pytest

from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessControl, AccessScope, Chunk, chunk_id


def test_an_acl_must_allow_someone() -> None:
    with pytest.raises(AccessControlError):
        AccessControl(allow=frozenset())


def test_acl_tokens_must_be_a_list_not_a_string() -> None:
    with pytest.raises(AccessControlError):
        AccessControl(allow="group:hr")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", " group:hr", None, 3])
def test_acl_tokens_must_be_clean_strings(bad: object) -> None:
    with pytest.raises(AccessControlError):
        AccessControl(allow=frozenset({"group:hr", bad}))  # type: ignore[arg-type]


def test_a_chunk_cannot_exist_without_an_acl() -> None:
    with pytest.raises(AccessControlError):
        Chunk("d", 0, "text", acl=None)  # type: ignore[arg-type]


def test_acl_version_is_stable_and_order_free() -> None:
    a = AccessControl(frozenset({"group:a", "group:b"}), frozenset({"user:x"}))
    b = AccessControl(frozenset({"group:b", "group:a"}), frozenset({"user:x"}))
    assert a.version == b.version
    assert a.version != AccessControl(frozenset({"group:a"})).version


def test_payload_round_trip() -> None:
    acl = AccessControl(frozenset({"group:a"}), frozenset({"user:x"}), frozenset({"group:s"}))
    assert AccessControl.from_payload(acl.to_payload()) == acl


def test_chunk_ids_are_deterministic_uuids() -> None:
    assert chunk_id("doc", 1) == chunk_id("doc", 1) != chunk_id("doc", 2)
    assert len(chunk_id("doc", 1)) == 36


def test_empty_scope_is_empty() -> None:
    assert AccessScope("nobody", frozenset()).is_empty
