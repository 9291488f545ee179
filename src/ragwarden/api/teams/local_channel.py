"""A local stand-in for the Microsoft side of a Teams bot, over real HTTPS with its own CA.

For the benchmark and the tests (nothing here runs in production). One threaded server plays:
- the Bot Framework channel's OpenID metadata and signing keys (with ``endorsements``), and signs
  activities the way the channel does (:meth:`LocalChannel.sign`);
- the Entra authority the bot gets its outbound token from (discovery, client-credentials token
  endpoint checking the bot's secret and the scope);
- the Bot Connector at the activity's ``serviceUrl``: it records every activity the bot sends (with the
  time it arrived), serves conversation rosters, team details (``aadGroupId``) and channel lists, opens
  1:1 conversations (``POST /v3/conversations``, one id per user as Teams does), and refuses a request
  without a token it issued; ``hold`` (cleared) makes it wait before it accepts an activity;
- optionally Microsoft Graph's ``/users/{id}`` and ``/transitiveMemberOf`` (the benchmark's directory).
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from ragwarden.api.teams.local_tls import certificates, rsa_key

__all__ = ["BOT_FRAMEWORK_SCOPE", "LocalChannel", "Sent", "rsa_key"]

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
_CONNECTOR = re.compile(
    r"^/v3/conversations/(?P<cid>[^/]+)/(?P<what>activities|pagedmembers|members)(?:/(?P<aid>[^/]+))?$"
)
_TEAM = re.compile(r"^/v3/teams/(?P<tid>[^/]+)(?P<channels>/conversations)?$")


@dataclass(frozen=True)
class Sent:
    """One activity the bot sent to the connector."""

    at: float  # time.perf_counter() when it arrived
    conversation_id: str
    reply_to: str | None
    body: dict[str, Any]


@dataclass
class LocalChannel:
    root: Path
    app_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    app_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    endorsements: tuple[str, ...] | None = ("msteams",)  # None: the keys carry no endorsements
    signing: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)  # published kid -> key
    clients: dict[str, str] = field(default_factory=dict)  # client id -> secret (besides the bot)
    rosters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # conversation id -> members
    roster_status: dict[str, int] = field(default_factory=dict)  # conversation id -> forced error status
    graph_users: dict[str, dict[str, Any]] = field(default_factory=dict)
    graph_member_of: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # connector requests without a valid token
    roster_reads: list[str] = field(default_factory=list)  # conversation ids whose members were asked for
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)  # team id -> details, "conversations"
    private_status: dict[str, int] = field(default_factory=dict)  # user id (29:...) -> forced error status
    created: list[dict[str, Any]] = field(default_factory=list)  # bodies of POST /v3/conversations
    hold: threading.Event = field(default_factory=threading.Event)  # cleared: activities wait (<= 60 s)
    counts: dict[str, int] = field(default_factory=lambda: {"keys": 0, "token": 0, "roster": 0, "graph": 0})

    def __post_init__(self) -> None:
        self.ca_file, server_pem = certificates(self.root)
        self.clients[self.app_id] = self.app_password
        self.hold.set()
        self._issued: dict[str, str] = {}  # access token -> scope
        self._changed = threading.Condition()
        self.rotate_key()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server_pem)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.base_url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    # -- what the bot is configured with ---------------------------------------------------------------
    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/teams/"

    def settings(self) -> dict[str, Any]:
        return {
            "teams_app_id": self.app_id,
            "teams_app_password": self.app_password,
            "teams_tenant_id": self.tenant_id,
            "teams_authority_host": self.base_url,
            "teams_openid_metadata": self.metadata_url,
            "teams_ca_bundle": self.ca_file,
        }

    def rotate_key(self) -> str:
        kid = f"channel-{len(self.signing) + 1}-{secrets.token_hex(4)}"
        self.signing[kid] = rsa_key()
        return kid

    @property
    def current_kid(self) -> str:
        return list(self.signing)[-1]

    # -- what the channel sends ------------------------------------------------------------------------
    def sign(self, service_url: str | None = None, *, key: Any = None, kid: str | None = None, **claims: Any) -> str:
        """A channel token for an activity; ``claims`` override the defaults (``None`` drops one)."""
        now = int(time.time())
        body = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": self.app_id,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "exp": now + 3600,
        }
        body.update(claims)
        kid = kid or self.current_kid
        signer = key if key is not None else self.signing[kid]
        payload = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(payload, signer, algorithm="RS256", headers={"kid": kid})

    def wait_for(self, predicate: Callable[[list[Sent]], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.sent), timeout=timeout)

    def record(self, sent: Sent) -> None:
        with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()

    def issue(self, scope: str) -> str:
        token = f"local-{secrets.token_hex(16)}"
        self._issued[token] = scope
        return token

    def token_scope(self, authorization: str) -> str | None:
        return self._issued.get(authorization[7:]) if authorization.startswith("Bearer ") else None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(ch: LocalChannel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            _get(ch, self, urlsplit(self.path))

        def do_POST(self) -> None:  # noqa: N802
            _post(ch, self, urlsplit(self.path).path, self.body())

    return Handler


def _get(ch: LocalChannel, h: Any, url: Any) -> None:
    path = url.path
    if path == "/v1/.well-known/openidconfiguration":
        return h.reply(200, {"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": f"{ch.base_url}/v1/.well-known/keys",
                             "id_token_signing_alg_values_supported": ["RS256"]})
    if path == "/v1/.well-known/keys":
        ch.counts["keys"] += 1
        return h.reply(200, {"keys": [_jwk(key, kid, ch.endorsements) for kid, key in ch.signing.items()]})
    if path == f"/{ch.tenant_id}/v2.0/.well-known/openid-configuration":
        base = f"{ch.base_url}/{ch.tenant_id}"
        return h.reply(200, {"issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
                             "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                             "jwks_uri": f"{base}/discovery/v2.0/keys"})
    match = _CONNECTOR.match(path.removeprefix("/teams")) if path.startswith("/teams/") else None
    if match and match["what"] != "activities":
        return _roster(ch, h, unquote(match["cid"]), match["what"], parse_qs(url.query))
    team = _TEAM.match(path.removeprefix("/teams")) if path.startswith("/teams/") else None
    if team:
        return _team(ch, h, unquote(team["tid"]), bool(team["channels"]))
    if path.startswith("/v1.0/users/"):
        return _graph(ch, h, path.split("/")[3:])
    return h.reply(404, {"error": "not_found"})


def _post(ch: LocalChannel, h: Any, path: str, body: bytes) -> None:
    if path == f"/{ch.tenant_id}/oauth2/v2.0/token":
        ch.counts["token"] += 1
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        secret = ch.clients.get(form.get("client_id", ""))
        scope = form.get("scope", "")
        ok = secret is not None and secrets.compare_digest(form.get("client_secret", ""), secret)
        if not ok or form.get("grant_type") != "client_credentials" or scope not in _scopes(ch):
            return h.reply(401, {"error": "invalid_client", "error_description": "bad client or scope"})
        return h.reply(200, {"token_type": "Bearer", "expires_in": 3600, "access_token": ch.issue(scope)})
    if path == "/teams/v3/conversations":
        return _create_conversation(ch, h, json.loads(body or b"{}"))
    match = _CONNECTOR.match(path.removeprefix("/teams"))
    if not path.startswith("/teams/") or not match or match["what"] != "activities":
        return h.reply(404, {"error": "not_found"})
    if ch.token_scope(h.headers.get("Authorization", "")) != BOT_FRAMEWORK_SCOPE:
        ch.refused.append(path)
        return h.reply(401, {"error": {"code": "Unauthorized"}})
    ch.hold.wait(60)
    sent = Sent(time.perf_counter(), unquote(match["cid"]), unquote(match["aid"]) if match["aid"] else None,
                json.loads(body or b"{}"))
    ch.record(sent)
    return h.reply(200, {"id": secrets.token_hex(8)})


def _scopes(ch: LocalChannel) -> set[str]:
    return {BOT_FRAMEWORK_SCOPE, f"{ch.base_url}/.default"}


def _roster(ch: LocalChannel, h: Any, cid: str, what: str, query: dict[str, list[str]]) -> None:
    ch.counts["roster"] += 1
    ch.roster_reads.append(cid)
    if ch.token_scope(h.headers.get("Authorization", "")) != BOT_FRAMEWORK_SCOPE:
        return h.reply(401, {"error": {"code": "Unauthorized"}})
    if cid in ch.roster_status or cid not in ch.rosters:
        return h.reply(ch.roster_status.get(cid, 404), {"error": {"code": "ConversationNotFound"}})
    members = ch.rosters[cid]
    if what == "members":
        return h.reply(200, members)
    size = max(1, int(query.get("pageSize", ["50"])[0]))
    start = int(query.get("continuationToken", ["0"])[0])
    page: dict[str, Any] = {"members": members[start : start + size]}
    if start + size < len(members):
        page["continuationToken"] = str(start + size)
    return h.reply(200, page)


def _team(ch: LocalChannel, h: Any, team_id: str, channels: bool) -> None:
    if ch.token_scope(h.headers.get("Authorization", "")) != BOT_FRAMEWORK_SCOPE:
        return h.reply(401, {"error": {"code": "Unauthorized"}})
    team = ch.teams.get(team_id)
    if team is None:
        return h.reply(404, {"error": {"code": "TeamNotFound"}})
    if channels:
        return h.reply(200, {"conversations": team.get("conversations", [])})
    return h.reply(200, {k: v for k, v in team.items() if k != "conversations"})


def _create_conversation(ch: LocalChannel, h: Any, body: dict[str, Any]) -> None:
    """A 1:1 conversation of the bot with one member, the same id for the same member each time."""
    if ch.token_scope(h.headers.get("Authorization", "")) != BOT_FRAMEWORK_SCOPE:
        return h.reply(401, {"error": {"code": "Unauthorized"}})
    members = body.get("members") or []
    if body.get("isGroup") or len(members) != 1 or not isinstance(members[0], dict):
        return h.reply(400, {"error": {"code": "BadArgument"}})
    ch.created.append(body)
    member = str(members[0].get("id", ""))
    if member in ch.private_status:
        return h.reply(ch.private_status[member], {"error": {"code": "Forbidden"}})
    return h.reply(201, {"id": f"a:{uuid.uuid5(uuid.NAMESPACE_URL, member).hex}"})


def _graph(ch: LocalChannel, h: Any, segments: list[str]) -> None:
    ch.counts["graph"] += 1
    if ch.token_scope(h.headers.get("Authorization", "")) != f"{ch.base_url}/.default":
        return h.reply(401, {"error": {"code": "InvalidAuthenticationToken"}})
    user = ch.graph_users.get(segments[0]) if segments else None
    if user is None:
        return h.reply(404, {"error": {"code": "Request_ResourceNotFound"}})
    if len(segments) == 1:
        return h.reply(200, user)
    return h.reply(200, {"value": ch.graph_member_of.get(segments[0], [])})


def _jwk(key: rsa.RSAPrivateKey, kid: str, endorsements: tuple[str, ...] | None) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk = {**public, "kid": kid, "use": "sig"}
    return jwk if endorsements is None else {**jwk, "endorsements": list(endorsements)}
