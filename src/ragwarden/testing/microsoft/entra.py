"""A local stand-in for login.microsoftonline.com and Microsoft Graph, served over real HTTPS.

One threaded HTTPS server (the stand-ins' own CA, see ``tls``) plays:
- the Entra authority: OpenID discovery, the authorize endpoint (signs in ``sign_in_as`` at once), the
  token endpoint (authorization code with PKCE; client credentials with the client secret or a
  certificate-signed client assertion, checked) and the tenant's JWKS, with signing keys the test rotates;
- Graph (see ``graph``), requiring an app token it issued; throttling and outages switched on by the test.

Besides its own app (``client_id``), other apps may be registered in ``clients`` and given app tokens
for the extra ``scopes`` (the Bot Framework channel stand-in registers the bot this way). App tokens are
JWTs whose ``appidacr`` claim says how the app signed in ("1" secret, "2" certificate; see ``app_claims``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jwt

from ragwarden.testing.microsoft.graph import serve_graph
from ragwarden.testing.microsoft.https import HttpsServer, JsonHandler
from ragwarden.testing.microsoft.keys import SigningKeys
from ragwarden.testing.microsoft.tls import write_tls_files


@dataclass
class Faults:
    throttle: int = 0  # the next N Graph requests answer 429
    retry_after: str = "1"
    throttle_path: str = ""  # only requests whose URL contains this are throttled
    down: bool = False  # every Graph request answers 503
    jwks_down: bool = False
    jwks_delay: float = 0.0  # seconds the key endpoint takes to answer (a hanging endpoint)


@dataclass
class FakeMicrosoft:
    root: Path
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    clients: dict[str, str] = field(default_factory=dict)  # other registered apps: client id -> secret
    scopes: set[str] = field(default_factory=set)  # app tokens granted besides Graph's (to any client)
    page_size: int = 100
    faults: Faults = field(default_factory=Faults)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_of: dict[str, list[str]] = field(default_factory=dict)  # user id -> transitive group ids
    group_member_of: dict[str, list[str]] = field(default_factory=dict)  # group id -> transitive group ids
    signing: SigningKeys = field(default_factory=lambda: SigningKeys("key"))  # published kid -> key
    app_tokens: dict[str, str] = field(default_factory=dict)  # app token issued -> its scope
    counts: dict[str, int] = field(default_factory=lambda: {"token": 0, "jwks": 0, "graph": 0})
    graph_queries: list[str] = field(default_factory=list)
    sign_in_as: str | None = None  # the user who signs in at the authorize endpoint (None: refuses)
    id_token_claims: dict[str, Any] = field(default_factory=dict)  # overrides, to forge bad ID tokens
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tls = write_tls_files(self.root)
        self.ca_file, self.client_cert_file, self.client_public_key = tls.ca, tls.client, tls.client_public_key
        self.server = HttpsServer(tls.server, get=lambda h: _get(self, h), post=lambda h: _post(self, h))
        self.base_url = self.server.base_url

    # -- what the test configures -----------------------------------------------------------------
    @property
    def authority_host(self) -> str:
        return self.base_url

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def graph_scope(self) -> str:
        return f"{self.base_url}/.default"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.tenant_id}/v2.0"

    def rotate_key(self) -> str:
        return self.signing.rotate()

    @property
    def current_kid(self) -> str:
        return self.signing.current_kid

    def issue(
        self,
        *,
        key: Any = None,
        kid: str | None = None,
        algorithm: str = "RS256",
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A user access token as Entra would issue it for our API; ``claims`` override the defaults."""
        now = int(time.time())
        body = {
            "aud": "api://ragwarden",
            "iss": self.issuer,
            "tid": self.tenant_id,
            "oid": str(uuid.uuid4()),
            "preferred_username": "alice@corp.example",
            "scp": "access_as_user",  # a delegated access token for our API, from this client
            "azp": self.client_id,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 3600,
            "ver": "2.0",
        }
        return self.signing.sign({**body, **claims}, key=key, kid=kid, algorithm=algorithm, headers=headers)

    def scope_of(self, token: str | None) -> str | None:
        """The scope of an app token this authority issued (None: not one of its tokens)."""
        return self.app_tokens.get(token or "")

    def app_claims(self, token: str) -> dict[str, Any]:
        """The claims of an app token this authority issued (empty: not one of its tokens)."""
        if token not in self.app_tokens:
            return {}
        return dict(jwt.decode(token, options={"verify_signature": False}))

    def add_user(
        self, *, sid: str | None = None, enabled: bool = True, name: str = "user", guest: bool = False
    ) -> str:
        oid = str(uuid.uuid4())
        self.users[oid] = {
            "id": oid,
            "accountEnabled": enabled,
            "userType": "Guest" if guest else "Member",
            "onPremisesSecurityIdentifier": sid,
            "displayName": name,
            "userPrincipalName": f"{name}@corp.example",
        }
        self.member_of[oid] = []
        return oid

    def add_group(self, name: str, *, sid: str | None = None, members: tuple[str, ...] = ()) -> str:
        gid = str(uuid.uuid4())
        self.groups[gid] = {
            "@odata.type": "#microsoft.graph.group",
            "id": gid,
            "displayName": name,
            "onPremisesSecurityIdentifier": sid,
        }
        for user in members:
            self.member_of[user].append(gid)
        return gid

    def stop(self) -> None:
        self.server.stop()


