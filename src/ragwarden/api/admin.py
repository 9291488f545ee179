"""Operators' HTTP surface: ``/v1/admin/sources`` (admins only), ``/readyz`` and ``/metrics``.

Admins are callers holding one of ``RAGWARDEN_ADMIN_TOKENS`` (nobody by default); they see source
status (and the index's point count) and start passes, and search exactly like everyone else.
``/readyz`` is not ready while a source is stale; ``/healthz`` stays a bare liveness probe.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse

from ragwarden.acl.decision import is_admin
from ragwarden.core.errors import ConflictError, ForbiddenError, NotFoundError
from ragwarden.core.models import AccessScope
from ragwarden.services import Services
from ragwarden.services.status import not_ready_reasons, source_status


def require_admin(services: Services, scope: AccessScope) -> None:
    if not is_admin(scope, frozenset(services.settings.admin_tokens)):
        raise ForbiddenError("administration is reserved to RAGWARDEN_ADMIN_TOKENS")


def install_admin(app: FastAPI, services: Services) -> None:
    from ragwarden.api.app import caller

    def admin(request: Request) -> AccessScope:
        scope = caller(request)
        require_admin(services, scope)
        return scope

    @app.get("/v1/admin/sources", tags=["admin"])
    def sources(request: Request) -> dict[str, Any]:
        admin(request)
        status = source_status(services.state, getattr(app.state, "scheduler", None))
        return {"sources": status, "index_points": services.index_points()}  # not for anonymous /healthz

    @app.post("/v1/admin/sources/{name}/sync", tags=["admin"], status_code=202)
    def sync(name: str, request: Request, kind: Literal["content", "acl"] = "content") -> dict[str, Any]:
        admin(request)
        scheduler = getattr(app.state, "scheduler", None)
        if scheduler is None:
            if services.state.sources.get(name) is None:
                raise NotFoundError(f"no source named {name!r}")
            raise ConflictError(
                "this process runs no syncs (serve --no-sync): run `ragwarden sync NAME` where the worker runs"
            )
        return scheduler.request(name, kind, reason="admin").as_dict()

    @app.get("/readyz", tags=["ops"])
    def readyz() -> JSONResponse:
        reasons = not_ready_reasons(services.state)
        body = {"ready": not reasons, "reasons": reasons}
        return JSONResponse(body, status_code=200 if not reasons else 503)
