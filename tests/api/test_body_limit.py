"""Request bodies are counted as they arrive: a chunked body over ``max_body_bytes`` gets 413 as soon as
the limit is passed and the server reads no further (it closes the connection), whoever sends it and
before anyone is authenticated. Real HTTP: the app under uvicorn, a raw socket sending chunks."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import pytest

from ragwarden.api.app import create_app
from ragwarden.evaluation.bench_page import serve
from tests.demo_fixtures import PROXY_SECRET, Demo

CHUNK = 16 * 1024
BODY = 8 * 1024 * 1024  # what the client would send in all: far over the 64 KiB default limit


@pytest.fixture(scope="module")
def port(demo: Demo) -> Iterator[int]:
    assert demo.services.settings.max_body_bytes == 64 * 1024
    with serve(create_app(demo.services)) as url:
        yield int(url.rsplit(":", 1)[1])


def _send_chunked(port: int, path: str, headers: str = "") -> tuple[int, bytes]:
    """Sends a chunked body of up to BODY bytes, a chunk at a time, and stops as soon as an answer is
    there: (bytes sent, the answer up to the server closing the connection; a server that kept the
    connection to read on would make ``recv`` time out instead)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{headers}"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sent, chunk = 0, b"[" + b" " * (CHUNK - 1)
        try:
            while sent < BODY and not select.select([s], [], [], 0.02)[0]:
                s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent, chunk = sent + len(chunk), b" " * CHUNK
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed while we were still sending: that is the point
        answer = b""
        while (piece := s.recv(65536)) != b"":
            answer += piece
        return sent, answer


@pytest.mark.parametrize("auth", ["", f"X-Remote-User: alice\r\nX-Proxy-Secret: {PROXY_SECRET}\r\n"])
def test_a_chunked_body_over_the_limit_is_refused_while_it_is_still_being_sent(port: int, auth: str) -> None:
    """Before: the whole body was read (8 MiB here, 64 MiB in the review) and only then refused."""
    sent, answer = _send_chunked(port, "/v1/search", auth)
    status_line = answer.split(b"\r\n", 1)[0]
    assert b" 413 " in status_line, answer[:300]
    assert b"request body over 65536 bytes" in answer
    assert sent < 1024 * 1024, f"the client had sent {sent} bytes before the 413"


def test_a_chunked_body_under_the_limit_is_served(port: int) -> None:
    body = b'{"query": "Urlaub", "limit": 3}'
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            f"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Remote-User: alice\r\nX-Proxy-Secret: {PROXY_SECRET}\r\nConnection: close\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\n\r\n"
        )
        answer = b""
        while (piece := s.recv(65536)) != b"":
            answer += piece
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
