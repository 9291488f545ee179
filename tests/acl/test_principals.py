"""A deny must name someone a configured resolver can put in a caller's scope; an allow naming nobody we
can resolve grants nothing. Checked against the real local directory and the Entra/AD emitters."""

from __future__ import annotations

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.acl.principals import (
    NOTHING,
    Emittable,
    UnresolvablePrincipalError,
    admit,
    emittable_of,
    entra_emittable,
)
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessControl

DOMAIN = "S-1-5-21-10-20-30"
GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture(scope="module")
def local() -> LocalDirectory:
    return LocalDirectory.from_mapping(
        {"users": {"alice": {"groups": ["hr"]}, "dora": {"disabled": True}}, "groups": {"hr": {}, "rnd": {}}}
    )


def acl(allow: set[str], deny: set[str] | None = None, share: set[str] | None = None) -> AccessControl:
    return AccessControl(allow=frozenset(allow), deny=frozenset(deny or ()), share=frozenset(share or ()))


def test_the_local_directory_emits_its_users_groups_and_everyone(local: LocalDirectory) -> None:
    can = local.emittable()
    for token in ("user:alice", "user:dora", "group:hr", "group:rnd", "everyone"):
        assert token in can
    for token in ("user:mallory", "group:sales", "sid:S-1-1-0", f"entra:{GUID}", "upn:alice@corp.example"):
        assert token not in can
    # whatever the directory resolves is emittable: a deny on it can bite
    resolved = local.resolve("alice").tokens
    assert resolved and all(t in can for t in resolved)


@pytest.mark.parametrize(
    "deny",
    ["user:mallory", "group:sales", "upn:alice@corp.example", "spgroup:site:7", "sid:S-1-5-32-544", f"entra:{GUID}"],
)
def test_a_deny_no_local_caller_can_hold_keeps_the_document_out(local: LocalDirectory, deny: str) -> None:
    with pytest.raises(UnresolvablePrincipalError, match="deny"):
        admit(acl({"group:hr"}, {deny}), local.emittable())


def test_a_deny_a_local_caller_can_hold_is_kept(local: LocalDirectory) -> None:
    given = acl({"everyone"}, {"group:rnd", "user:alice"})
    admission = admit(given, local.emittable())
    assert admission.acl == given and not admission.ignored


def test_allow_entries_naming_nobody_are_left_out_and_reported(local: LocalDirectory) -> None:
    admission = admit(acl({"group:hr", "upn:x@corp.example", "group:sales"}), local.emittable())
    assert admission.acl.allow == {"group:hr"}
    assert admission.ignored == {"upn:x@corp.example", "group:sales"}


def test_a_document_no_resolvable_principal_may_read_is_refused(local: LocalDirectory) -> None:
    with pytest.raises(UnresolvablePrincipalError, match="no allow entry"):
        admit(acl({"spgroup:site:7", "upn:x@corp.example"}), local.emittable())


def test_share_entries_are_narrowed_never_dropped_to_no_restriction(local: LocalDirectory) -> None:
    """An empty share set means "no share restriction": left with none resolvable, the document is refused."""
    narrowed = admit(acl({"everyone"}, share={"group:hr", "group:sales"}), local.emittable())
    assert narrowed.acl.share == {"group:hr"}
    with pytest.raises(UnresolvablePrincipalError, match="share"):
        admit(acl({"everyone"}, share={"group:sales"}), local.emittable())


def test_entra_emits_object_ids_and_the_hybrid_domains_sids() -> None:
    can = entra_emittable([DOMAIN])
    assert f"entra:{GUID}" in can and "sid:S-1-1-0" in can and "sid:S-1-5-11" in can
    assert tokens.sid(f"{DOMAIN}-1105") in can
    for token in ("sid:S-1-5-21-1-2-3-1105", "sid:S-1-5-2", "sid:S-1-5-32-545", "user:alice", "spgroup:s:1"):
        assert token not in can
    with pytest.raises(AccessControlError):
        entra_emittable(["S-1-5"])  # would take in NETWORK, INTERACTIVE, SYSTEM…


def test_the_union_covers_every_configured_resolver_and_sees_through_the_cache(local: LocalDirectory) -> None:
    both = emittable_of([CachingResolver(local, ttl=1.0)]) | entra_emittable()
    assert "group:hr" in both and f"entra:{GUID}" in both
    assert emittable_of([object()]) == NOTHING  # a resolver that cannot say what it emits adds nothing
    assert "everyone" not in NOTHING


def test_a_domain_prefix_admits_its_accounts_only() -> None:
    can = Emittable(sid_domains=frozenset({DOMAIN}))
    assert f"sid:{DOMAIN}-512" in can
    assert f"sid:{DOMAIN}-512-1" not in can and "sid:S-1-5-21-10-20-31-512" not in can
