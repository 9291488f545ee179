"""A local stand-in for the Microsoft side of a Teams bot, over real HTTPS with the stand-ins' own CA.

For the benchmark and the tests (nothing here runs in production). One threaded server plays:
- the Bot Framework channel's OpenID metadata and signing keys (with ``endorsements``), and signs
  activities the way the channel does (:meth:`LocalChannel.sign`);
- the Bot Connector at the activity's ``serviceUrl``: it records every activity the bot sends (with the
  time it arrived), serves conversation rosters, team details (``aadGroupId``) and channel lists, opens
  1:1 conversations (``POST /v3/conversations``, one id per user as Teams does), and refuses a request
  without a Bot Framework token from the authority; ``hold`` (cleared) makes it wait before it accepts
  an activity.
The bot's outbound token comes from ``authority``, an Entra stand-in (``entra.FakeMicrosoft``, its own
server) on which the bot is a registered app granted the Bot Framework scope; its Graph can serve a
directory too (``teams_world.serve_tenant``).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.https import HttpsServer, JsonHandler
from ragwarden.testing.microsoft.keys import SigningKeys
from ragwarden.testing.microsoft.tls import write_tls_files

__all__ = ["BOT_FRAMEWORK_SCOPE", "LocalChannel", "Sent"]

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
    signing: SigningKeys = field(default_factory=lambda: SigningKeys("channel"))  # published kid -> key
    rosters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # conversation id -> members
    roster_status: dict[str, int] = field(default_factory=dict)  # conversation id -> forced error status
    sent: list[Sent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # connector requests without a valid token
    roster_reads: list[str] = field(default_factory=list)  # conversation ids whose members were asked for
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)  # team id -> details, "conversations"
    private_status: dict[str, int] = field(default_factory=dict)  # user id (29:...) -> forced error status
    created: list[dict[str, Any]] = field(default_factory=list)  # bodies of POST /v3/conversations
    hold: threading.Event = field(default_factory=threading.Event)  # cleared: activities wait (<= 60 s)
    counts: dict[str, int] = field(default_factory=lambda: {"keys": 0, "roster": 0})

    def __post_init__(self) -> None:
        tls = write_tls_files(self.root)
        self.ca_file = tls.ca
        self.hold.set()
        self._changed = threading.Condition()
        (self.root / "authority").mkdir(parents=True, exist_ok=True)
        self.authority = FakeMicrosoft(self.root / "authority", tenant_id=self.tenant_id,
                                       clients={self.app_id: self.app_password}, scopes={BOT_FRAMEWORK_SCOPE})
        try:
            self.server = HttpsServer(tls.server, get=lambda h: _get(self, h), post=lambda h: _post(self, h),
                                      keep_alive=True)
        except BaseException:
            self.authority.stop()
            raise
        self.base_url = self.server.base_url

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
            "teams_authority_host": self.authority.authority_host,
            "teams_openid_metadata": self.metadata_url,
            "teams_ca_bundle": self.ca_file,  # the same CA signed the authority's certificate
        }

    def rotate_key(self) -> str:
        return self.signing.rotate()

    @property
    def current_kid(self) -> str:
        return self.signing.current_kid

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
        return self.signing.sign({**body, **claims}, key=key, kid=kid)

    def wait_for(self, predicate: Callable[[list[Sent]], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.sent), timeout=timeout)

    def record(self, sent: Sent) -> None:
        with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()

    def stop(self) -> None:
        self.server.stop()
        self.authority.stop()


def _authorized(ch: LocalChannel, h: JsonHandler) -> bool:
    """Whether the request carries a Bot Framework app token from the channel's authority."""
    return ch.authority.scope_of(h.bearer()) == BOT_FRAMEWORK_SCOPE


def _get(ch: LocalChannel, h: JsonHandler) -> None:
    path = h.route
    if path == "/v1/.well-known/openidconfiguration":
        return h.reply(200, {"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": f"{ch.base_url}/v1/.well-known/keys",
                             "id_token_signing_alg_values_supported": ["RS256"]})
    if path == "/v1/.well-known/keys":
        ch.counts["keys"] += 1
        return h.reply(200, ch.signing.jwks(alg=None, endorsements=ch.endorsements))
    match = _CONNECTOR.match(path.removeprefix("/teams")) if path.startswith("/teams/") else None
    if match and match["what"] != "activities":
        return _roster(ch, h, unquote(match["cid"]), match["what"], h.query())
    team = _TEAM.match(path.removeprefix("/teams")) if path.startswith("/teams/") else None
    if team:
        return _team(ch, h, unquote(team["tid"]), bool(team["channels"]))
    return h.reply(404, {"error": "not_found"})


def _post(ch: LocalChannel, h: JsonHandler) -> None:
    path, body = h.route, h.body()
    if path == "/teams/v3/conversations":
        return _create_conversation(ch, h, json.loads(body or b"{}"))
    match = _CONNECTOR.match(path.removeprefix("/teams"))
    if not path.startswith("/teams/") or not match or match["what"] != "activities":
        return h.reply(404, {"error": "not_found"})
    if not _authorized(ch, h):
        ch.refused.append(path)
        return h.reply(401, {"error": {"code": "Unauthorized"}})
    ch.hold.wait(60)
    sent = Sent(time.perf_counter(), unquote(match["cid"]), unquote(match["aid"]) if match["aid"] else None,
                json.loads(body or b"{}"))
    ch.record(sent)
    return h.reply(200, {"id": secrets.token_hex(8)})


def _roster(ch: LocalChannel, h: JsonHandler, cid: str, what: str, query: dict[str, list[str]]) -> None:
    ch.counts["roster"] += 1
    ch.roster_reads.append(cid)
    if not _authorized(ch, h):
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


def _team(ch: LocalChannel, h: JsonHandler, team_id: str, channels: bool) -> None:
    if not _authorized(ch, h):
        return h.reply(401, {"error": {"code": "Unauthorized"}})
    team = ch.teams.get(team_id)
    if team is None:
        return h.reply(404, {"error": {"code": "TeamNotFound"}})
    if channels:
        return h.reply(200, {"conversations": team.get("conversations", [])})
    return h.reply(200, {k: v for k, v in team.items() if k != "conversations"})


def _create_conversation(ch: LocalChannel, h: JsonHandler, body: dict[str, Any]) -> None:
    """A 1:1 conversation of the bot with one member, the same id for the same member each time."""
    if not _authorized(ch, h):
        return h.reply(401, {"error": {"code": "Unauthorized"}})
    members = body.get("members") or []
    if body.get("isGroup") or len(members) != 1 or not isinstance(members[0], dict):
        return h.reply(400, {"error": {"code": "BadArgument"}})
    ch.created.append(body)
    member = str(members[0].get("id", ""))
    if member in ch.private_status:
        return h.reply(ch.private_status[member], {"error": {"code": "Forbidden"}})
    return h.reply(201, {"id": f"a:{uuid.uuid5(uuid.NAMESPACE_URL, member).hex}"})
