"""``local`` mode's guard. The demo's user switcher believes ``X-Remote-User`` from whoever sends it, so
it may only ever hear a browser or tool on this machine talking to it directly:

- the peer address of the connection is loopback (not the configured bind address: a reverse proxy on
  the same host would make every network client look local, hence the next rule);
- no forwarding header is present (a proxy in front says who it forwards for; local mode has none);
- the ``Host`` header names this server by a loopback name with its own port. A web page elsewhere can
  point a DNS name of its own at 127.0.0.1 (DNS rebinding) and then read our answers as same-origin;
  its requests still carry its own name in ``Host``.

Requests that fail any rule get 403 before they reach a route (``LoopbackOnly``), and the local
authenticator checks again (it may be composed without the middleware).
"""

from __future__ import annotations

import ipaddress
import re

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# What proxies and CDNs add to say whom they forward for (RFC 7239 and the common de-facto names).
FORWARDING_HEADERS = (
    "forwarded",
    "via",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-forwarded-server",
    "x-original-forwarded-for",
    "x-real-ip",
    "x-client-ip",
    "x-cluster-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "fastly-client-ip",
)
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::([0-9]{1,5}))?")


def is_loopback(host: str) -> bool:
    """A loopback address or ``localhost`` (an IPv4 loopback written as IPv6-mapped counts too)."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def local_request_problem(scope: Scope) -> str | None:
    """Why this request may not use local mode, or None when it comes straight from this machine."""
    client = scope.get("client")
    if not client or not is_loopback(str(client[0])):
        return "local mode answers only connections from this machine"
    headers = Headers(scope=scope)
    forwarded = [name for name in FORWARDING_HEADERS if name in headers]
    if forwarded:
        return f"local mode answers no forwarded requests (the request carries {forwarded[0]})"
    hosts = headers.getlist("host")
    if len(hosts) != 1 or not _names_this_server(hosts[0], scope.get("server")):
        return "local mode answers only requests addressed to localhost, 127.0.0.1 or [::1] with its port"
    return None


def _names_this_server(value: str, server: tuple[str, int | None] | None) -> bool:
    match = _HOST.fullmatch(value.strip())
    if match is None or not server or server[1] is None:
        return False
    name = match[1].strip("[]")
    port = int(match[2]) if match[2] else 80  # local mode serves plain http
    # a loopback IP literal cannot be rebound; "localhost" is the only name we accept
    return (name.lower() == "localhost" or _is_loopback_ip(name)) and port == server[1]


def _is_loopback_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return is_loopback(name)


class LoopbackOnly:
    """Refuses (403) every request that local mode may not hear, before it reaches a route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            problem = local_request_problem(scope)
            if problem is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                await JSONResponse({"error": problem}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
