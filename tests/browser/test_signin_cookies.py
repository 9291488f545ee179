"""Entra sign-in in a real browser over plain http on localhost (the development set-up): Chromium keeps
the ``__Host-`` cookies (Secure, Path=/, no Domain), because http://localhost is a secure context, and
sends them back, including the sign-in cookie on Entra's cross-site form post; signing out removes the
session cookie. The app runs under uvicorn; the Entra authority is the local HTTPS stand-in."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ragwarden.api.app import create_app
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from tests.demo_fixtures import Demo

# What Entra's answer page does: post the fields to the redirect URI (a cross-site POST from Entra's origin).
FORM_POST = """([action, fields]) => {
  const form = document.createElement("form");
  form.method = "POST";
  form.action = action;
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""
ME = """async () => {
  const r = await fetch("/v1/me", { headers: { "X-Requested-With": "ragwarden" } });
  return { status: r.status, body: await r.json() };
}"""
SIGN_OUT = """async () => {
  const r = await fetch("/auth/logout", { method: "POST", headers: { "X-Requested-With": "ragwarden" } });
  return r.status;
}"""


@contextlib.contextmanager
def _served_on(sock: socket.socket, app: Any) -> Iterator[None]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _entra_app(demo: Demo, ms: FakeMicrosoft, base: str) -> Any:
    settings = demo.services.settings.model_copy(
        update={
            "auth_mode": "entra",
            "entra_tenant_id": ms.tenant_id,
            "entra_audience": ["api://ragwarden"],
            "entra_client_id": ms.client_id,
            "entra_client_secret": SecretStr(ms.client_secret),
            "entra_authority_host": ms.authority_host,
            "entra_graph_url": ms.graph_url,
            "entra_ca_bundle": ms.ca_file,
            "entra_redirect_uri": f"{base}/auth/callback",
        }
    )
    return create_app(dataclasses.replace(demo.services, settings=settings, extras={}))


def test_chromium_keeps_and_sends_the_host_prefixed_cookies_over_http_localhost(
    browser: Any, demo: Demo, tmp_path: Path
) -> None:
    ms = FakeMicrosoft(tmp_path)
    ms.sign_in_as = erika = ms.add_user(name="Erika Muster")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://localhost:{sock.getsockname()[1]}"
    context = browser.new_context(ignore_https_errors=True)  # the stand-in's own CA
    try:
        with _served_on(sock, _entra_app(demo, ms, base)):
            page = context.new_page()
            page.goto(f"{base}/auth/login")  # → the stand-in's authorize endpoint, which answers the form
            assert page.url.startswith(ms.authority_host), page.url
            flow = [c for c in context.cookies(base) if c["name"] == "__Host-ragwarden_signin"]
            assert flow and flow[0]["secure"] and flow[0]["path"] == "/", context.cookies(base)
            entra = json.loads(page.inner_text("body"))
            with page.expect_navigation(url=f"{base}/"):
                page.evaluate(FORM_POST, [entra["form_post"], entra["fields"]])
            session = [c for c in context.cookies(base) if c["name"] == "__Host-ragwarden_session"]
            assert session and session[0]["secure"] and session[0]["httpOnly"], context.cookies(base)
            me = page.evaluate(ME)
            assert me["status"] == 200, me
            assert me["body"]["principal"] == f"entra:{erika}" and me["body"]["display_name"] == "Erika Muster"
            assert page.evaluate(SIGN_OUT) == 204
            assert not [c for c in context.cookies(base) if c["name"] == "__Host-ragwarden_session"]
            assert page.evaluate(ME)["status"] == 401
    finally:
        context.close()
        sock.close()
        ms.stop()
