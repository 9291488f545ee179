"""The Active Directory resolver against a real Samba AD domain controller started for the session."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.active_directory.config import ADConfig
from ragwarden.acl.active_directory.resolver import ActiveDirectoryResolver, build_ad_resolver
from ragwarden.acl.active_directory.wire import sid_from_bytes, sid_to_bytes
from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.core.errors import ConfigurationError, DirectoryUnavailableError
from tests.fixtures.relay import TcpRelay
from tests.fixtures.samba import NESTED, SambaDirectory

WELL_KNOWN = {"sid:S-1-1-0", "sid:S-1-5-11"}  # BUILTIN\Users only with builtin_sids (test_ad_emittable)


def sid_tokens(*sids: str) -> set[str]:
    return {tokens.sid(s) for s in sids}


@pytest.fixture(scope="module")
def resolver(samba_directory: SambaDirectory) -> ActiveDirectoryResolver:
    return samba_directory.resolver()


def expected_from_dc(d: SambaDirectory, name: str) -> set[str]:
    """What the DC itself says the account's token holds: objectSid, tokenGroups (computed by the DC's
    own database) without its BUILTIN groups, the primary group, sIDHistory, and the well-known SIDs."""
    attrs = d.dc.ldbsearch(d.dn(name), "objectSid", "primaryGroupID", "sIDHistory")
    user_sid = attrs["objectSid"][0]
    primary = f"{user_sid.rsplit('-', 1)[0]}-{attrs['primaryGroupID'][0]}"
    groups = {g for g in d.token_groups(name) if not g.startswith("S-1-5-32-")}
    return sid_tokens(user_sid, primary, *attrs.get("sIDHistory", []), *groups) | WELL_KNOWN


# --- what a user resolves to ----------------------------------------------------------------------


def test_resolved_sids_equal_what_the_domain_controller_reports(
    samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver
) -> None:
    for name in ("alice", "bob", "frank", "svc-ragwarden"):
        assert resolver.resolve(name).tokens == expected_from_dc(samba_directory, name), name


def test_alice_holds_every_group_she_reaches_and_no_other(
    samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver
) -> None:
    """Independent of tokenGroups: the groups the fixture created and nested, with samba-tool."""
    d = samba_directory
    scope = resolver.resolve("alice")
    expected = sid_tokens(d.sid_of("alice"), *(d.sid_of(g) for g in NESTED), d.sid_of("RW-Primary"))
    assert expected <= scope.tokens
    assert WELL_KNOWN <= scope.tokens
    assert tokens.sid(d.sid_of("RW-Unrelated")) not in scope.tokens
    assert all(t.startswith("sid:S-1-") for t in scope.tokens)


def test_three_levels_of_nesting_are_followed_upwards_only(
    samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver
) -> None:
    """L1 ⊂ L2 ⊂ L3: a member of L1 holds all three; a direct member of L3 holds L3 but not L1 or L2."""
    d = samba_directory
    l1, l2, l3 = (tokens.sid(d.sid_of(g)) for g in NESTED)
    assert {l1, l2, l3} <= resolver.resolve("alice").tokens
    frank = resolver.resolve("frank").tokens
    assert l3 in frank and l1 not in frank and l2 not in frank


def test_a_changed_primary_group_is_in_the_scope(
    samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver
) -> None:
    d = samba_directory
    primary_id = d.dc.ldbsearch(d.dn("alice"), "primaryGroupID")["primaryGroupID"][0]
    assert d.sid_of("RW-Primary") == f"{d.domain_sid}-{primary_id}"
    assert tokens.sid(d.sid_of("RW-Primary")) in resolver.resolve("alice").tokens


def test_sid_history_is_in_the_scope(samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver) -> None:
    """A migrated account keeps matching ACLs written for its old domain's SID."""
    if samba_directory.sid_history is None:
        pytest.skip(samba_directory.sid_history_skip)
    assert tokens.sid(samba_directory.sid_history) in resolver.resolve("alice").tokens


# --- accounts that must resolve to nothing ---------------------------------------------------------


def test_a_disabled_account_resolves_to_nothing(resolver: ActiveDirectoryResolver) -> None:
    scope = resolver.resolve("dave")
    assert scope.is_empty and scope.principal == "dave"


def test_a_locked_out_account_resolves_to_nothing(
    samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver
) -> None:
    if samba_directory.locked_user is None:
        pytest.skip(samba_directory.locked_skip)
    assert resolver.resolve(samba_directory.locked_user).is_empty


