"""A real ``ragwarden serve`` in a child process, driven over HTTP and the CLI the way an operator would:
the harness of the service tests and of ``ragwarden bench freshness``."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PROXY_SECRET = "live-server-proxy-secret-0123456789"  # noqa: S105 - a loopback test server's secret


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> float:
    """Seconds until ``check()`` held; raises TimeoutError after ``timeout``."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not true within {timeout} s")
        time.sleep(interval)


@dataclass
class LiveServer:
    data_dir: Path
    directory_file: Path
    sources_file: Path | None = None
    port: int = field(default_factory=free_port)
    env_extra: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            RAGWARDEN_DATA_DIR=str(self.data_dir),
            RAGWARDEN_DIRECTORY_FILE=str(self.directory_file),
            RAGWARDEN_AUTH_MODE="trusted-header",
            RAGWARDEN_PROXY_SECRET=PROXY_SECRET,
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
        )
        if self.sources_file is not None:
            env["RAGWARDEN_SOURCES_FILE"] = str(self.sources_file)
        env.update(self.env_extra)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ragwarden.cli", *args]

    def start(self, *, ready: bool = True, timeout: float = 180.0, extra: Sequence[str] = ()) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir.parent / f"serve-{self.port}.log"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
            self.command("serve", "--port", str(self.port), *extra), env=self.env(), stdout=log, stderr=log
        )
        wait_for(self._up, timeout, 0.2)
        if ready:
            wait_for(lambda: self.get("/readyz").status_code == 200, timeout, 0.2)
        return self

    def _up(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"ragwarden serve exited with {self.proc.returncode}:\n{self.log()}")
        with contextlib.suppress(httpx.HTTPError):
            return self.get("/healthz").status_code == 200
        return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path and self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def headers(self, user: str | None) -> dict[str, str]:
        return {"X-Remote-User": user, "X-Proxy-Secret": PROXY_SECRET} if user else {}

    def get(self, path: str, user: str | None = None, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers(user), timeout=30, **kwargs)

    def post(self, path: str, user: str | None = None, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, headers=self.headers(user), timeout=60, **kwargs)

    def search(self, user: str, query: str, limit: int = 50) -> dict[str, Any]:
        response = self.post("/v1/search", user, json={"query": query, "limit": limit})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def paths(self, user: str, query: str) -> set[str]:
        return {r["path"] for r in self.search(user, query)["results"]}

    def cli(self, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own CLI
            self.command(*args), env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
