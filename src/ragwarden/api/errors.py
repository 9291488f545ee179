"""The one table that maps ragwarden errors to HTTP, and the handlers that apply it.

Responses carry a short message and never a stack trace; internal errors say only "internal error".
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from ragwarden.core import errors as e
from ragwarden.generation import errors as g

log = logging.getLogger(__name__)

# Most specific first: the first matching class decides.
HTTP_STATUS: tuple[tuple[type[e.RagwardenError], int, bool], ...] = (
    # (error class, status, show the message to the caller)
    (g.ModelNotFoundError, 503, True),  # says what to pull or install; no internal detail
    (g.BackendMissingError, 503, True),
    (e.DocumentTooLargeError, 413, True),
    (e.InvalidRequestError, 400, True),
    (e.AuthenticationError, 401, True),
    (e.ForbiddenError, 403, True),
    (e.ConflictError, 409, True),
    (e.NotFoundError, 404, True),
    (e.RateLimitedError, 429, True),  # says how many answers one caller may have in flight
    (e.OverloadedError, 503, True),
    (e.DirectoryUnavailableError, 503, False),
    (e.TransientError, 503, False),
    (e.ConfigurationError, 500, False),
    (e.IntegrityError, 500, False),
    (e.RagwardenError, 500, False),
)


GENERIC = {503: "a service ragwarden depends on is unavailable; try again later", 500: "internal error"}


def status_for(exc: e.RagwardenError) -> tuple[int, str]:
    """Status and the message the caller sees; internal detail (hosts, causes) stays in the log."""
    for cls, status, public in HTTP_STATUS:
        if isinstance(exc, cls):
            return status, (str(exc) if public else GENERIC.get(status, "internal error"))
    return 500, "internal error"


def retry_after(exc: BaseException) -> str | None:
    """The ``Retry-After`` value (whole seconds, at least 1) an error asks for, if any."""
    seconds = getattr(exc, "retry_after", None)
    return str(max(1, math.ceil(seconds))) if isinstance(seconds, int | float) else None


def _headers(exc: e.RagwardenError, status: int, challenge: str) -> dict[str, str] | None:
    headers = {"WWW-Authenticate": challenge} if status == 401 else {}
    wait = retry_after(exc)
    if wait is not None:
        headers["Retry-After"] = wait
    return headers or None


def install_error_handlers(app: FastAPI, challenge: str = "RemoteUser") -> None:
    @app.exception_handler(e.RagwardenError)
    async def _ragwarden(request: Request, exc: e.RagwardenError) -> JSONResponse:
        status, message = status_for(exc)
        hook = getattr(request.app.state, "on_error", None)
        if hook is not None:
            hook(exc)
        if status >= 500:
            log.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return JSONResponse({"error": message}, status_code=status, headers=_headers(exc, status, challenge))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'] if p != 'body') or 'body'}: {err['msg']}" for err in exc.errors()
        )
        return JSONResponse({"error": f"invalid request: {problems}"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 413:  # the body limit stopped reading: the rest of the body is never read
            limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
            message = f"request body over {limit} bytes" if isinstance(limit, int) else str(exc.detail)
            return JSONResponse({"error": message}, status_code=413, headers={"Connection": "close"})
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed unexpectedly", request.method, request.url.path)
        return JSONResponse({"error": "internal error"}, status_code=500)
