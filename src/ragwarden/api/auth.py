"""Who is asking, for the HTTP interfaces: one authenticator per configured mode.

``trusted-header``: an authenticating reverse proxy (Kerberos/SPNEGO, Authentik, …) sends
``X-Remote-User`` and the shared ``X-Proxy-Secret``; the user resolves through the directory (AD or
the local YAML). ``entra``: a bearer JWT from Entra ID, validated against the tenant's keys; groups
from Microsoft Graph. ``local``: the demo's user switcher, ``X-Remote-User`` without a secret, only
from a loopback peer that names us by a loopback host (:mod:`ragwarden.api.loopback`) and never beside
another mode. The other modes may be combined; a request is handled by the first mode whose
credentials it carries, and a request that carries none is 401.

Entra callers are named ``entra:<object id>``: a display name or UPN can change hands, and the name
keys the caller's conversations.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request

from ragwarden.acl import tokens
from ragwarden.api.loopback import is_loopback as is_loopback  # re-exported: metrics and demo use it
from ragwarden.api.loopback import local_request_problem
from ragwarden.core.errors import AuthenticationError, ConfigurationError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver
from ragwarden.core.settings import Settings

MAX_USER_CHARS = 256
USER_HEADER = "X-Remote-User"
SECRET_HEADER = "X-Proxy-Secret"  # noqa: S105 (a header name, not a secret)


class Authenticator(Protocol):
    def applies(self, request: Request) -> bool:
        """Does the request carry this mode's credentials?"""

    def authenticate(self, request: Request) -> AccessScope:
        """The caller's scope; raises AuthenticationError when nobody is established."""


def _one(request: Request, name: str) -> str:
    """The header's one value: sent twice, which one is meant is anybody's guess (first wins for one
    parser, last for another), so neither is."""
    values = request.headers.getlist(name)
    if len(values) > 1:
        raise AuthenticationError(f"more than one {name} header")
    return values[0] if values else ""


def _user(request: Request) -> str:
    user = _one(request, USER_HEADER).strip()
    if "," in user:  # two headers a proxy merged into one ("eve, alice"): no user name has a comma
        raise AuthenticationError(f"more than one {USER_HEADER} header")
    if not user:
        raise AuthenticationError(f"missing {USER_HEADER} header")
    if len(user) > MAX_USER_CHARS:
        raise AuthenticationError(f"{USER_HEADER} is too long")
    return user


@dataclass
class TrustedHeaderAuthenticator:
    resolver: PrincipalResolver
    secret: bytes

    def applies(self, request: Request) -> bool:
        return SECRET_HEADER in request.headers or USER_HEADER in request.headers

    def authenticate(self, request: Request) -> AccessScope:
        given = _one(request, SECRET_HEADER).encode()
        if not given or not hmac.compare_digest(given, self.secret):
            raise AuthenticationError("missing or wrong proxy secret")
        return self.resolver.resolve(_user(request))


@dataclass
class EntraAuthenticator:
    validator: Any  # ragwarden.acl.entra_tokens.EntraTokenValidator
    resolver: PrincipalResolver

    def applies(self, request: Request) -> bool:
        return request.headers.get("Authorization", "").lower().startswith("bearer ")

    def authenticate(self, request: Request) -> AccessScope:
        token = _one(request, "Authorization")[7:].strip()
        claims = self.validator.validate(token)
        scope = self.resolver.resolve(claims.oid)
        return AccessScope(tokens.entra(claims.oid), scope.tokens)


@dataclass
class LocalAuthenticator:
    resolver: PrincipalResolver

    def applies(self, request: Request) -> bool:
        return USER_HEADER in request.headers

    def authenticate(self, request: Request) -> AccessScope:
        problem = local_request_problem(request.scope)
        if problem is not None:
            raise AuthenticationError(problem)
        return self.resolver.resolve(_user(request))


@dataclass
class CombinedAuthenticator:
    modes: list[Authenticator]

    def applies(self, request: Request) -> bool:
        return any(m.applies(request) for m in self.modes)

    def authenticate(self, request: Request) -> AccessScope:
        for mode in self.modes:
            if mode.applies(request):
                return mode.authenticate(request)
        raise AuthenticationError("no credentials: sign in through the configured authentication")

    def sessions(self) -> Any:
        """The search page's session store, when Entra sign-in is configured (else None)."""
        from ragwarden.api.signin import SessionAuthenticator

        found = [m.sessions for m in self.modes if isinstance(m, SessionAuthenticator)]
        return found[0] if found else None

    def naming(self, directory: PrincipalResolver) -> PrincipalResolver:
        """What ``/v1/me`` names a caller's tokens with: the directory first (SIDs), then the other
        modes' resolvers (only Entra knows its groups' display names)."""
        others = [m.resolver for m in self.modes if isinstance(m, EntraAuthenticator)]
        return TokenNames(directory, others) if others else directory


@dataclass
class TokenNames:
    """Names only: ``resolve`` is the directory's; ``describe`` asks each resolver until one knows."""

    directory: PrincipalResolver
    others: list[PrincipalResolver]

    def resolve(self, user: str) -> AccessScope:
        return self.directory.resolve(user)

    def describe(self, token: str) -> str:
        for resolver in (self.directory, *self.others):
            name = resolver.describe(token)
            if name != token:
                return name
        return token


def build_authenticator(settings: Settings, directory: PrincipalResolver) -> CombinedAuthenticator:
    modes: list[Authenticator] = []
    for mode in settings.auth_modes:
        if mode == "entra":
            entra = _entra(settings)
            modes.append(entra)
            if settings.entra_redirect_uri:  # the search page's sign-in: a session cookie
                from ragwarden.api.signin import SessionAuthenticator, SessionStore

                hours = settings.session_hours * 3600  # RAGWARDEN_RETENTION_SESSIONS caps it
                ttl = min(hours, settings.retention_sessions) if settings.retention_sessions else hours
                modes.append(SessionAuthenticator(SessionStore(ttl), entra.resolver))
        elif mode == "trusted-header":
            secret = settings.require_proxy_secret().get_secret_value().encode()
            modes.append(TrustedHeaderAuthenticator(directory, secret))
        elif mode == "local":  # alone: Settings refuses it beside another mode
            if not is_loopback(settings.host):
                raise ConfigurationError("RAGWARDEN_AUTH_MODE=local is for the demo and only serves on loopback")
            modes.append(LocalAuthenticator(directory))
    return CombinedAuthenticator(modes)


def _entra(settings: Settings) -> EntraAuthenticator:
    from ragwarden.services.identity import entra_people, entra_validator

    return EntraAuthenticator(entra_validator(settings), entra_people(settings))
