"""Entra ID: bearer tokens validated against a local tenant's keys, groups from a local Graph emulator.

The authority (OpenID discovery, token endpoint, JWKS) and Graph are a real HTTPS server of the test's
own (``ragwarden.testing.microsoft.entra``); msal obtains its app token from it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from ragwarden.acl import tokens
from ragwarden.acl.entra import EntraResolver, build_entra_resolver
from ragwarden.acl.entra_tokens import EntraTokenValidator, build_entra_validator
from ragwarden.acl.graph import GraphClient
from ragwarden.acl.msal_app import MsalAppToken
from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.core.errors import AuthenticationError, DirectoryUnavailableError
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.keys import rsa_key

AUDIENCE = "api://ragwarden"
USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1105"


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[FakeMicrosoft]:
    server = FakeMicrosoft(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def validator(ms: FakeMicrosoft) -> EntraTokenValidator:
    return build_entra_validator(
        tenant_id=ms.tenant_id, audience=AUDIENCE, authority_host=ms.authority_host, ca_bundle=ms.ca_file
    )


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def graph_client(
    ms: FakeMicrosoft, *, certificate: bool = False, sleep: object = None, **kw: object
) -> GraphClient:
    import ssl

    credential = (
        {"certificate_pem": ms.client_cert_file.read_text()}
        if certificate
        else {"client_secret": ms.client_secret}
    )
    provider = MsalAppToken(
        ms.tenant_id,
        ms.client_id,
        f"{ms.base_url}/.default",
        authority_host=ms.authority_host,
        verify=str(ms.ca_file),
        **credential,
    )  # type: ignore[arg-type]
    http = httpx.Client(verify=ssl.create_default_context(cafile=str(ms.ca_file)), timeout=5)
    return GraphClient(provider, http, ms.graph_url, sleep=sleep or RecordingSleep(), **kw)  # type: ignore[arg-type]


# --- bearer token validation ---------------------------------------------------------------------------


def test_a_valid_token_yields_its_user(ms: FakeMicrosoft, validator: EntraTokenValidator) -> None:
    oid = str(uuid.uuid4())
    claims = validator.validate(ms.issue(oid=oid.upper()))
    assert claims.oid == oid and claims.tid == ms.tenant_id
    assert claims.username == "alice@corp.example"


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"aud": "api://someone-else"}, "wrong audience"),
        ({"iss": "https://login.example.net/evil/v2.0"}, "wrong issuer"),
        ({"tid": str(uuid.uuid4())}, "another tenant, right issuer"),
        ({"exp": None}, "no expiry"),
        ({"oid": None}, "no object id"),
        ({"oid": "../../users/x"}, "oid not an object id"),
    ],
)
def test_tokens_with_bad_claims_are_refused(
    ms: FakeMicrosoft, validator: EntraTokenValidator, claims: dict, why: str
) -> None:
    with pytest.raises(AuthenticationError):
        validator.validate(ms.issue(**claims))


def test_a_token_for_another_tenant_is_refused(ms: FakeMicrosoft, validator: EntraTokenValidator) -> None:
    """Entra signs every tenant's tokens with the same keys: only issuer and tid tell them apart."""
    other = str(uuid.uuid4())
    with pytest.raises(AuthenticationError):
        validator.validate(ms.issue(tid=other, iss=f"{ms.base_url}/{other}/v2.0"))


def test_small_clock_skew_is_tolerated(ms: FakeMicrosoft, validator: EntraTokenValidator) -> None:
    now = int(time.time())
    validator.validate(ms.issue(exp=now - 20, nbf=now + 20))
    with pytest.raises(AuthenticationError):
        validator.validate(ms.issue(exp=now - 120))


def test_a_token_signed_by_another_key_is_refused(ms: FakeMicrosoft, validator: EntraTokenValidator) -> None:
    with pytest.raises(AuthenticationError):
        validator.validate(ms.issue(key=rsa_key(), kid=ms.current_kid))


