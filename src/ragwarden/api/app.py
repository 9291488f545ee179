"""The REST API. ``create_app`` composes it from services; route handlers parse, call, return."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import JSONResponse, Response, StreamingResponse

from ragwarden.api.admin import install_admin
from ragwarden.api.answers import answer_body, availability, sse_events
from ragwarden.api.auth import Authenticator, CombinedAuthenticator, build_authenticator
from ragwarden.api.errors import install_error_handlers
from ragwarden.api.identity import describe_scope
from ragwarden.api.metrics import install_metrics
from ragwarden.api.page import install_page
from ragwarden.api.schemas import AnswerRequest, SearchRequest, SearchResponse
from ragwarden.api.signin import install_signin
from ragwarden.api.teams import install_teams
from ragwarden.core.models import AccessScope
from ragwarden.retrieval.documents import document_metadata, search_page
from ragwarden.services import Services


class BodyLimit(BaseHTTPMiddleware):
    """Refuses bodies over the limit before they are parsed (413), declared or streamed."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return JSONResponse({"error": f"request body over {self.max_bytes} bytes"}, status_code=413)
        if request.method in {"POST", "PUT", "PATCH"} and declared is None:
            body = await request.body()
            if len(body) > self.max_bytes:
                return JSONResponse({"error": f"request body over {self.max_bytes} bytes"}, status_code=413)
        return await call_next(request)


def caller(request: Request) -> AccessScope:
    """The authenticated caller's access scope (401 when nobody is established)."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.authenticate(request)


Caller = Annotated[AccessScope, Depends(caller)]


def create_app(services: Services, authenticator: Authenticator | None = None) -> FastAPI:
    auth = authenticator or build_authenticator(services.settings, services.directory)
    app = FastAPI(
        title="ragwarden",
        version="0.1.0",
        description="Permission-aware search and answers over your organisation's documents.",
    )
    names = auth.naming(services.directory) if isinstance(auth, CombinedAuthenticator) else services.directory
    app.add_middleware(BodyLimit, max_bytes=services.settings.max_body_bytes)
    install_error_handlers(app, "Bearer" if "entra" in services.settings.auth_modes else "RemoteUser")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "chunks": services.index.count()}

    @app.post("/v1/search", response_model=SearchResponse, tags=["search"])
    def search(body: SearchRequest, scope: Caller) -> dict[str, Any]:
        where = body.filters.to_filter() if body.filters else None
        page = search_page(
            services.retriever, scope, body.query, limit=body.limit, offset=body.offset, where=where, facets=True
        )
        return page.as_dict() | availability(services.retriever.withheld())

    @app.get("/v1/documents/{doc_id}", tags=["search"])
    def document(doc_id: str, scope: Caller) -> dict[str, Any]:
        return document_metadata(services.retriever, scope, doc_id)

    @app.post("/v1/answer", tags=["answers"])
    def answer(body: AnswerRequest, request: Request) -> Any:
        started = time.perf_counter()
        scope = caller(request)
        resolve_ms = (time.perf_counter() - started) * 1000
        events = services.answerer().answer_stream(scope, body.question, body.conversation_id, body.limit)
        notice = availability(services.retriever.withheld())
        if "text/event-stream" in request.headers.get("accept", ""):
            return StreamingResponse(sse_events(events, resolve_ms, notice), media_type="text/event-stream")
        return answer_body(events, resolve_ms, notice)

    @app.get("/v1/me", tags=["identity"])
    def me(scope: Caller) -> dict[str, Any]:
        return describe_scope(names, scope)

    install_admin(app, services)
    install_metrics(app, services)
    install_signin(app, services.settings, auth)
    install_page(app, services, services.settings.auth_modes)  # after sign-in: it links to it when served
    install_teams(app, services)  # POST /api/messages, only when RAGWARDEN_TEAMS_APP_ID is set
    app.state.services = services
    app.state.authenticator = auth
    return app
