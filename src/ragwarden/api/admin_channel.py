"""The local admin channel: how ``ragwarden ingest`` / ``sync`` / ``sources`` on this machine hand their
work to the server that owns the index, instead of failing on its lock.

A Unix socket (mode 0600, in a 0700 folder) beside the data: whoever can open it could read the index
files anyway. It speaks a little JSON over HTTP: ``POST /jobs`` (a pass of a source, or a new location to
record and sync), ``GET /jobs/{id}`` (progress), ``GET /sources`` (status), ``POST /privacy`` (``ragwarden
privacy``: export, erase, forget-document, retention in the process whose memory holds the conversations).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse

from ragwarden.core.errors import InvalidRequestError, NotFoundError, RagwardenError, TransientError

MAX_SOCKET_PATH = 100  # sun_path is 108 bytes


def socket_path(data_dir: Path) -> Path:
    """Where the server of ``data_dir`` listens: in the data folder, or (a long path) in a private folder
    under the temp dir named after it."""
    direct = data_dir / "admin.sock"
    if len(os.fsencode(direct)) < MAX_SOCKET_PATH:
        return direct
    digest = hashlib.sha256(os.fsencode(data_dir.resolve())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"ragwarden-{os.getuid()}" / f"{digest}.sock"


def _private_parent(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.parent.stat()
    if info.st_uid != os.getuid():
        raise RagwardenError(f"{path.parent} belongs to another user: refusing to put the admin socket there")


def build_channel_app(control: Any) -> Any:
    """``control`` offers submit(body) -> job dict, job(id) -> job dict | None, sources() -> list,
    privacy(body) -> report dict."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(RagwardenError)
    async def _err(request: Request, exc: RagwardenError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 400 if isinstance(exc, InvalidRequestError) else 503
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.post("/jobs")
    async def submit(request: Request) -> JSONResponse:
        job = await anyio.to_thread.run_sync(control.submit, await _json_object(request))
        return JSONResponse(job, status_code=202)

    @app.get("/jobs/{job_id}")
    def job(job_id: str) -> Any:
        found = control.job(job_id)
        if found is None:
            raise NotFoundError(f"no job {job_id}")
        return found

    @app.get("/sources")
    def sources() -> Any:
        return {"sources": control.sources()}

    @app.post("/privacy")
    async def privacy(request: Request) -> JSONResponse:
        return JSONResponse(await anyio.to_thread.run_sync(control.privacy, await _json_object(request)))

    return app


class ChannelServer:
    """uvicorn on the Unix socket, in a thread of the server process."""

    def __init__(self, path: Path, app: Any) -> None:
        self.path, self._app = path, app
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import uvicorn

        _private_parent(self.path)
        with contextlib.suppress(FileNotFoundError):
            if _answers(self.path):
                raise TransientError(f"another server already owns {self.path}")
            self.path.unlink()
        config = uvicorn.Config(self._app, uds=str(self.path), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        old = os.umask(0o177)  # the socket is created 0600
        try:
            self._thread = threading.Thread(target=self._server.run, name="ragwarden-admin", daemon=True)
            self._thread.start()
            deadline = time.monotonic() + 10
            while not self._server.started and time.monotonic() < deadline and self._thread.is_alive():
                time.sleep(0.02)
        finally:
            os.umask(old)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _answers(path: Path) -> bool:
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(path))
            return True
        except OSError:
            return False


class ChannelClient:
    """The CLI's side: is a server there, hand it a job, follow the job."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def available(self) -> bool:
        return self.path.exists() and _answers(self.path)

    def _client(self, timeout: float) -> Any:
        import httpx

        transport = httpx.HTTPTransport(uds=str(self.path))
        return httpx.Client(transport=transport, base_url="http://ragwarden", timeout=timeout)

    def _call(self, method: str, url: str, timeout: float = 30.0, **kwargs: Any) -> Any:
        with self._client(timeout) as client:
            response = client.request(method, url, **kwargs)
        body = response.json()
        if response.status_code == 404:
            raise NotFoundError(body.get("error", "not found"))
        if response.status_code >= 400:
            raise RagwardenError(f"the server refused: {body.get('error', response.status_code)}")
        return body

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        # a verify runs while the caller waits: give it time
        result: dict[str, Any] = self._call("POST", "/jobs", timeout=3600.0, json=body)
        return result

    def sources(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/sources")["sources"]
        return result

    def privacy(self, body: dict[str, Any]) -> dict[str, Any]:
        """A DSGVO action in the server, where conversations and sessions live (``ragwarden privacy``)."""
        result: dict[str, Any] = self._call("POST", "/privacy", timeout=600.0, json=body)
        return result

    def follow(self, job_id: str, on_progress: Callable[[dict[str, Any]], None], poll: float = 0.2) -> dict[str, Any]:
        while True:
            job: dict[str, Any] = self._call("GET", f"/jobs/{job_id}")
            on_progress(job)
            if job["state"] in ("done", "failed"):
                return job
            time.sleep(poll)


async def _json_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object, or a 400."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidRequestError("expected a JSON object")
    return body
