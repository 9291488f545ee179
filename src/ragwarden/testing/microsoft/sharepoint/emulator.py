"""The SharePoint Online emulator: Microsoft Graph and a SharePoint host, two real HTTPS servers (the
stand-ins' CA, see ``tls``) answering from a :class:`~.world.World`.

- ``graph_url`` (``…/v1.0``): the Graph endpoints of :mod:`.graph_api`, for app tokens of ``graph_scope``;
- ``origin``: the SharePoint host of the site (``https://{tenant}.sharepoint.com`` in real life): site-group
  REST under each web's path and the download URLs Graph's ``/content`` redirects to (:mod:`.rest`); its
  token resource is ``sharepoint_scope`` (``{origin}/.default``), as ``https://{host}/.default`` is in real life.
  Sites' ``webUrl`` point here, so ``{webUrl}/_api/…`` reaches the REST endpoints.

Tokens come from a :class:`~ragwarden.testing.microsoft.entra.FakeMicrosoft` of the same tenant, which the
emulator registers both resources with. ``source_url`` is the ``sharepoint://`` location of the root web
(Graph's site lookup accepts the origin's ``host:port`` as well as the world's host name).

Switches a test turns (``switches``): whole-request 429 (``throttle`` next requests) and 503 (``down``) with
``Retry-After``; 429 inside ``$batch`` (``batch_throttle`` next sub-requests) while the batch answers 200; a
sleep per request (``latency``, for benchmarks). Delta's own switches are on ``delta`` (:mod:`.delta`):
``page_size``, ``duplicates``, ``expire()``, ``defects``. ``counts`` holds requests by kind (``delta``,
``permissions``, ``batch``, ``content``, ``download``, ``sitegroups``, ``throttled``, …) for figures.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ragwarden.testing.microsoft.https import HttpsServer, JsonHandler
from ragwarden.testing.microsoft.sharepoint.delta import Answer, Defects, DeltaFeed
from ragwarden.testing.microsoft.sharepoint.graph_api import answer_graph, caseless
from ragwarden.testing.microsoft.sharepoint.rest import answer_host
from ragwarden.testing.microsoft.sharepoint.world import World
from ragwarden.testing.microsoft.tls import write_tls_files

if TYPE_CHECKING:
    from ragwarden.testing.microsoft.entra import FakeMicrosoft


@dataclass
class Switches:
    throttle: int = 0  # the next N Graph requests answer 429
    retry_after: str = "1"  # Retry-After of those and of 503s
    down: bool = False  # every Graph request answers 503
    batch_throttle: int = 0  # the next N $batch sub-requests answer 429 (the batch itself 200)
    batch_retry_after: str = "120"
    latency: float = 0.0  # seconds every request waits before it is answered


class SharePointEmulator:
    def __init__(self, root: Path, world: World, authority: FakeMicrosoft, *, page_size: int = 5,
                 defects: Defects | None = None) -> None:  # fmt: skip
        if world.tenant_id != authority.tenant_id:
            raise ValueError("the world and its token authority must be the same tenant")
        self.world, self.authority = world, authority
        self.switches = Switches()
        self.counts: Counter[str] = Counter()
        self.downloads: dict[str, tuple[str, float]] = {}  # tempauth -> (item id, monotonic expiry)
        self._numbers: dict[str, int] = {}
        self._lock = threading.Lock()
        tls = write_tls_files(root)
        self.ca_file = tls.ca
        self._graph = HttpsServer(tls.server, get=self._on_graph, post=self._on_graph, keep_alive=True)
        self._host = HttpsServer(tls.server, get=self._on_host, post=self._on_host, keep_alive=True)
        self.graph_url = f"{self._graph.base_url}/v1.0"
        self.graph_scope = f"{self._graph.base_url}/.default"
        self.origin = self._host.base_url
        self.host = urlsplit(self.origin).netloc
        self.sharepoint_scope = f"{self.origin}/.default"
        authority.scopes |= {self.graph_scope, self.sharepoint_scope}
        self.delta = DeltaFeed(world, self.graph_url, self.origin, page_size=page_size, defects=defects or Defects())

    @property
    def source_url(self) -> str:
        return f"sharepoint://{self.host}{self.world.webs[self.world.root_web].path}"

    def count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def principal_number(self, login: str) -> int:
        """A login name's user number in the site (stable, as SharePoint's user information list keeps it)."""
        with self._lock:
            return self._numbers.setdefault(login.lower(), 100 + len(self._numbers))

    def stop(self) -> None:
        self._graph.stop()
        self._host.stop()

    # -- the two servers -------------------------------------------------------------------------------------
    def _on_graph(self, h: JsonHandler) -> None:
        time.sleep(self.switches.latency)
        headers = caseless(h.headers.items())
        body = h.body() if h.command == "POST" else b""
        _send(h, answer_graph(self, h.command, h.path, headers, body))

    def _on_host(self, h: JsonHandler) -> None:
        time.sleep(self.switches.latency)
        if h.command != "GET":
            return _send(h, Answer(405, {"error": "GET only"}))
        answer = answer_host(self, h.path, caseless(h.headers.items()))
        if isinstance(answer, bytes):
            return _send_bytes(h, answer)
        return _send(h, answer)


def _send(h: JsonHandler, answer: Answer) -> None:
    data = b"" if answer.body is None else json.dumps(answer.body).encode()
    h.send_response(answer.status)
    if answer.body is not None:
        h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for name, value in answer.headers.items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(data)


def _send_bytes(h: JsonHandler, data: bytes) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/octet-stream")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def publish_directory(world: World, authority: FakeMicrosoft) -> None:
    """Copies the world's users and Entra groups into the token authority's Graph, so that ragwarden's Entra
    resolver (which asks that Graph) resolves the world's users: ids, UPNs, SIDs, ``userType``, enabled,
    transitive groups. Call it again after changing the directory."""
    with world.lock:
        authority.users.clear()
        authority.groups.clear()
        authority.member_of.clear()
        authority.group_member_of.clear()
        for u in world.users.values():
            authority.users[u.id] = {"id": u.id, "accountEnabled": u.enabled, "onPremisesSecurityIdentifier": u.sid,
                                     "displayName": u.display_name, "userPrincipalName": u.upn,
                                     "userType": u.user_type, "mail": u.mail}  # fmt: skip
            authority.member_of[u.id] = sorted(world.transitive_groups(u.id))
        for g in world.groups.values():
            authority.groups[g.id] = {"@odata.type": "#microsoft.graph.group", "id": g.id, "displayName": g.name,
                                      "onPremisesSecurityIdentifier": g.sid}  # fmt: skip
            authority.group_member_of[g.id] = sorted(world.transitive_groups(g.id))
