"""``local`` mode (the demo's user switcher, X-Remote-User without a secret) answers only a client on
this machine talking to it directly: a loopback peer, no forwarding headers, a Host that names this
server by a loopback name and its port; and it never combines with another mode.

Real HTTP: the app under uvicorn, requests over real sockets, from loopback and from this machine's
non-loopback address.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from ragwarden.api.app import create_app
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.settings import load_settings
from tests.demo_fixtures import Demo


def _local_app(demo: Demo) -> FastAPI:
    settings = demo.services.settings.model_copy(update={"auth_mode": "local"})
    return create_app(dataclasses.replace(demo.services, settings=settings))


@contextlib.contextmanager
def _served(app: FastAPI, host: str) -> Iterator[int]:
    """The app on ``host`` (a free port) in a background thread; yields the port."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def port(demo: Demo) -> Iterator[int]:
    with _served(_local_app(demo), "127.0.0.1") as p:
        yield p


def _me(port: int, **headers: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}/v1/me", headers={"X-Remote-User": "alice", **headers}, timeout=10)


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: the kernel only picks a source address
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("modes", ["local,trusted-header", "trusted-header,local", "entra,local"])
def test_local_mode_cannot_be_combined_with_another_mode(modes: str) -> None:
    """With local beside another mode a request carrying only X-Remote-User skipped the other mode's proof."""
    with pytest.raises(ConfigurationError, match="cannot be combined"):
        load_settings(auth_mode=modes, proxy_secret="a-long-enough-proxy-secret")
    assert load_settings(auth_mode="local").auth_modes == ("local",)


def test_a_direct_loopback_request_is_served(port: int) -> None:
    r = _me(port)
    assert r.status_code == 200 and r.json()["principal"] == "alice"
    for host in (f"localhost:{port}", f"[::1]:{port}", f"127.0.0.1:{port}"):
        assert _me(port, Host=host).status_code == 200, host


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.7"},
        {"Forwarded": "for=203.0.113.7"},
        {"X-Real-IP": "203.0.113.7"},
        {"X-Forwarded-Host": "intranet.example"},
        {"Via": "1.1 proxy"},
    ],
)
def test_a_forwarded_request_is_refused_even_from_loopback(port: int, header: dict[str, str]) -> None:
    """A reverse proxy on this host connects from loopback: its forwarding headers give it away (for
    X-Forwarded-For from loopback uvicorn already reports the forwarded-for address as the peer)."""
    r = _me(port, **header)
    assert r.status_code == 403 and r.json()["error"].startswith("local mode answers")
    assert httpx.get(f"http://127.0.0.1:{port}/v1/ui/config", headers=header, timeout=10).status_code == 403


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "localhost:1", "127.0.0.1", "localhost."])
def test_a_request_for_another_host_name_or_port_is_refused(port: int, host: str) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends its own Host."""
    r = _me(port, Host=host.format(port=port))
    assert r.status_code == 403 and "localhost" in r.json()["error"]
    # the anonymous page config (the demo users) is refused too
    config = httpx.get(f"http://127.0.0.1:{port}/v1/ui/config", headers={"Host": host.format(port=port)}, timeout=10)
    assert config.status_code == 403


def test_a_peer_from_the_network_is_refused_whatever_address_the_server_binds(demo: Demo) -> None:
    """The check is on the connection's peer, not on the configured bind host."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with _served(_local_app(demo), "0.0.0.0") as p:  # noqa: S104 - the point of the test
        from_network = httpx.get(
            f"http://{address}:{p}/v1/me", headers={"X-Remote-User": "alice", "Host": f"localhost:{p}"}, timeout=10
        )
        assert from_network.status_code == 403 and "this machine" in from_network.json()["error"]
        assert _me(p).status_code == 200  # the same server, from loopback


def test_the_local_authenticator_checks_the_connection_itself() -> None:
    """Composed without the app's middleware, the authenticator refuses a non-loopback peer too."""
    from starlette.requests import Request

    from ragwarden.api.auth import LocalAuthenticator
    from ragwarden.core.errors import AuthenticationError

    class Everyone:
        def resolve(self, user: str) -> object:
            raise AssertionError("must not resolve")

        def describe(self, token: str) -> str:
            return token

    scope = {
        "type": "http",
        "client": ("192.0.2.9", 5000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"x-remote-user", b"alice")],
    }
    with pytest.raises(AuthenticationError, match="this machine"):
        LocalAuthenticator(Everyone()).authenticate(Request(scope))  # type: ignore[arg-type]