@pytest.mark.parametrize("name", ["nobody", "CORP\\nobody", "nobody@corp.example", "krbtgt-nope", ""])
def test_an_unknown_account_resolves_to_nothing(resolver: ActiveDirectoryResolver, name: str) -> None:
    assert resolver.resolve(name).is_empty


HOSTILE = [
    "*",
    "*)(objectClass=*",
    "alice)(|(sAMAccountName=*",
    "*)(|(objectClass=*)",
    "al*",
    "alice*",
    "\\2a",
    "CORP\\*",
    "CORP\\*)(objectClass=*",
    "*@corp.example",
    "alice@*",
    "*)(sAMAccountName=alice",
    "alice\x00",
    "(",
    ")",
    "a" * 5000,
    "OTHER\\alice",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_resolve_to_nothing_without_error(resolver: ActiveDirectoryResolver, name: str) -> None:
    """Every value put into an LDAP filter is escaped: wildcards and filter syntax match nothing."""
    assert resolver.resolve(name).is_empty


def test_a_computer_account_is_not_a_user(samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver) -> None:
    assert resolver.resolve("DC1$").is_empty


# --- name forms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "canonical"),
    [
        ("CORP\\alice", "alice"),
        ("corp\\ALICE", "alice"),
        ("corp.example\\alice", "alice"),
        ("alice@corp.example", "alice"),
        ("frank.fischer@corp-mail.example", "frank"),
        ("frank@corp.example", "frank"),
    ],
)
def test_domain_backslash_user_and_upn_resolve_like_the_account_name(
    resolver: ActiveDirectoryResolver, form: str, canonical: str
) -> None:
    scope = resolver.resolve(form)
    assert scope.principal == form
    assert scope.tokens and scope.tokens == resolver.resolve(canonical).tokens


# --- transport ----------------------------------------------------------------------------------------


def test_ldaps_and_starttls_resolve_alike(samba_directory: SambaDirectory) -> None:
    ldaps = samba_directory.resolver(security="ldaps")
    starttls = samba_directory.resolver(security="starttls")
    assert ldaps.resolve("alice").tokens == starttls.resolve("alice").tokens
    assert starttls._conn is not None and starttls._conn.tls_started


def test_plain_ldap_is_refused_unless_explicitly_allowed(samba_directory: SambaDirectory) -> None:
    with pytest.raises(ConfigurationError, match="plain LDAP"):
        samba_directory.config(security="plain")
    allowed = samba_directory.resolver(security="plain", allow_plain=True)
    assert allowed.resolve("alice").tokens == samba_directory.resolver().resolve("alice").tokens


def test_a_certificate_from_another_ca_is_refused(samba_directory: SambaDirectory, tmp_path: Path) -> None:
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(_self_signed_pem())
    for security in ("ldaps", "starttls"):
        with pytest.raises(DirectoryUnavailableError):
            samba_directory.resolver(security=security, ca_cert_file=str(other_ca)).resolve("alice")


def test_a_certificate_for_another_name_is_refused(samba_directory: SambaDirectory) -> None:
    with pytest.raises(DirectoryUnavailableError):
        samba_directory.resolver(tls_server_name="intruder.corp.example").resolve("alice")


def test_a_wrong_service_password_is_a_directory_error(samba_directory: SambaDirectory) -> None:
    with pytest.raises(DirectoryUnavailableError, match="refused"):
        samba_directory.resolver(bind_password="not-the-password").resolve("alice")


def test_the_connection_is_reused(samba_directory: SambaDirectory) -> None:
    resolver = samba_directory.resolver()
    resolver.resolve("alice")
    first = resolver._conn
    resolver.resolve("bob")
    assert resolver._conn is first and first is not None


def test_describe_names_groups_users_and_well_known_sids(
    samba_directory: SambaDirectory, resolver: ActiveDirectoryResolver
) -> None:
    d = samba_directory
    assert resolver.describe(tokens.sid(d.sid_of(NESTED[1]))) == f"CORP\\{NESTED[1]}"
    assert resolver.describe(tokens.sid(d.sid_of("alice"))) == "CORP\\alice"
    assert resolver.describe("sid:S-1-1-0") == "Everyone"
    assert resolver.describe("sid:S-1-5-32-545") == "BUILTIN\\Users"
    unknown = "sid:S-1-5-21-1-2-3-999999"
    assert resolver.describe(unknown) == unknown
    assert resolver.describe("upn:alice@corp.example") == "upn:alice@corp.example"


