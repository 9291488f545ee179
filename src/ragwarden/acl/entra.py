"""Who is asking, according to Entra ID: bearer JWTs checked against the tenant's keys, groups from Graph.

A caller's groups come from Microsoft Graph ``/users/{id}/transitiveMemberOf`` (every nested group,
paged), read with an app-only token from ``msal`` -- never from the token's ``groups`` claim, which
stops at 200 groups (overage) and would silently drop the rest. Users and groups synced from Active
Directory also carry their ``onPremisesSecurityIdentifier``, so file-share ACLs (SIDs) match Entra
callers. Graph outages, throttling beyond the retry budget and malformed answers raise
:class:`DirectoryUnavailableError`: a partial group list could miss a deny entry.
"""

from __future__ import annotations

import email.utils
import functools
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from ragwarden.acl import tokens
from ragwarden.acl.jwks import JwksCache, signing_kid
from ragwarden.core.errors import AccessControlError, AuthenticationError, DirectoryUnavailableError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver

AUTHORITY_HOST = "https://login.microsoftonline.com"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
ALGORITHMS = ["RS256"]  # fixed here, never taken from the token header
_GROUP_SELECT = "$select=id,onPremisesSecurityIdentifier,displayName&$top=999"
_USER_SELECT = "$select=id,accountEnabled,onPremisesSecurityIdentifier,displayName,userPrincipalName"
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)


@dataclass(frozen=True, slots=True)
class EntraClaims:
    """The validated facts of a bearer token: who (``oid``), in which tenant, under which name."""

    oid: str
    tid: str
    username: str | None
    claims: Mapping[str, Any]


class EntraTokenValidator:
    """Validates an Entra ID bearer token: RS256 signature by a published tenant key, issuer,
    audience, tenant, expiry and not-before (with ``leeway`` seconds of clock skew), and that it is an
    access token: one that carries what it was issued to do (``scp`` for a user's delegated token,
    ``roles`` for an application's) and the client it was issued to (``azp``, v1 ``appid``). ID tokens
    carry neither client nor scope, but often a ``nonce``: signed by the same keys and, when our client
    id is also an accepted audience, they would otherwise pass as proof of a sign-in they never were."""

    def __init__(
        self,
        tenant_id: str,
        audiences: Sequence[str],
        jwks: JwksCache,
        issuers: Sequence[str],
        leeway: float = 60.0,
    ) -> None:
        if not audiences or not issuers:
            raise AccessControlError("an Entra token validator needs at least one audience and one issuer")
        self.tenant_id = tenant_id.lower()
        self.audiences = list(audiences)
        self.issuers = list(issuers)
        self.leeway = leeway
        self._jwks = jwks

    def validate(self, token: str) -> EntraClaims:
        key = self._jwks.key(signing_kid(token, ALGORITHMS))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audiences,
                issuer=self.issuers,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "tid", "oid"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token: {exc}") from exc
        if str(claims["tid"]).lower() != self.tenant_id:
            raise AuthenticationError("the token was issued for another tenant")
        problem = _not_an_access_token(claims)
        if problem:
            raise AuthenticationError(f"invalid token: {problem}")
        try:
            oid = tokens.name_of(tokens.entra(str(claims["oid"])))
        except AccessControlError as exc:
            raise AuthenticationError("the token's oid is not an object id") from exc
        username = claims.get("preferred_username") or claims.get("upn") or claims.get("unique_name")
        return EntraClaims(oid=oid, tid=self.tenant_id, username=username, claims=claims)


def _not_an_access_token(claims: Mapping[str, Any]) -> str | None:
    scp, roles = claims.get("scp"), claims.get("roles")
    delegated = isinstance(scp, str) and bool(scp.strip())
    app_only = isinstance(roles, list) and any(isinstance(r, str) and r for r in roles)
    if "nonce" in claims or not (claims.get("azp") or claims.get("appid")):
        return "an ID token (or another token that names no client app) is not an access token"
    if not (delegated or app_only):
        return "it grants no scope (scp) or app role (roles) of this API"
    return None


class MsalAppToken:
    """An app-only Graph token from msal (client secret or certificate), cached by msal until expiry.
    The msal application (which contacts the authority) is built on first use, not at construction."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        scope: str,
        *,
        client_secret: str | None = None,
        certificate_pem: str | None = None,
        authority_host: str = AUTHORITY_HOST,
        verify: bool | str = True,
        timeout: float = 10.0,
    ) -> None:
        self._credential = client_credential(client_secret, certificate_pem)
        self._args = {"client_id": client_id, "authority": f"{authority_host.rstrip('/')}/{tenant_id}"}
        self._verify, self._timeout = verify, timeout
        self.scope = scope
        self._app: Any = None
        self._lock = threading.Lock()

    def token(self, force_refresh: bool = False) -> str:
        import requests

        try:
            with self._lock:
                if self._app is None:
                    self._app = confidential_client(
                        self._credential, verify=self._verify, timeout=self._timeout, **self._args
                    )
                if force_refresh:
                    self._app.remove_tokens_for_client()
            result = self._app.acquire_token_for_client(scopes=[self.scope])
        except (requests.RequestException, ValueError, RuntimeError) as exc:
            raise DirectoryUnavailableError(f"cannot reach the Entra authority: {exc}") from exc
        if "access_token" not in result:
            raise DirectoryUnavailableError(
                f"no app token from Entra: {result.get('error')} {result.get('error_description', '')[:200]}"
            )
        return str(result["access_token"])


def client_credential(client_secret: str | None, certificate_pem: str | None) -> str | dict[str, str]:
    """msal's client credential: a secret, or a certificate (exactly one of them)."""
    if (client_secret is None) == (certificate_pem is None):
        raise AccessControlError("give exactly one of a client secret and a client certificate")
    return client_secret or _certificate_credential(certificate_pem or "")


