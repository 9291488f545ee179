"""The REST API. ``create_app`` composes it from services; route handlers parse, call, return."""

from __future__ import annotations

import asyncio
import contextvars
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ragwarden.api.admin import install_admin
from ragwarden.api.answer_queue import AnswerQueue
from ragwarden.api.answers import Started, availability, respond
from ragwarden.api.audit import install_audit
from ragwarden.api.auth import Authenticator, CombinedAuthenticator, build_authenticator
from ragwarden.api.errors import install_error_handlers
from ragwarden.api.identity import describe_scope
from ragwarden.api.loopback import LoopbackOnly
from ragwarden.api.metrics import install_metrics
from ragwarden.api.page import install_page
from ragwarden.api.privacy import install_privacy
from ragwarden.api.schemas import AnswerRequest, SearchRequest, SearchResponse
from ragwarden.api.signin import install_signin
from ragwarden.api.teams import install_teams
from ragwarden.core.audit import Interface
from ragwarden.core.models import AccessScope
from ragwarden.retrieval.documents import document_metadata, search_page
from ragwarden.services import Services


def caller(request: Request) -> AccessScope:
    """The authenticated caller's access scope (401 when nobody is established)."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.authenticate(request)


Caller = Annotated[AccessScope, Depends(caller)]


def interface_of(request: Request) -> Interface:
    """The search page marks its requests (``X-Requested-With: ragwarden``, which it sends for CSRF anyway);
    everything else is the REST API. Told by the client, so it says where a request came from, never who
    may see what."""
    return "page" if request.headers.get("x-requested-with") == "ragwarden" else "rest"


def create_app(services: Services, authenticator: Authenticator | None = None) -> FastAPI:
    auth = authenticator or build_authenticator(services.settings, services.directory)
    demo = services.settings.auth_modes == ("local",)
    app = FastAPI(
        title="ragwarden",
        version="0.1.0",
        description="Permission-aware search and answers over your organisation's documents.",
        # counted as the body arrives, chunked or not: reading stops at the limit with 413
        max_body_size=services.settings.max_body_bytes,
        # Swagger UI and ReDoc load scripts from a CDN and need the CSP lifted: the loopback demo only
        docs_url="/docs" if demo else None,
        redoc_url="/redoc" if demo else None,
    )
    if demo:
        app.add_middleware(LoopbackOnly)  # refuses before any route or mount hears the request
    install_error_handlers(app, "Bearer" if "entra" in services.settings.auth_modes else "RemoteUser")
    install_search(app, services)
    install_answers(app, services)
    names = auth.naming(services.directory) if isinstance(auth, CombinedAuthenticator) else services.directory

    @app.get("/v1/me", tags=["identity"])
    def me(scope: Caller) -> dict[str, Any]:
        return describe_scope(names, scope)

    install_admin(app, services)
    install_audit(app, services)
    install_privacy(app, services)
    install_metrics(app, services)
    install_signin(app, services.settings, auth)
    install_page(app, services, services.settings.auth_modes)  # after sign-in: it links to it when served
    install_teams(app, services)  # POST /api/messages, only when RAGWARDEN_TEAMS_APP_ID is set
    app.state.services = services
    app.state.authenticator = auth
    sessions = auth.sessions() if isinstance(auth, CombinedAuthenticator) else None
    if sessions is not None:  # DSGVO access, erasure and retention reach the sign-in sessions through here
        services.extras["sessions"] = sessions
    return app


def install_search(app: FastAPI, services: Services) -> None:
    """Liveness, search and a document's metadata: each through the retriever with the caller's scope."""

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}  # liveness only: what the index holds is for admins (/v1/admin/sources)

    pool = app.state.search_pool = search_pool(services.settings.search_threads)

    @app.post("/v1/search", response_model=SearchResponse, tags=["search"])
    async def search(body: SearchRequest, request: Request) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            scope = caller(request)  # may ask the directory: in the same thread as the search, one hop
            where = body.filters.to_filter() if body.filters else None
            audit = services.audit_trail(interface_of(request))
            page = search_page(
                services.retriever, scope, body.query, limit=body.limit, offset=body.offset, where=where,
                facets=True, audit=audit,
            )
            return page.as_dict() | availability(services.retriever.withheld())

        if pool is None:
            return await run_in_threadpool(run)
        return await asyncio.get_running_loop().run_in_executor(pool, contextvars.copy_context().run, run)

    @app.get("/v1/documents/{doc_id}", tags=["search"])
    def document(doc_id: str, scope: Caller, request: Request) -> dict[str, Any]:
        return document_metadata(services.retriever, scope, doc_id, audit=services.audit_trail(interface_of(request)))


def search_pool(threads: int) -> ThreadPoolExecutor | None:
    """The threads searches run in (``RAGWARDEN_SEARCH_THREADS``; 0: Starlette's shared pool of 40).

    A search holds the interpreter for most of its ~3 ms (the Edge index, the facets, the audit record),
    so twenty searches in twenty threads only queue for it, and each hand-over between them costs more:
    measured with ``ragwarden bench throughput`` (README). A few threads keep the cores busy (the query's
    forward pass runs without the interpreter lock) and the rest wait in line, cheaply."""
    return ThreadPoolExecutor(threads, thread_name_prefix="ragwarden-search") if threads else None


def install_answers(app: FastAPI, services: Services) -> None:
    """``POST /v1/answer`` behind the answer queue (admission, per-caller limits, streaming)."""
    answers = app.state.answer_queue = AnswerQueue.from_settings(services.settings)

    @app.post("/v1/answer", tags=["answers"])
    async def answer(body: AnswerRequest, request: Request) -> Any:
        started = time.perf_counter()
        scope = await run_in_threadpool(caller, request)  # may ask the directory: a thread, as search does
        resolve_ms = (time.perf_counter() - started) * 1000 if services.settings.expose_timings else None

        audit = services.audit_trail(interface_of(request))

        def start() -> Started:
            events = services.answerer().answer_stream(
                scope, body.question, body.conversation_id, body.limit, audit=audit
            )
            return events, availability(services.retriever.withheld())

        stream = "text/event-stream" in request.headers.get("accept", "")
        return await respond(answers, scope.principal, start, stream=stream, resolve_ms=resolve_ms)
