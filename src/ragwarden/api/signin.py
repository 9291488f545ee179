"""Signing in to the search page with Entra ID: the authorization-code flow (with PKCE) through msal,
then a server-side session behind an HttpOnly cookie.

``GET /auth/login`` starts the flow and sends the browser to Entra; Entra posts the code back to
``POST /auth/callback`` (``form_post``: the code never appears in a URL, a log or a Referer), which redeems
it at the token endpoint (msal checks state, nonce and the PKCE verifier; we check the ID token's
tenant, audience, issuer and expiry), keeps the user's object id in a session and sets the cookie;
``POST /auth/logout`` ends it. Both cookies are ``__Host-`` cookies (Secure, ``Path=/``, no Domain), which
a sibling host or a plain-http page on the network cannot set or overwrite; browsers keep Secure cookies
over https and on http://localhost, the only http origin Entra (and our settings) accept as a redirect.
The session holds *who* signed in (the object id), never their groups: every
request resolves them through Graph behind the principal cache, so a revoked membership reaches the
page as fast as it reaches the API. Cookie-authenticated requests must carry ``X-Requested-With: ragwarden``,
which a cross-site form cannot send and a cross-site script cannot without a CORS pre-flight this API
never grants (CSRF). Sessions live in this process: a restart signs everyone out.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError, AuthenticationError, ConfigurationError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver
from ragwarden.core.settings import Settings

SESSION_COOKIE = "__Host-ragwarden_session"
FLOW_COOKIE = "__Host-ragwarden_signin"
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "ragwarden"
FLOW_SECONDS = 600  # time to finish signing in at Entra
MAX_PENDING = 10_000  # unfinished sign-ins kept (oldest dropped): a flood cannot exhaust memory


@dataclass(frozen=True, slots=True)
class Session:
    oid: str
    username: str
    expires: float


@dataclass
class SessionStore:
    """Sessions and unfinished sign-ins by random key, with expiry (thread-safe)."""

    ttl: float
    clock: Callable[[], float] = time.time
    _sessions: dict[str, Session] = field(default_factory=dict)
    _flows: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, oid: str, username: str) -> str:
        key = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[key] = Session(oid, username, self.clock() + self.ttl)
        return key

    def get(self, key: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and session.expires <= self.clock():
                del self._sessions[key]
                return None
            return session

    def drop(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def of(self, user: str) -> list[Session]:
        """The live sessions of ``user`` (an object id, ``entra:<oid>`` or the sign-in name): DSGVO access."""
        with self._lock:
            return [s for s in self._sessions.values() if _belongs(s, user) and s.expires > self.clock()]

    def erase(self, user: str) -> int:
        """End every session of ``user`` (DSGVO erasure; they must sign in again); how many."""
        with self._lock:
            keys = [k for k, s in self._sessions.items() if _belongs(s, user)]
            for key in keys:
                del self._sessions[key]
        return len(keys)

    def sweep(self) -> int:
        """Drop expired sessions and sign-ins now (the retention sweep: ``get`` drops them only when asked)."""
        now = self.clock()
        with self._lock:
            old = [k for k, s in self._sessions.items() if s.expires <= now]
            for key in old:
                del self._sessions[key]
            for key in [k for k, (expires, _) in self._flows.items() if expires <= now]:
                del self._flows[key]
        return len(old)

    def put_flow(self, flow: dict[str, Any]) -> str:
        key = secrets.token_urlsafe(32)
        with self._lock:
            while len(self._flows) >= MAX_PENDING:
                del self._flows[next(iter(self._flows))]
            self._flows[key] = (self.clock() + FLOW_SECONDS, flow)
        return key

    def pop_flow(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            expires, flow = self._flows.pop(key, (0.0, {}))
        return flow if expires > self.clock() else None


def _belongs(session: Session, user: str) -> bool:
    wanted = user.strip().lower()
    return wanted in (session.oid.lower(), f"entra:{session.oid.lower()}", session.username.lower())


@dataclass
class SessionAuthenticator:
    """The search page's signed-in user: the session cookie (and the CSRF header) → Entra object id →
    the user's tokens through the Entra resolver."""

    sessions: SessionStore
    resolver: PrincipalResolver

    def applies(self, request: Request) -> bool:
        return SESSION_COOKIE in request.cookies

    def authenticate(self, request: Request) -> AccessScope:
        if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
            raise AuthenticationError(f"cookie sign-in needs the {CSRF_HEADER}: {CSRF_VALUE} header")
        session = self.sessions.get(request.cookies[SESSION_COOKIE])
        if session is None:
            raise AuthenticationError("the session has ended: sign in again")
        scope = self.resolver.resolve(session.oid)
        return AccessScope(tokens.entra(session.oid), scope.tokens)