def confidential_client(
    credential: str | dict[str, str],
    *,
    client_id: str,
    authority: str,
    verify: bool | str = True,
    timeout: float = 10.0,
) -> Any:
    """An msal confidential client talking to ``authority`` (no instance discovery: on-premises
    networks reach only the configured authority) through a CA-pinned HTTP session."""
    import msal

    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=authority,
        instance_discovery=False,
        http_client=_requests_session(verify, timeout),
    )


def _requests_session(verify: bool | str, timeout: float) -> Any:
    """msal's HTTP client. ``verify`` is passed on every request because requests lets
    ``REQUESTS_CA_BUNDLE`` override a session-wide setting, which would ignore a configured CA."""
    import requests

    session = requests.Session()
    session.request = functools.partial(session.request, verify=verify, timeout=timeout)  # type: ignore[method-assign]
    return session


def _certificate_credential(pem: str) -> dict[str, str]:
    """msal's credential from one PEM holding the private key and its certificate (SHA-256 thumbprint)."""
    blocks = {m.group(1): m.group(0) for m in _PEM_BLOCK.finditer(pem)}
    key = next((v for k, v in blocks.items() if k.endswith("PRIVATE KEY")), None)
    if key is None or "CERTIFICATE" not in blocks:
        raise AccessControlError("the client certificate file needs a private key and a certificate")
    return {"private_key": key, "public_certificate": blocks["CERTIFICATE"]}


