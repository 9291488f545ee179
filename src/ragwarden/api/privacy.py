"""``POST /v1/admin/privacy``: the DSGVO actions over HTTP, for administrators (RAGWARDEN_ADMIN_TOKENS).

The same use cases as ``ragwarden privacy`` (``services/privacy.py``), in this process: for API processes
started with ``serve --no-sync``, which hold their own conversations and sessions but no admin channel. The
body is ``{"action": "export" | "erase", "user": ...}``, ``{"action": "forget-document", "document": ...}`` or
``{"action": "retention"}``. Auditors may not: erasing and forgetting change what the log can tell them.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ragwarden.api.admin import require_admin
from ragwarden.services import Services


def install_privacy(app: FastAPI, services: Services) -> None:
    from ragwarden.api.app import caller

    @app.post("/v1/admin/privacy", tags=["admin"])
    async def privacy(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        from ragwarden.services.privacy import handle

        scope = await run_in_threadpool(caller, request)
        require_admin(services, scope)
        return await run_in_threadpool(handle, services, body, "rest")