def _get(ms: FakeMicrosoft, h: JsonHandler) -> None:
    tenant = f"/{ms.tenant_id}"
    if h.route == f"{tenant}/v2.0/.well-known/openid-configuration":
        return h.reply(200, _discovery(ms))
    if h.route == f"{tenant}/discovery/v2.0/keys":
        ms.counts["jwks"] += 1
        time.sleep(ms.faults.jwks_delay)
        if ms.faults.jwks_down:
            return h.reply(503, {"error": "unavailable"})
        return h.reply(200, ms.signing.jwks())
    if h.route.startswith("/v1.0/"):
        ms.counts["graph"] += 1
        ms.graph_queries.append(h.path)
        return serve_graph(ms, h)
    if h.route == f"{tenant}/oauth2/v2.0/authorize":
        return _authorize(ms, h)
    return h.reply(404, {"error": "not_found"})


def _post(ms: FakeMicrosoft, h: JsonHandler) -> None:
    if h.route != f"/{ms.tenant_id}/oauth2/v2.0/token":
        return h.reply(404, {"error": "not_found"})
    form = {k: v[0] for k, v in parse_qs(h.body().decode()).items()}
    ms.counts["token"] += 1
    if form.get("grant_type") == "authorization_code":
        return _redeem_code(ms, h, form)
    scope = form.get("scope", "")
    if not _client_ok(ms, form) or scope not in {ms.graph_scope, *ms.scopes}:
        return h.reply(401, {"error": "invalid_client", "error_description": "bad client credentials"})
    token = _app_token(ms, form, scope)
    ms.app_tokens[token] = scope
    return h.reply(200, {"token_type": "Bearer", "expires_in": 3600, "access_token": token})


def _app_token(ms: FakeMicrosoft, form: dict[str, str], scope: str) -> str:
    """An app-only access token as Entra issues one: a JWT whose ``appidacr`` says how the app proved itself
    ("1" a client secret, "2" a certificate), which SharePoint REST checks."""
    now = int(time.time())
    claims = {"aud": scope.removesuffix("/.default"), "iss": f"https://sts.windows.net/{ms.tenant_id}/",
              "tid": ms.tenant_id, "appid": form.get("client_id"), "idtyp": "app", "jti": secrets.token_hex(8),
              "appidacr": "2" if "client_assertion" in form else "1", "iat": now, "nbf": now, "exp": now + 3600}
    return ms.signing.sign(claims)


def _discovery(ms: FakeMicrosoft) -> dict[str, Any]:
    base = f"{ms.base_url}/{ms.tenant_id}"
    return {
        "issuer": ms.issuer,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
    }


def _authorize(ms: FakeMicrosoft, h: JsonHandler) -> None:
    """The user's browser at Entra: signs in as ``ms.sign_in_as`` at once, back to the redirect URI."""
    q = {k: v[0] for k, v in h.query().items()}
    if q.get("client_id") != ms.client_id or q.get("response_type") != "code" or "redirect_uri" not in q:
        return h.reply(400, {"error": "invalid_request"})
    if ms.sign_in_as is None:
        answer = {"error": "access_denied", "state": q.get("state", "")}
    else:
        code = secrets.token_urlsafe(16)
        ms.codes[code] = {**q, "oid": ms.sign_in_as}
        answer = {"code": code, "state": q.get("state", "")}
    if q.get("response_mode") == "form_post":  # the page Entra answers with: a self-posting form
        return h.reply(200, {"form_post": q["redirect_uri"], "fields": answer})
    return h.redirect(f"{q['redirect_uri']}?{urlencode(answer)}")


def _redeem_code(ms: FakeMicrosoft, h: JsonHandler, form: dict[str, str]) -> None:
    """The code grant: client credentials, the code (once), its redirect URI and the PKCE verifier."""
    grant = ms.codes.pop(form.get("code", ""), None)
    if not _client_ok(ms, {**form, "grant_type": "client_credentials"}) or grant is None:
        return h.reply(400, {"error": "invalid_grant", "error_description": "bad client or code"})
    verifier = form.get("code_verifier", "").encode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
    if form.get("redirect_uri") != grant["redirect_uri"] or challenge != grant.get("code_challenge"):
        return h.reply(400, {"error": "invalid_grant", "error_description": "redirect URI or PKCE mismatch"})
    user = ms.users[grant["oid"]]
    claims: dict[str, Any] = {"aud": ms.client_id, "oid": grant["oid"], "sub": f"sub-{grant['oid']}"}
    claims["nonce"] = grant.get("nonce")
    claims |= {"scp": None, "azp": None}  # an ID token: no scope, no client app (None drops the claim)
    claims["name"] = user["displayName"]
    claims |= {"preferred_username": user["userPrincipalName"], **ms.id_token_claims}
    id_token = ms.issue(**claims)
    answer = {"token_type": "Bearer", "expires_in": 3600, "access_token": "user-token", "id_token": id_token}
    return h.reply(200, answer)


def _client_ok(ms: FakeMicrosoft, form: dict[str, str]) -> bool:
    """Client credentials: a registered app's secret, or an assertion signed with our app's certificate."""
    client_id = form.get("client_id", "")
    secret = ms.client_secret if client_id == ms.client_id else ms.clients.get(client_id)
    if form.get("grant_type") != "client_credentials" or secret is None:
        return False
    if "client_secret" in form:
        return secrets.compare_digest(form["client_secret"], secret)
    if client_id != ms.client_id:
        return False
    try:
        claims = jwt.decode(
            form.get("client_assertion", ""),
            ms.client_public_key,
            algorithms=["RS256", "PS256"],
            audience=f"{ms.base_url}/{ms.tenant_id}/oauth2/v2.0/token",
        )
    except jwt.PyJWTError:
        return False
    return bool(claims.get("iss") == claims.get("sub") == ms.client_id)
