"""``GET /v1/audit/who-saw`` and ``GET /v1/audit/what-saw``: the audit log's questions over HTTP.

For callers holding one of ``RAGWARDEN_ADMIN_TOKENS`` or ``RAGWARDEN_AUDITOR_TOKENS`` (403 for anyone else).
Answers are audit facts only, never document text. Administrators see who is behind each pseudonym while
that person's key exists; auditors see pseudonyms (they check the grounds, not the people).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ragwarden.acl.decision import is_admin
from ragwarden.core.errors import ForbiddenError
from ragwarden.core.models import AccessScope
from ragwarden.services import Services
from ragwarden.services.audit import parse_since, what_saw, who_saw


def audit_role(services: Services, scope: AccessScope) -> str:
    """``admin`` or ``auditor``; ForbiddenError for anyone else."""
    s = services.settings
    if is_admin(scope, frozenset(s.admin_tokens)):
        return "admin"
    if is_admin(scope, frozenset(s.auditor_tokens)):
        return "auditor"
    raise ForbiddenError("the audit log is reserved to RAGWARDEN_ADMIN_TOKENS and RAGWARDEN_AUDITOR_TOKENS")


def install_audit(app: FastAPI, services: Services) -> None:
    from ragwarden.api.app import caller

    @app.get("/v1/audit/who-saw", tags=["audit"])
    async def who(request: Request, doc_id: str, since: str | None = None) -> dict[str, Any]:
        scope = await run_in_threadpool(caller, request)
        role = audit_role(services, scope)
        when = parse_since(since)
        return await run_in_threadpool(
            who_saw, services.settings, services.state, doc_id, when, resolve=role == "admin", sink=services.audit
        )

    @app.get("/v1/audit/what-saw", tags=["audit"])
    async def what(request: Request, user: str, since: str | None = None) -> dict[str, Any]:
        scope = await run_in_threadpool(caller, request)
        audit_role(services, scope)
        when = parse_since(since)
        return await run_in_threadpool(what_saw, services.settings, services.state, user, when, services.audit)
