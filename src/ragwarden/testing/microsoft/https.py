"""The HTTPS server under every Microsoft stand-in: loopback, a free port, the test CA's certificate, JSON.

Real TLS and not a mock transport because msal insists on an https authority, and because the product's
own CA pinning (``*_ca_bundle`` settings) is part of what the tests exercise.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet request handler with JSON answers and the parts of a request the stand-ins read."""

    # Headers and body go out as two writes: with Nagle on, a keep-alive client's delayed ACK held every
    # answer back ~40 ms (a SharePoint sync against the emulator took 0.5 s instead of 0.1 s).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    @property
    def route(self) -> str:
        """The request path without its query."""
        return urlsplit(self.path).path

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def bearer(self) -> str | None:
        """The bearer token of the request, if it has one."""
        authorization = self.headers.get("Authorization", "")
        return authorization[7:] if authorization.startswith("Bearer ") else None


Route = Callable[[JsonHandler], None]


class HttpsServer:
    """``get`` and ``post`` answer every GET and POST, each request in its own daemon thread.
    ``keep_alive``: HTTP/1.1 persistent connections (the default is one request per connection)."""

    def __init__(self, server_pem: Path, *, get: Route, post: Route, keep_alive: bool = False) -> None:
        class Handler(JsonHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                get(self)

            def do_POST(self) -> None:  # noqa: N802
                post(self)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server_pem)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.base_url = f"https://127.0.0.1:{self._server.server_address[1]}"
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        serve.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
