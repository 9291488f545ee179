"""The SharePoint Server emulator: one real HTTPS server (the stand-ins' CA, see ``tls``) that signs each
keep-alive connection in with NTLM and channel bindings (:mod:`.ntlm`) and answers SharePoint REST from a
:class:`~.world.World` (:mod:`.rest`).

The accounts that may sign in are the world's users (``DOMAIN:name:password`` in the acceptor's user file,
written again whenever ``sync_accounts`` is called) plus ``service_login`` / ``service_password``, the
connector's service account. ``source_url`` is the ``sharepoint+ntlm://`` location of the site.

Switches a test turns (``switches``): ``latency`` per request, ``unreadable_roles`` (the node whose role
assignments answer 403), ``fail_items`` (the next N item listings answer 503). ``counts`` holds requests by
kind (``items``, ``roles``, ``changes``, ``file``, ``unauthorized`` …), ``signed_in`` who signed in, in order.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.testing.microsoft.https import HttpsServer, JsonHandler
from ragwarden.testing.microsoft.sharepoint_server.ntlm import Acceptor, end_point_bindings
from ragwarden.testing.microsoft.sharepoint_server.rest import answer
from ragwarden.testing.microsoft.sharepoint_server.world import World
from ragwarden.testing.microsoft.tls import write_tls_files

SERVICE_USER = "svc-sharepoint"
SERVICE_PASSWORD = "Sp-Serv1ce-Passw0rd!"  # noqa: S105 - a throwaway account of a loopback test server


@dataclass
class Switches:
    latency: float = 0.0
    unreadable_roles: str | None = None
    fail_items: int = 0  # the next N item listings answer 503 (a run failing half-way)
    refuse_files: bool = False  # every file's content answers 403 while listings and permissions still answer


class SharePointServerEmulator:
    def __init__(self, root: Path, world: World, *, page_size: int = 5000) -> None:
        self.world, self.page_size = world, page_size
        self.switches = Switches()
        self.counts: Counter[str] = Counter()
        self.signed_in: list[str] = []
        self._numbers: dict[str, int] = {}
        self._lock = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)
        tls = write_tls_files(root)
        self.ca_file = tls.ca
        self.service_login = f"{world.domain}\\{SERVICE_USER}"
        self.service_password = SERVICE_PASSWORD
        self._user_file = root / "ntlm-users"
        self.sync_accounts()
        self.acceptor = Acceptor(self._user_file, end_point_bindings(tls.server))
        self._server = HttpsServer(tls.server, get=self._on_request, post=self._on_request, keep_alive=True)
        self.base_url = self._server.base_url
        self.host = self.base_url.removeprefix("https://")

    @property
    def source_url(self) -> str:
        return f"sharepoint+ntlm://{self.host}{self.world.site_path}"

    def sync_accounts(self) -> None:
        """The acceptor's user file from the world's accounts (call it after adding users or passwords)."""
        lines = [f"{self.world.domain}:{SERVICE_USER}:{SERVICE_PASSWORD}"]
        lines += [f"{u.login.replace(chr(92), ':', 1)}:{u.password}" for u in self.world.users.values() if u.enabled]
        self._user_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def principal_number(self, claim: str) -> int:
        """A claim's user number in the site (stable, as the user information list keeps it)."""
        with self._lock:
            return self._numbers.setdefault(claim.lower(), 1000 + len(self._numbers))

    def stop(self) -> None:
        self._server.stop()

    def _on_request(self, h: JsonHandler) -> None:
        time.sleep(self.switches.latency)
        body = h.body()  # read first: a refused request must leave the connection usable for the handshake
        connection: dict[str, Any] = h.__dict__.setdefault("sp_connection", {})
        if "user" not in connection and not self._sign_in(h, connection):
            return
        with self.world.lock:
            found = answer(self, h.command, h.path, body)
        if isinstance(found, bytes):
            return _send(h, 200, found, "application/octet-stream")
        status, payload = found
        _send(h, status, json.dumps(payload).encode(), "application/json;odata=nometadata;charset=utf-8")

    def _sign_in(self, h: JsonHandler, connection: dict[str, Any]) -> bool:
        header = h.headers.get("Authorization", "")
        challenge, user = self.acceptor.step(connection, header) if header else (None, None)
        if user is not None:
            connection["user"] = user
            with self._lock:
                self.signed_in.append(user)
            return True
        self.count("unauthorized")
        headers = [("WWW-Authenticate", challenge)] if challenge else [("WWW-Authenticate", "Negotiate"),
                                                                       ("WWW-Authenticate", "NTLM")]  # fmt: skip
        _send(h, 401, b"401 UNAUTHORIZED", "text/plain", headers)
        return False


def _send(h: JsonHandler, status: int, data: bytes, kind: str, headers: list[tuple[str, str]] | None = None) -> None:
    h.send_response(status)
    h.send_header("Content-Type", kind)
    h.send_header("Content-Length", str(len(data)))
    for name, value in headers or ():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(data)