def test_a_tampered_token_is_refused(ms: FakeMicrosoft, validator: EntraTokenValidator) -> None:
    header, body, signature = ms.issue().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["oid"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(AuthenticationError):
        validator.validate(f"{header}.{forged}.{signature}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_alg_none_is_refused(ms: FakeMicrosoft, validator: EntraTokenValidator) -> None:
    body = {
        "aud": AUDIENCE,
        "iss": ms.issuer,
        "tid": ms.tenant_id,
        "oid": str(uuid.uuid4()),
        "exp": int(time.time()) + 600,
    }
    for alg in ("none", "None", "NONE"):
        header = _b64(json.dumps({"alg": alg, "kid": ms.current_kid}).encode())
        token = f"{header}.{_b64(json.dumps(body).encode())}."
        with pytest.raises(AuthenticationError):
            validator.validate(token)


def test_hs256_signed_with_the_public_key_is_refused(
    ms: FakeMicrosoft, validator: EntraTokenValidator
) -> None:
    """The algorithm-confusion attack: HMAC keyed with the (public) RSA key the verifier holds."""
    public = (
        ms.signing[ms.current_kid]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    body = {
        "aud": AUDIENCE,
        "iss": ms.issuer,
        "tid": ms.tenant_id,
        "oid": str(uuid.uuid4()),
        "exp": int(time.time()) + 600,
    }
    header = _b64(json.dumps({"alg": "HS256", "kid": ms.current_kid}).encode())
    signing_input = f"{header}.{_b64(json.dumps(body).encode())}"
    signature = _b64(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())
    with pytest.raises(AuthenticationError):
        validator.validate(f"{signing_input}.{signature}")


def test_other_rsa_algorithms_and_garbage_are_refused(
    ms: FakeMicrosoft, validator: EntraTokenValidator
) -> None:
    with pytest.raises(AuthenticationError):
        validator.validate(ms.issue(algorithm="RS512"))
    for junk in ("", "abc", "a.b.c", "Bearer x.y.z"):
        with pytest.raises(AuthenticationError):
            validator.validate(junk)
    body = jwt.decode(ms.issue(), options={"verify_signature": False})
    without_kid = jwt.encode(body, ms.signing[ms.current_kid], algorithm="RS256")
    with pytest.raises(AuthenticationError, match="names no signing key"):
        validator.validate(without_kid)


def test_an_unknown_kid_refreshes_the_keys_once(ms: FakeMicrosoft, tmp_path: Path) -> None:
    validator = build_entra_validator(
        tenant_id=ms.tenant_id, audience=AUDIENCE, authority_host=ms.authority_host, ca_bundle=ms.ca_file
    )
    validator.validate(ms.issue())
    validator.validate(ms.issue())
    assert ms.counts["jwks"] == 1  # cached
    validator._jwks._min_interval = 0  # the rotation below happens within the rate limit otherwise
    new_kid = ms.rotate_key()
    validator.validate(ms.issue(kid=new_kid))
    assert ms.counts["jwks"] == 2
    with pytest.raises(AuthenticationError):
        validator.validate(ms.issue(key=rsa_key(), kid="never-published"))


def test_unknown_kids_cannot_hammer_the_jwks_endpoint(
    ms: FakeMicrosoft, validator: EntraTokenValidator
) -> None:
    validator.validate(ms.issue())
    for n in range(5):
        with pytest.raises(AuthenticationError):
            validator.validate(ms.issue(key=rsa_key(), kid=f"made-up-{n}"))
    assert ms.counts["jwks"] == 1


def test_jwks_unreachable_is_a_directory_error(ms: FakeMicrosoft, validator: EntraTokenValidator) -> None:
    ms.faults.jwks_down = True
    with pytest.raises(DirectoryUnavailableError):
        validator.validate(ms.issue())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _all_refused(validator: EntraTokenValidator, token_list: list[str]) -> list[type[Exception]]:
    """Validates the tokens at once from as many threads; the kinds of error each one got."""
    errors: list[type[Exception]] = []

    def one(token: str) -> None:
        try:
            validator.validate(token)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(type(exc))

    threads = [threading.Thread(target=one, args=(t,)) for t in token_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_50_tokens_with_unknown_kids_cost_one_fetch_while_the_key_endpoint_fails(
    ms: FakeMicrosoft, validator: EntraTokenValidator
) -> None:
    """A failed refresh is remembered: within the back-off, unknown kids are refused without asking again."""
    clock = Clock()
    validator._jwks._clock = clock
    validator.validate(ms.issue())
    assert ms.counts["jwks"] == 1
    clock.now += 60  # past the refresh interval: an unknown kid may ask again
    ms.faults.jwks_down = True
    forged = [ms.issue(key=rsa_key(), kid=f"made-up-{n}") for n in range(50)]
    assert _all_refused(validator, forged) == [AuthenticationError] * 50
    assert ms.counts["jwks"] == 2  # one fetch for all fifty
    clock.now += 2  # still within the back-off after that failure
    assert _all_refused(validator, forged) == [AuthenticationError] * 50
    assert ms.counts["jwks"] == 2
    validator.validate(ms.issue())  # the known key goes on working meanwhile
    clock.now += 60  # the back-off is over: one more attempt, and it works again
    ms.faults.jwks_down = False
    new_kid = ms.rotate_key()
    validator.validate(ms.issue(kid=new_kid))
    assert ms.counts["jwks"] == 3


def test_tokens_arriving_during_a_slow_fetch_wait_for_it_instead_of_fetching_again(ms: FakeMicrosoft) -> None:
    """Single flight: fifty tokens at a cold start while the key endpoint takes a second: one fetch,
    about a second for everyone (not fifty fetches one after the other under a global lock)."""
    validator = build_entra_validator(
        tenant_id=ms.tenant_id, audience=AUDIENCE, authority_host=ms.authority_host, ca_bundle=ms.ca_file
    )
    ms.faults.jwks_delay = 1.0
    started = time.monotonic()
    assert _all_refused(validator, [ms.issue() for _ in range(50)]) == []
    assert ms.counts["jwks"] == 1
    assert time.monotonic() - started < 10


def test_a_key_endpoint_down_at_a_cold_start_is_503_for_everyone_after_one_fetch(ms: FakeMicrosoft) -> None:
    validator = build_entra_validator(
        tenant_id=ms.tenant_id, audience=AUDIENCE, authority_host=ms.authority_host, ca_bundle=ms.ca_file
    )
    clock = Clock()
    validator._jwks._clock = clock
    ms.faults.jwks_down = True
    tokens_ = [ms.issue() for _ in range(50)]
    assert _all_refused(validator, tokens_) == [DirectoryUnavailableError] * 50
    assert ms.counts["jwks"] == 1
    assert validator._jwks.failures == 1 and "503" in (validator._jwks.last_failure or "")
    ms.faults.jwks_down = False
    clock.now += 1  # within the back-off: refused without asking
    assert _all_refused(validator, tokens_[:5]) == [DirectoryUnavailableError] * 5
    clock.now += 10  # after it: the next token fetches, and everyone is served
    assert _all_refused(validator, tokens_) == []
    assert ms.counts["jwks"] == 2


# --- access tokens only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"scp": None}, "no scope and no app role"),
        ({"scp": " "}, "an empty scope"),
        ({"scp": None, "roles": []}, "no app role either"),
        ({"azp": None}, "no client app"),
        ({"nonce": "n-0S6_WzA2Mj"}, "a nonce: an ID token"),
    ],
)
def test_a_token_that_is_not_an_access_token_for_this_api_is_refused(
    ms: FakeMicrosoft, validator: EntraTokenValidator, claims: dict, why: str
) -> None:
    with pytest.raises(AuthenticationError, match="access token|scope"):
        validator.validate(ms.issue(**claims))


def test_an_id_token_for_our_own_client_is_refused_even_where_the_client_id_is_an_audience(
    ms: FakeMicrosoft,
) -> None:
    """An ID token (aud = our client id, a nonce, no scp, no azp) is signed by the same tenant keys;
    an API that also accepts its client id as an audience (v2 access tokens carry it) must still refuse it."""
    validator = build_entra_validator(
        tenant_id=ms.tenant_id, audience=[AUDIENCE, ms.client_id], authority_host=ms.authority_host,
        ca_bundle=ms.ca_file,
    )
    id_token = ms.issue(aud=ms.client_id, nonce="abc", scp=None, azp=None, name="Alice")
    with pytest.raises(AuthenticationError):
        validator.validate(id_token)
    validator.validate(ms.issue(aud=ms.client_id))  # a v2 access token for the same audience passes


def test_app_only_tokens_with_roles_and_v1_tokens_with_appid_are_access_tokens(
    ms: FakeMicrosoft, validator: EntraTokenValidator
) -> None:
    validator.validate(ms.issue(scp=None, roles=["Search.Read.All"]))
    validator.validate(ms.issue(azp=None, appid=ms.client_id, ver="1.0"))


# --- groups from Graph ----------------------------------------------------------------------------------


def test_groups_come_from_transitive_member_of_across_pages(ms: FakeMicrosoft) -> None:
    ms.page_size = 10
    alice = ms.add_user(sid=USER_SID, name="alice")
    synced = [
        ms.add_group(f"hr-{n}", sid=f"S-1-5-21-1004336348-1177238915-682003330-{2000 + n}", members=(alice,))
        for n in range(5)
    ]
    cloud = [ms.add_group(f"team-{n}", members=(alice,)) for n in range(20)]
    ms.add_group("not-hers")
    scope = EntraResolver(graph_client(ms)).resolve(alice)
    expected = {
        tokens.entra(alice),
        tokens.sid(USER_SID),
        tokens.SID_EVERYONE,
        tokens.SID_AUTHENTICATED_USERS,
    }
    expected |= {tokens.entra(g) for g in synced + cloud}
    expected |= {tokens.sid(f"S-1-5-21-1004336348-1177238915-682003330-{2000 + n}") for n in range(5)}
    assert scope.tokens == expected
    pages = [q for q in ms.graph_queries if "transitiveMemberOf" in q]
    assert len(pages) == 3
    assert "onPremisesSecurityIdentifier" in pages[0] and "$select=" in pages[0]


def test_an_overage_user_gets_all_300_groups_not_the_token_claim(ms: FakeMicrosoft) -> None:
    """The token's groups claim stops at 200 and signals overage; Graph is asked, and all 300 count."""
    user = ms.add_user(name="overage")
    groups = [ms.add_group(f"g{n}", members=(user,)) for n in range(300)]
    token = ms.issue(oid=user, groups=groups[:5], _claim_names={"groups": "src1"})
    resolver = EntraResolver(graph_client(ms))
    claims = build_entra_validator(
        tenant_id=ms.tenant_id, audience=AUDIENCE, authority_host=ms.authority_host, ca_bundle=ms.ca_file
    ).validate(token)
    scope = resolver.resolve(claims.oid)
    assert {tokens.entra(g) for g in groups} <= scope.tokens
    assert len(scope.tokens) == 301


def test_a_cloud_only_user_has_no_sid_tokens(ms: FakeMicrosoft) -> None:
    user = ms.add_user(name="cloud")
    ms.add_group("g", members=(user,))
    assert not any(t.startswith("sid:") for t in EntraResolver(graph_client(ms)).resolve(user).tokens)


def test_disabled_unknown_and_malformed_users_resolve_to_nothing(ms: FakeMicrosoft) -> None:
    resolver = EntraResolver(graph_client(ms))
    disabled = ms.add_user(enabled=False)
    ms.add_group("g", members=(disabled,))
    assert resolver.resolve(disabled).is_empty
    assert resolver.resolve(str(uuid.uuid4())).is_empty
    before = ms.counts["graph"]
    for hostile in ("../../groups", "*", "alice@corp.example", "", f"{uuid.uuid4()}/transitiveMemberOf"):
        assert resolver.resolve(hostile).is_empty
    assert ms.counts["graph"] == before  # not even asked


def test_429_with_retry_after_is_honoured_then_succeeds(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    groups = {ms.add_group(f"g{n}", members=(user,)) for n in range(30)}
    ms.page_size = 10
    ms.faults.throttle, ms.faults.retry_after, ms.faults.throttle_path = 2, "3", "skiptoken"
    sleep = RecordingSleep()
    scope = EntraResolver(graph_client(ms, sleep=sleep)).resolve(user)
    assert {tokens.entra(g) for g in groups} <= scope.tokens
    assert sleep.delays == [3.0, 3.0]


def test_retry_after_is_really_waited_for(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    ms.faults.throttle, ms.faults.retry_after = 1, "1"
    start = time.monotonic()
    EntraResolver(graph_client(ms, sleep=time.sleep)).resolve(user)
    assert time.monotonic() - start >= 1.0


def test_throttling_beyond_the_retry_budget_is_a_directory_error(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    ms.faults.throttle = 100
    sleep = RecordingSleep()
    with pytest.raises(DirectoryUnavailableError):
        EntraResolver(graph_client(ms, sleep=sleep, max_retries=3)).resolve(user)
    assert len(sleep.delays) == 3
    ms.faults.throttle, ms.faults.retry_after = 1, "3600"
    with pytest.raises(DirectoryUnavailableError):  # an hour is not waited for
        EntraResolver(graph_client(ms, sleep=sleep)).resolve(user)


def test_graph_down_is_a_directory_error_and_the_cache_never_serves_stale(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    ms.add_group("g", members=(user,))
    now = [0.0]
    cached = CachingResolver(EntraResolver(graph_client(ms)), ttl=60, clock=lambda: now[0])
    assert cached.resolve(user).tokens
    ms.faults.down = True
    now[0] = 30
    assert cached.resolve(user).tokens
    now[0] = 61
    with pytest.raises(DirectoryUnavailableError):
        cached.resolve(user)


def test_graph_unreachable_is_a_directory_error(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    client = graph_client(ms)
    client._tokens.token()  # the authority answered; then everything goes away
    ms.stop()
    with pytest.raises(DirectoryUnavailableError):
        EntraResolver(client).resolve(user)


def test_a_next_link_to_another_host_is_not_followed(ms: FakeMicrosoft) -> None:
    client = graph_client(ms)
    with pytest.raises(DirectoryUnavailableError, match="outside"):
        client.get("https://evil.example/v1.0/users")


# --- the app token ----------------------------------------------------------------------------------


def test_the_app_token_comes_from_msal_and_is_reused(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    resolver = EntraResolver(graph_client(ms))
    for _ in range(3):
        resolver.resolve(user)
    assert ms.counts["token"] == 1


def test_a_certificate_credential_works(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    ms.add_group("g", members=(user,))
    assert len(EntraResolver(graph_client(ms, certificate=True)).resolve(user).tokens) == 2


def test_a_wrong_client_secret_is_a_directory_error(ms: FakeMicrosoft) -> None:
    client = graph_client(ms)
    ms.client_secret = "rotated-" + ms.client_secret  # the secret was rotated at the tenant
    with pytest.raises(DirectoryUnavailableError, match="invalid_client"):
        EntraResolver(client).resolve(ms.add_user())


def test_a_revoked_app_token_is_replaced_once(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    resolver = EntraResolver(graph_client(ms))
    resolver.resolve(user)
    ms.app_tokens.clear()
    assert resolver.resolve(user).tokens
    assert ms.counts["token"] == 2


def test_describe_shows_display_names(ms: FakeMicrosoft) -> None:
    user = ms.add_user(name="alice")
    group = ms.add_group("HR Leitung", sid="S-1-5-21-1-2-3-4000", members=(user,))
    resolver = EntraResolver(graph_client(ms))
    resolver.resolve(user)
    assert resolver.describe(tokens.entra(group)) == "HR Leitung"
    assert resolver.describe("sid:S-1-5-21-1-2-3-4000") == "HR Leitung"
    other = ms.add_group("Vorstand")
    assert EntraResolver(graph_client(ms)).describe(tokens.entra(other)) == "Vorstand"
    assert resolver.describe("sid:S-1-1-0") == "sid:S-1-1-0"


def test_build_entra_resolver_end_to_end(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    group = ms.add_group("g", members=(user,))
    resolver = build_entra_resolver(
        tenant_id=ms.tenant_id,
        client_id=ms.client_id,
        client_certificate_path=ms.client_cert_file,
        authority_host=ms.authority_host,
        graph_url=ms.graph_url,
        ca_bundle=ms.ca_file,
        cache_ttl=30,
    )
    assert isinstance(resolver, CachingResolver)
    assert tokens.entra(group) in resolver.resolve(user).tokens
    assert tokens.entra(ms.tenant_id) in resolver.resolve(user).tokens  # the tenant id reaches the resolver


def test_an_untrusted_authority_certificate_is_refused(ms: FakeMicrosoft) -> None:
    resolver = build_entra_resolver(
        tenant_id=ms.tenant_id,
        client_id=ms.client_id,
        client_secret=ms.client_secret,
        authority_host=ms.authority_host,
        graph_url=ms.graph_url,
        cache_ttl=None,  # system CAs only
    )
    with pytest.raises(DirectoryUnavailableError):
        resolver.resolve(ms.add_user())


def test_jwt_library_refuses_alg_none_even_if_asked_directly(ms: FakeMicrosoft) -> None:
    """Belt and braces: the algorithm list is ours, so PyJWT never verifies with 'none'."""
    token = jwt.encode({"oid": "x"}, None, algorithm="none")
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(token, ms.signing[ms.current_kid].public_key(), algorithms=["RS256"])


def test_directory_roles_in_transitive_member_of_are_not_groups(ms: FakeMicrosoft) -> None:
    user = ms.add_user()
    group = ms.add_group("g", members=(user,))
    role = ms.add_group("Global Reader", members=(user,))
    ms.groups[role]["@odata.type"] = "#microsoft.graph.directoryRole"
    scope = EntraResolver(graph_client(ms)).resolve(user)
    assert scope.tokens == {tokens.entra(user), tokens.entra(group)}


# --- the tenant token ("Everyone except external users", "Everyone" in SharePoint) ----------------------


def test_an_enabled_member_holds_the_tenant_token(ms: FakeMicrosoft) -> None:
    user = ms.add_user(name="member")
    scope = EntraResolver(graph_client(ms), tenant_id=ms.tenant_id).resolve(user)
    assert scope.tokens == {tokens.entra(user), tokens.entra(ms.tenant_id)}
    assert "userType" in next(q for q in ms.graph_queries if f"/users/{user}?" in q)


def test_a_guest_never_holds_the_tenant_token(ms: FakeMicrosoft) -> None:
    """Guests are under-granted on SharePoint's "Everyone": the tenant token means the tenant's members."""
    guest = ms.add_user(name="guest", guest=True)
    group = ms.add_group("Partners", members=(guest,))
    scope = EntraResolver(graph_client(ms), tenant_id=ms.tenant_id).resolve(guest)
    assert scope.tokens == {tokens.entra(guest), tokens.entra(group)}


@pytest.mark.parametrize("user_type", [None, "member ", "Guest", "", 1])
def test_a_missing_or_unexpected_user_type_gets_no_tenant_token(ms: FakeMicrosoft, user_type: object) -> None:
    user = ms.add_user(name="legacy")
    ms.users[user]["userType"] = user_type
    scope = EntraResolver(graph_client(ms), tenant_id=ms.tenant_id).resolve(user)
    assert scope.tokens == {tokens.entra(user)}


def test_a_disabled_member_and_a_resolver_without_tenant_hold_no_tenant_token(ms: FakeMicrosoft) -> None:
    disabled = ms.add_user(enabled=False)
    assert EntraResolver(graph_client(ms), tenant_id=ms.tenant_id).resolve(disabled).is_empty
    member = ms.add_user()
    assert tokens.entra(ms.tenant_id) not in EntraResolver(graph_client(ms)).resolve(member).tokens


def test_a_tenant_given_by_domain_name_gives_no_tenant_token(ms: FakeMicrosoft) -> None:
    """The token is the tenant's id; a domain name cannot be matched against SharePoint's claim."""
    member = ms.add_user()
    resolver = EntraResolver(graph_client(ms), tenant_id="contoso.onmicrosoft.com")
    assert resolver.resolve(member).tokens == {tokens.entra(member)}