class EntraSignIn:
    """The authorization-code flow against the configured tenant (the same app registration as Graph)."""

    def __init__(self, settings: Settings, sessions: SessionStore) -> None:
        from ragwarden.acl.msal_app import client_credential

        if not (settings.entra_tenant_id and settings.entra_client_id and settings.entra_redirect_uri):
            raise ConfigurationError("Entra sign-in needs RAGWARDEN_ENTRA_TENANT_ID, _CLIENT_ID and _REDIRECT_URI")
        secret = settings.entra_client_secret.get_secret_value() if settings.entra_client_secret else None
        certificate = settings.entra_client_certificate.read_text() if settings.entra_client_certificate else None
        self._credential = client_credential(secret, certificate)
        self.tenant_id, self.client_id = settings.entra_tenant_id, settings.entra_client_id
        self.redirect_uri = settings.entra_redirect_uri
        self.authority = f"{settings.entra_authority_host.rstrip('/')}/{self.tenant_id}"
        self.issuers = settings.entra_issuers or [f"{self.authority}/v2.0"]
        self.verify = str(settings.entra_ca_bundle) if settings.entra_ca_bundle else True
        self.sessions = sessions
        self._app: Any = None
        self._lock = threading.Lock()

    def _client(self) -> Any:
        from ragwarden.acl.msal_app import confidential_client

        with self._lock:
            if self._app is None:
                self._app = confidential_client(
                    self._credential, client_id=self.client_id, authority=self.authority, verify=self.verify
                )
            return self._app

    def start(self) -> tuple[str, str]:
        """The Entra URL to send the browser to, and the key of this unfinished sign-in."""
        flow = self._client().initiate_auth_code_flow(
            scopes=[], redirect_uri=self.redirect_uri, response_mode="form_post"
        )
        return str(flow["auth_uri"]), self.sessions.put_flow(flow)

    def finish(self, flow_key: str, params: dict[str, str]) -> str:
        """Redeem the code; the new session's key. AuthenticationError when anything is off."""
        flow = self.sessions.pop_flow(flow_key)
        if flow is None:
            raise AuthenticationError("the sign-in expired or was not started here: sign in again")
        try:
            result = self._client().acquire_token_by_auth_code_flow(flow, params)
        except ValueError as exc:  # msal: state mismatch, missing code, …
            raise AuthenticationError(f"sign-in refused: {exc}") from exc
        if "error" in result:
            raise AuthenticationError(f"sign-in refused by Entra: {result.get('error')}")
        claims = result.get("id_token_claims") or {}
        self._check(claims)
        try:
            oid = tokens.name_of(tokens.entra(str(claims["oid"])))
        except AccessControlError as exc:
            raise AuthenticationError("sign-in refused: the ID token's oid is not an object id") from exc
        username = str(claims.get("preferred_username") or claims.get("upn") or oid)
        return self.sessions.create(oid, username)

    def _check(self, claims: dict[str, Any]) -> None:
        exp = claims.get("exp")
        problems = {
            "another tenant": claims.get("tid") != self.tenant_id,
            "another audience": claims.get("aud") != self.client_id,
            "an unexpected issuer": claims.get("iss") not in self.issuers,
            "expired": not isinstance(exp, int | float) or exp <= time.time(),
            "no object id": not claims.get("oid"),
        }
        found = [name for name, bad in problems.items() if bad]
        if found:
            raise AuthenticationError(f"sign-in refused: the ID token has {', '.join(found)}")


def install_signin(app: FastAPI, settings: Settings, authenticator: Any) -> None:
    """The sign-in routes, when the authenticator holds a session store (Entra sign-in configured)."""
    sessions = authenticator.sessions() if hasattr(authenticator, "sessions") else None
    if sessions is not None:
        _routes(app, EntraSignIn(settings, sessions))


def _routes(app: FastAPI, signin: EntraSignIn) -> None:
    cookie = {"httponly": True, "secure": True, "samesite": "lax", "path": "/"}  # what __Host- requires
    # Entra's form post back is a cross-site POST, which carries only SameSite=None cookies
    flow_cookie = {**cookie, "samesite": "none"}

    @app.get("/auth/login", tags=["sign-in"], include_in_schema=False)
    def login() -> Response:
        url, key = signin.start()
        response = RedirectResponse(url, status_code=302)
        response.set_cookie(FLOW_COOKIE, key, max_age=FLOW_SECONDS, **flow_cookie)  # type: ignore[arg-type]
        return response

    @app.post("/auth/callback", tags=["sign-in"], include_in_schema=False)
    async def callback(request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        flow_key = request.cookies.get(FLOW_COOKIE, "")
        key = await run_in_threadpool(signin.finish, flow_key, form)  # the token endpoint: network I/O
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(FLOW_COOKIE, **flow_cookie)  # type: ignore[arg-type]
        response.set_cookie(SESSION_COOKIE, key, max_age=int(signin.sessions.ttl), **cookie)  # type: ignore[arg-type]
        return response

    @app.post("/auth/logout", tags=["sign-in"], include_in_schema=False)
    def logout(request: Request) -> Response:
        if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
            raise AuthenticationError(f"sign-out needs the {CSRF_HEADER}: {CSRF_VALUE} header")
        signin.sessions.drop(request.cookies.get(SESSION_COOKIE, ""))
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, **cookie)  # type: ignore[arg-type]
        return response
