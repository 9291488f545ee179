"""The real app with the bot mounted, served over HTTP, in front of the local channel stand-in.

Used by ``ragwarden bench teams`` and the Teams tests: the demo corpus (ACLs in Entra object ids, see
``demo_tenant``) ingested with the real embedder, ``create_app`` served by uvicorn on a loopback port,
activities signed by :class:`LocalChannel` and posted over HTTP, replies recorded by its connector.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ragwarden.services import Services
from ragwarden.testing.microsoft.channel import LocalChannel, Sent
from ragwarden.testing.microsoft.demo_tenant import DemoTenant, demo_tenant, write_corpus
from ragwarden.testing.microsoft.entra import FakeMicrosoft

_DEFAULT = object()


@dataclass
class TeamsWorld:
    channel: LocalChannel
    tenant: DemoTenant
    services: Services
    base_url: str
    server: Any  # uvicorn.Server
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))

    def activity(
        self,
        text: str,
        sender: str,
        *,
        conversation_id: str | None = None,
        conversation_type: str = "personal",
        mention: bool = False,
        team_id: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A message as Teams sends it; ``sender`` is a demo user name or an object id."""
        oid = self.tenant.users.get(sender, sender)
        bot = {"id": f"28:{self.channel.app_id}", "name": "ragwarden"}
        body: dict[str, Any] = {
            "type": "message",
            "id": f"1{secrets.randbelow(10**12):012d}",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "serviceUrl": self.channel.service_url,
            "channelId": "msteams",
            "from": {"id": f"29:{oid}", "name": sender, "aadObjectId": oid},
            "conversation": {
                "id": conversation_id or f"a:{uuid.uuid4().hex}",
                "conversationType": conversation_type,
                "tenantId": self.channel.tenant_id,
                "isGroup": conversation_type != "personal",
            },
            "recipient": bot,
            "text": f"<at>ragwarden</at> {text}" if mention else text,
            "textFormat": "plain",
            "locale": "en-US",
            "channelData": {"tenant": {"id": self.channel.tenant_id}},
        }
        if mention:
            body["entities"] = [{"type": "mention", "mentioned": bot, "text": "<at>ragwarden</at>"}]
        if team_id:
            body["channelData"]["team"] = {"id": team_id}
        body.update(overrides)
        return body

    def post(self, activity: dict[str, Any], token: Any = _DEFAULT) -> httpx.Response:
        """POST to /api/messages, signed for the activity's serviceUrl unless ``token`` is given."""
        if token is _DEFAULT:
            token = self.channel.sign(activity.get("serviceUrl"))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(f"{self.base_url}/api/messages", json=activity, headers=headers)

    def replies(self, activity: dict[str, Any]) -> list[Sent]:
        return [s for s in list(self.channel.sent) if s.reply_to == activity["id"]]

    def wait_answer(self, activity: dict[str, Any], timeout: float = 120.0) -> Sent:
        """The bot's message (card or text) in reply to ``activity``."""

        def answered(sent: list[Sent]) -> bool:
            return any(s.reply_to == activity["id"] and s.body.get("type") == "message" for s in sent)

        if not self.channel.wait_for(answered, timeout):
            raise TimeoutError(f"no answer to activity {activity['id']} within {timeout} s")
        return next(s for s in self.replies(activity) if s.body.get("type") == "message")

    def close(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.channel.stop()
        self.services.close()


def serve_tenant(ms: FakeMicrosoft, tenant: DemoTenant) -> dict[str, Any]:
    """The demo users and groups in an Entra stand-in's Graph; the entra_* settings that point there."""
    for oid in tenant.member_of:
        ms.users[oid] = tenant.user_json(oid)
        ms.member_of[oid] = list(tenant.member_of[oid])
        for group in tenant.groups_json(oid):
            ms.groups[group["id"]] = {**group, "onPremisesSecurityIdentifier": None}
    for gid, parents in tenant.group_member_of.items():
        ms.group_member_of[gid] = list(parents)
    return {
        "entra_tenant_id": ms.tenant_id,
        "entra_client_id": ms.client_id,
        "entra_client_secret": ms.client_secret,
        "entra_authority_host": ms.authority_host,
        "entra_graph_url": ms.graph_url,
        "entra_ca_bundle": ms.ca_file,
    }


def ingest(services: Services, tenant: DemoTenant, corpus: Path) -> None:
    from ragwarden.core.errors import IntegrityError

    report = services.sync(services.folder_connector(write_corpus(tenant, corpus), source="teams-demo"))
    if report.added + report.unchanged == 0:
        raise IntegrityError(f"the demo corpus was not ingested: {report.summary}")


def serve(app: Any) -> tuple[Any, str]:
    """``app`` under uvicorn on a free loopback port, in a daemon thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("uvicorn did not start")
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}"


def start_world(
    root: Path,
    *,
    data_dir: Path | None = None,
    tenant_id: str | None = None,
    entra: dict[str, Any] | None = None,
    **settings: Any,
) -> TeamsWorld:
    """Channel stand-in, demo tenant, ingested corpus, app served. ``entra``: Graph settings of another
    directory stand-in (which must serve the demo tenant); default: the Graph of the channel's authority."""
    from ragwarden.api.app import create_app
    from ragwarden.demo.loader import demo_settings
    from ragwarden.services import build_services

    (root / "channel").mkdir(parents=True, exist_ok=True)
    channel = LocalChannel(root / "channel", tenant_id=tenant_id or str(uuid.uuid4()))
    tenant = demo_tenant()
    data = data_dir or root / "data"
    directory = entra or serve_tenant(channel.authority, tenant)
    config = demo_settings(str(data), **channel.settings(), **directory, **settings)
    services = build_services(config)
    try:
        ingest(services, tenant, data / "teams-corpus")
        server, url = serve(create_app(services))
    except BaseException:
        services.close()
        channel.stop()
        raise
    return TeamsWorld(channel, tenant, services, url, server)
