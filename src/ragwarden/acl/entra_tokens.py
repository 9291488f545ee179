"""Who is asking, according to Entra ID: a bearer JWT checked against the tenant's published keys.

Only access tokens pass (see :class:`EntraTokenValidator`); the caller's groups never come from the token
(its ``groups`` claim stops at 200) but from Graph, in :mod:`ragwarden.acl.entra`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from ragwarden.acl import tokens
from ragwarden.acl.graph import tls_client
from ragwarden.acl.jwks import JwksCache, signing_kid
from ragwarden.acl.msal_app import AUTHORITY_HOST
from ragwarden.core.errors import AccessControlError, AuthenticationError

ALGORITHMS = ["RS256"]  # fixed here, never taken from the token header


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
    jwks = JwksCache(jwks_url or f"{host}/{tenant_id}/discovery/v2.0/keys", tls_client(ca_bundle, timeout))
    audiences = [audience] if isinstance(audience, str) else list(audience)
    return EntraTokenValidator(tenant_id, audiences, jwks, issuers, leeway)

