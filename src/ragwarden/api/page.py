"""The intranet search page: ``/`` and ``/static/…`` (plain HTML, CSS and ES modules, no build step,
nothing fetched from outside the server), ``/v1/ui/config`` (how the page signs people in), and the
security headers every response carries.

The page talks only to the REST API with the caller's own credentials, so it sees exactly what the
API would give that caller: it has no path of its own to the index.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragwarden.services import Services

STATIC_DIR = Path(__file__).parent / "static"
SIGN_IN_URL = "/auth/login"

# No inline script or style, nothing from another origin, no framing, no plugins; innerHTML and
# friends refuse plain strings (Trusted Types), so server text can only ever become a text node.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


class SecurityHeaders:
    """Adds the security headers to every response, and with ``server_timing``
    (``RAGWARDEN_EXPOSE_TIMINGS``) ``Server-Timing: app;dur=…`` (time until the response started) so
    that ``bench page`` can read the server's share of a search.

    Pure ASGI rather than ``BaseHTTPMiddleware`` so that streamed answers pass through untouched.
    The interactive API docs (served in the loopback demo only) load Swagger UI from a CDN with inline
    scripts: they keep the other headers but not the CSP (the page never links to them).
    """

    def __init__(self, app: ASGIApp, csp_exempt: tuple[str, ...] = (), server_timing: bool = False) -> None:
        self.app = app
        self.csp_exempt = csp_exempt
        self.server_timing = server_timing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        with_csp = scope["path"] not in self.csp_exempt

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if with_csp and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                if self.server_timing:
                    headers.append("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.2f}")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _StaticFiles(StaticFiles):
    """Revalidated on every load (ETag), so a new release never runs beside stale modules."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def ui_config(services: Services, auth_modes: tuple[str, ...], sign_in_served: bool) -> dict[str, Any]:
    """What the page needs before anyone is signed in. The demo's user list only in ``local`` mode
    (loopback only, by construction of the local authenticator), never otherwise; the sign-in link
    only with Entra and when the sign-in flow is configured (a bearer-only API has no sign-in page)."""
    return {
        "auth_modes": list(auth_modes),
        "users": _local_users(services) if "local" in auth_modes else [],
        "sign_in_url": SIGN_IN_URL if "entra" in auth_modes and sign_in_served else None,
    }


def _local_users(services: Services) -> list[dict[str, str]]:
    return [{"id": user, "name": name} for user, name in services.listed_users()]


def install_page(app: FastAPI, services: Services, auth_modes: tuple[str, ...]) -> None:
    docs = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    exempt = tuple(p for p in docs if p)
    app.add_middleware(SecurityHeaders, csp_exempt=exempt, server_timing=services.settings.expose_timings)
    # installed after the sign-in routes (create_app's order), so whether they exist is known now
    served = any(getattr(route, "path", None) == SIGN_IN_URL for route in app.routes)
    config = ui_config(services, tuple(auth_modes), served)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/v1/ui/config", tags=["page"])
    def page_config() -> dict[str, Any]:
        return config

    app.mount("/static", _StaticFiles(directory=STATIC_DIR), name="static")