def test_binary_sids_round_trip() -> None:
    for value in ("S-1-1-0", "S-1-5-32-545", "S-1-5-21-4168895471-28073494-226913705-1102"):
        assert sid_from_bytes(sid_to_bytes(value)) == value
    with pytest.raises(ValueError):
        sid_from_bytes(b"\x01\x05\x00")


def test_build_ad_resolver_wraps_the_resolver_in_the_principal_cache(samba_directory: SambaDirectory) -> None:
    cfg = samba_directory.config()
    built = build_ad_resolver(
        host=cfg.host,
        bind_user=cfg.bind_user,
        bind_password=cfg.bind_password,
        cache_ttl=5.0,
        ca_cert_file=Path(cfg.ca_cert_file or ""),
        tls_server_name=cfg.tls_server_name,
    )
    assert isinstance(built, CachingResolver) and built.ttl == 5.0
    assert built.resolve("alice").tokens == samba_directory.resolver().resolve("alice").tokens


# --- the principal cache against the real directory ------------------------------------------------


def test_cached_resolution_takes_under_a_millisecond(samba_directory: SambaDirectory) -> None:
    cached = CachingResolver(samba_directory.resolver(), ttl=60)
    cached.resolve("alice")
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        cached.resolve("alice")
        timings.append(time.perf_counter() - start)
    assert statistics.quantiles(timings, n=20)[-1] < 0.001


def test_revocation_reaches_the_scope_within_the_ttl(samba_directory: SambaDirectory) -> None:
    """Removing a user from a nested group with samba-tool drops that group (and the groups it is in)
    from the cached scope within the TTL, measured."""
    d = samba_directory
    ttl = 2.0
    top = d.add_group("RW-Rev-Top")
    team = d.add_group("RW-Rev-Team")
    d.dc.samba_tool("group", "addmembers", "RW-Rev-Top", "RW-Rev-Team")
    d.add_user("rita", "RW-Rev-Team")
    cached = CachingResolver(d.resolver(), ttl=ttl)
    assert tokens.sid(top) in cached.resolve("rita").tokens

    d.dc.samba_tool("group", "removemembers", "RW-Rev-Team", "rita")
    removed = time.monotonic()
    assert tokens.sid(top) not in d.resolver().resolve("rita").tokens  # the directory itself is current
    while tokens.sid(top) in cached.resolve("rita").tokens:
        assert time.monotonic() - removed < ttl + 3.0, "the revoked group outlived the TTL"
        time.sleep(0.02)
    latency = time.monotonic() - removed
    assert latency <= ttl + 0.5
    assert tokens.sid(team) not in cached.resolve("rita").tokens


def test_directory_down_after_the_ttl_is_an_error_never_a_stale_scope(
    samba_directory: SambaDirectory,
) -> None:
    """Within the TTL the cached scope is served; after it, an unreachable directory raises."""
    relay = TcpRelay((samba_directory.dc.ip, 636))
    now = [0.0]
    cached = CachingResolver(samba_directory.resolver(host="127.0.0.1", port=relay.port), ttl=60, clock=lambda: now[0])
    scope = cached.resolve("alice")
    assert scope.tokens
    relay.close()
    now[0] = 59.0
    assert cached.resolve("alice") == scope
    now[0] = 61.0
    with pytest.raises(DirectoryUnavailableError):
        cached.resolve("alice")
    with pytest.raises(DirectoryUnavailableError):
        cached.resolve("bob")  # never cached: no answer at all


def test_a_closed_port_is_directory_unavailable_quickly(samba_directory: SambaDirectory) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed = probe.getsockname()[1]
    resolver = samba_directory.resolver(host="127.0.0.1", port=closed)
    start = time.monotonic()
    with pytest.raises(DirectoryUnavailableError):
        CachingResolver(resolver, ttl=1).resolve("alice")
    assert time.monotonic() - start < 5


def test_an_unreachable_address_times_out(samba_directory: SambaDirectory) -> None:
    """A DC that never answers (a blackholed address) fails after the connect timeout, not hangs."""
    silent = socket.create_server(("127.0.0.1", 0), backlog=0)
    try:
        resolver = ActiveDirectoryResolver(
            ADConfig(
                host="127.0.0.1",
                port=silent.getsockname()[1],
                bind_user="x",
                bind_password="y",
                ca_cert_file=str(samba_directory.dc.ca_file),
                connect_timeout=1,
                timeout=1,
            )
        )
        start = time.monotonic()
        with pytest.raises(DirectoryUnavailableError):
            resolver.resolve("alice")
        assert time.monotonic() - start < 8
    finally:
        silent.close()


def _self_signed_pem() -> bytes:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DC1.corp.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)