class GraphClient:
    """GET JSON from Microsoft Graph with an app token: paging, 429/5xx with ``Retry-After`` (bounded),
    one token refresh on 401; anything else that fails is :class:`DirectoryUnavailableError`."""

    def __init__(
        self,
        token_provider: MsalAppToken | Any,
        http: httpx.Client,
        base_url: str = GRAPH_URL,
        *,
        max_retries: int = 4,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = urlsplit(self.base_url)[:2]
        self._tokens = token_provider
        self._http = http
        self._max_retries = max_retries
        self._max_retry_after = max_retry_after
        self._sleep = sleep

    def get(self, url: str) -> dict[str, Any] | None:
        """One JSON object; ``None`` for 404. ``url`` is a path under the base URL or a full Graph URL."""
        url = url if url.startswith(("https://", "http://")) else f"{self.base_url}{url}"
        if urlsplit(url)[:2] != self._origin:
            raise DirectoryUnavailableError(f"Graph pointed outside {self.base_url}: refusing to send the token")
        token, refreshed, problem = self._tokens.token(), False, "no attempt"
        for attempt in range(self._max_retries + 1):
            try:
                response = self._http.get(url, headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:
                problem = f"unreachable: {exc}"
                if attempt < self._max_retries:
                    self._sleep(min(2.0**attempt * 0.2, self._max_retry_after))
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                token, refreshed = self._tokens.token(force_refresh=True), True
                continue
            if status in (429, 500, 502, 503, 504):
                problem = f"HTTP {status}"
                delay = _retry_after(response) or min(2.0**attempt * 0.2, self._max_retry_after)
                if delay > self._max_retry_after or attempt == self._max_retries:
                    break
                self._sleep(delay)
                continue
            if status == 404:
                return None
            if status >= 400:
                raise DirectoryUnavailableError(f"Graph refused {urlsplit(url).path}: HTTP {status}")
            return _json_object(response)
        raise DirectoryUnavailableError(f"Graph did not answer {urlsplit(url).path} ({problem})")

    def pages(self, path: str) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, following ``@odata.nextLink``; a missing page raises."""
        url: str | None = path
        while url:
            page = self.get(url)
            if page is None or not isinstance(page.get("value"), list):
                raise DirectoryUnavailableError(f"Graph returned no collection for {path}")
            yield page["value"]
            url = page.get("@odata.nextLink")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise DirectoryUnavailableError("Graph answered with something that is not JSON") from exc
    if not isinstance(body, dict):
        raise DirectoryUnavailableError("Graph answered with something that is not a JSON object")
    return body


class EntraResolver(PrincipalResolver):
    """``PrincipalResolver`` keyed by the user's object id: the user, every transitive group, and the
    on-premises SIDs of those synced from AD (plus Everyone and Authenticated Users for a synced user,
    which AD would give the same person). Disabled, unknown or malformed ids resolve to nothing."""

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph
        self._names: dict[str, str] = {}

    def resolve(self, user: str) -> AccessScope:
        empty = AccessScope(principal=user, tokens=frozenset())
        try:
            own = tokens.entra(user)
        except AccessControlError:
            return empty  # not an object id: nothing to ask Graph, and nothing injected into its path
        oid = tokens.name_of(own)
        me = self.graph.get(f"/users/{oid}?{_USER_SELECT}")
        if me is None or me.get("accountEnabled") is not True:
            return empty
        found = {own, *self._object_tokens(me)}
        if me.get("onPremisesSecurityIdentifier"):
            found |= {tokens.SID_EVERYONE, tokens.SID_AUTHENTICATED_USERS}
        for page in self.graph.pages(f"/users/{oid}/transitiveMemberOf?{_GROUP_SELECT}"):
            for item in page:
                if item.get("@odata.type", "#microsoft.graph.group") == "#microsoft.graph.group":
                    found |= self._object_tokens(item)
        return AccessScope(principal=user, tokens=frozenset(found))

    def _object_tokens(self, item: Mapping[str, Any]) -> set[str]:
        out = graph_object_tokens(item)
        if item.get("displayName"):
            self._names.update({t: str(item["displayName"]) for t in out})
        return out

    def describe(self, token: str) -> str:
        if token in self._names:
            return self._names[token]
        if tokens.kind_of(token) == "entra":
            try:
                found = self.graph.get(f"/directoryObjects/{tokens.name_of(token)}?$select=id,displayName")
            except DirectoryUnavailableError:
                return token  # cosmetic: the access decision never depends on a name
            if found and found.get("displayName"):
                self._names[token] = str(found["displayName"])
                return self._names[token]
        return token


def _http(ca_bundle: str | Path | None, timeout: float) -> httpx.Client:
    """TLS-verified HTTP; ``ca_bundle`` replaces the system trust store (a private CA, a test authority)."""
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True
    return httpx.Client(verify=verify, timeout=timeout, follow_redirects=False)


def build_entra_validator(
    *,
    tenant_id: str,
    audience: str | Sequence[str],
    authority_host: str = AUTHORITY_HOST,
    jwks_url: str | None = None,
    issuers: Sequence[str] | None = None,
    leeway: float = 60.0,
    ca_bundle: str | Path | None = None,
    timeout: float = 10.0,
) -> EntraTokenValidator:
    host = authority_host.rstrip("/")
    if issuers is None:
        issuers = [f"{host}/{tenant_id}/v2.0"]
        if host == AUTHORITY_HOST:
            issuers.append(f"https://sts.windows.net/{tenant_id}/")  # v1.0 access tokens
    jwks = JwksCache(jwks_url or f"{host}/{tenant_id}/discovery/v2.0/keys", _http(ca_bundle, timeout))
    audiences = [audience] if isinstance(audience, str) else list(audience)
    return EntraTokenValidator(tenant_id, audiences, jwks, issuers, leeway)


def build_entra_resolver(
    *,
    tenant_id: str,
    client_id: str,
    client_secret: str | Any | None = None,
    client_certificate_path: str | Path | None = None,
    authority_host: str = AUTHORITY_HOST,
    graph_url: str = GRAPH_URL,
    ca_bundle: str | Path | None = None,
    timeout: float = 10.0,
    cache_ttl: float | None = 60.0,
) -> PrincipalResolver:
    """The Graph-backed resolver behind the principal cache (``cache_ttl`` ``None``: uncached)."""
    from ragwarden.acl.principal_cache import CachingResolver

    secret = (
        client_secret
        if client_secret is None or isinstance(client_secret, str)
        else (
            str(client_secret.get_secret_value())  # a pydantic SecretStr from the settings
        )
    )
    certificate = Path(client_certificate_path).read_text() if client_certificate_path else None
    scheme, netloc = urlsplit(graph_url)[:2]
    provider = MsalAppToken(
        tenant_id,
        client_id,
        f"{scheme}://{netloc}/.default",
        client_secret=secret,
        certificate_pem=certificate,
        authority_host=authority_host,
        verify=str(ca_bundle) if ca_bundle else True,
        timeout=timeout,
    )
    resolver = EntraResolver(GraphClient(provider, _http(ca_bundle, timeout), graph_url))
    return resolver if cache_ttl is None else CachingResolver(resolver, ttl=cache_ttl)


def graph_object_tokens(item: Mapping[str, Any]) -> set[str]:
    """A Graph user or group as tokens: ``entra:<id>``, and ``sid:`` of its on-premises twin if synced."""
    try:
        out = {tokens.entra(str(item["id"]))}
        if item.get("onPremisesSecurityIdentifier"):
            out.add(tokens.sid(str(item["onPremisesSecurityIdentifier"])))
    except (KeyError, AccessControlError) as exc:
        raise DirectoryUnavailableError(f"Graph returned a malformed directory object: {exc}") from exc
    return out
