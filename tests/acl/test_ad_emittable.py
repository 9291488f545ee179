"""Against the real Samba AD DC: what the AD resolver can emit (and so which ACL entries can bite), BUILTIN
SIDs left to the file server, and expired accounts or passwords resolving to nothing."""

from __future__ import annotations

import time

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.active_directory.resolver import ActiveDirectoryResolver
from ragwarden.acl.principals import UnresolvablePrincipalError, admit
from ragwarden.connectors import ntfs_acl
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import AccessControl
from tests.fixtures.samba import FOREIGN_SID, NESTED, SambaDirectory

OTHER_DOMAIN_GROUP = "S-1-5-21-1111111111-2222222222-3333333333-1234"
MACHINE_LOCAL_GROUP = "S-1-5-21-4000000001-4000000002-4000000003-1001"  # the file server's own group
NETWORK, INTERACTIVE, THIS_ORGANIZATION = "S-1-5-2", "S-1-5-4", "S-1-5-15"
BUILTIN_USERS, BUILTIN_ADMINS = "S-1-5-32-545", "S-1-5-32-544"


def filetime(unix_seconds: float) -> int:
    return int(unix_seconds * 10_000_000) + 116444736000000000


def fresh_user(d: SambaDirectory, name: str) -> str:
    """A new account for a test that changes it (the directory is shared by the session)."""
    if name not in d.sids:
        d.add_user(name, NESTED[0])
    return name


def set_attribute(d: SambaDirectory, name: str, attribute: str, value: object) -> None:
    d.dc.ldbmodify(f"dn: {d.dn(name)}\nchangetype: modify\nreplace: {attribute}\n{attribute}: {value}\n")


# --- BUILTIN is the file server's business -----------------------------------------------------------


def test_builtin_sids_from_the_dcs_token_groups_are_not_emitted_by_default(samba_directory: SambaDirectory) -> None:
    """The DC's tokenGroups hold BUILTIN\\Users (the DC's own local group); a file server decides BUILTIN
    membership itself, so by default the resolver emits no S-1-5-32-* SID."""
    d = samba_directory
    assert BUILTIN_USERS in d.token_groups("alice")  # what the DC says
    scope = d.resolver().resolve("alice")
    assert scope.tokens and not any(t.startswith("sid:S-1-5-32-") for t in scope.tokens)
    assert tokens.sid(BUILTIN_USERS) not in d.resolver().emittable()


def test_builtin_sids_are_emitted_when_configured(samba_directory: SambaDirectory) -> None:
    resolver = samba_directory.resolver(builtin_sids=True)
    assert tokens.sid(BUILTIN_USERS) in resolver.resolve("alice").tokens
    assert tokens.sid(BUILTIN_ADMINS) in resolver.emittable()


# --- what the resolver can emit, and what that means for a document -----------------------------------


def test_everything_a_user_resolves_to_is_emittable(samba_directory: SambaDirectory) -> None:
    """Every token the resolver gives (own domain, well-known) is one a deny may name; the migrated
    domain's sIDHistory only once that domain is configured."""
    d = samba_directory
    plain = d.resolver().emittable()
    with_history = d.resolver(extra_domain_sids=(FOREIGN_SID.rsplit("-", 1)[0],)).emittable()
    for name in ("alice", "bob", "frank"):
        for token in d.resolver().resolve(name).tokens:
            assert token in with_history, token
            assert token in plain or token == tokens.sid(FOREIGN_SID), token


@pytest.mark.parametrize(
    "sid",
    [MACHINE_LOCAL_GROUP, OTHER_DOMAIN_GROUP, NETWORK, INTERACTIVE, THIS_ORGANIZATION, BUILTIN_ADMINS, "S-1-3-0"],
)
def test_a_deny_naming_a_sid_the_directory_never_emits_keeps_the_file_out(
    samba_directory: SambaDirectory, sid: str
) -> None:
    """An NTFS deny for a principal no AD caller ever holds would fail open: the document is refused."""
    d = samba_directory
    descriptor = ntfs_acl.build_descriptor(
        [
            ntfs_acl.build_ace(ntfs_acl.ACCESS_DENIED, ntfs_acl.FILE_GENERIC_READ, sid),
            ntfs_acl.build_ace(ntfs_acl.ACCESS_ALLOWED, ntfs_acl.FILE_GENERIC_READ, d.sid_of(NESTED[0])),
        ]
    )
    acl = ntfs_acl.sd_to_access(descriptor)
    with pytest.raises(UnresolvablePrincipalError, match="deny"):
        admit(acl, d.resolver().emittable())


def test_a_deny_naming_a_domain_group_is_kept(samba_directory: SambaDirectory) -> None:
    d = samba_directory
    acl = AccessControl(
        allow=frozenset({tokens.sid(d.sid_of(NESTED[2]))}), deny=frozenset({tokens.sid(d.sid_of(NESTED[0]))})
    )
    assert admit(acl, d.resolver().emittable()).acl == acl


def test_an_allow_for_builtin_users_or_a_local_group_grants_nothing(samba_directory: SambaDirectory) -> None:
    """BUILTIN\\Users, NETWORK and the server's own groups are left out of the indexed ACL (and
    reported); the domain group's allow stays."""
    d = samba_directory
    group = tokens.sid(d.sid_of(NESTED[1]))
    inert = {tokens.sid(BUILTIN_USERS), tokens.sid(NETWORK), tokens.sid(MACHINE_LOCAL_GROUP)}
    admission = admit(AccessControl(allow=frozenset({group, *inert})), d.resolver().emittable())
    assert admission.acl.allow == {group} and admission.ignored == inert


def test_user_tokens_name_nobody_while_users_resolve_through_ad(samba_directory: SambaDirectory) -> None:
    acl = AccessControl(allow=frozenset({"sid:S-1-5-11"}), deny=frozenset({"user:alice"}))
    with pytest.raises(UnresolvablePrincipalError, match="user:alice"):
        admit(acl, samba_directory.resolver().emittable())


def test_extra_domain_sids_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="domain SID"):
        from ragwarden.acl.active_directory.config import ADConfig

        ADConfig(host="dc", bind_user="u", bind_password="p", extra_domain_sids=("S-1-5",))


# --- expiry -------------------------------------------------------------------------------------------


def test_an_account_past_its_expiry_date_resolves_to_nothing(samba_directory: SambaDirectory) -> None:
    d = samba_directory
    name = fresh_user(d, "exp-past")
    resolver = d.resolver()
    assert resolver.resolve(name).tokens
    set_attribute(d, name, "accountExpires", filetime(time.time() - 3600))
    assert resolver.resolve(name).is_empty


def test_an_account_expiring_later_still_resolves(samba_directory: SambaDirectory) -> None:
    d = samba_directory
    name = fresh_user(d, "exp-later")
    d.dc.samba_tool("user", "setexpiry", name, "--days=30")
    assert d.resolver().resolve(name).tokens
    # the same account, seen from a clock past the date samba-tool set
    later = ActiveDirectoryResolver(d.config(), clock=lambda: time.time() + 31 * 86400)
    assert later.resolve(name).is_empty


def test_an_account_whose_password_expired_resolves_to_nothing(samba_directory: SambaDirectory) -> None:
    """pwdLastSet 0 (must change at next logon): the DC computes UF_PASSWORD_EXPIRED, no logon possible."""
    d = samba_directory
    name = fresh_user(d, "pw-expired")
    resolver = d.resolver()
    assert resolver.resolve(name).tokens
    set_attribute(d, name, "pwdLastSet", 0)
    assert resolver.resolve(name).is_empty
