"""A real ``ragwarden serve`` in a child process, driven over HTTP and the CLI the way an operator would:
the harness of the service tests and of ``ragwarden bench freshness``."""

from __future__ import annotations

import contextlib
import json
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
    proc: subprocess.Popen[bytes] | Forked | None = None
    log_path: Path | None = None
    launcher: Prewarmed | None = None  # fork from a pre-warmed interpreter instead of a cold start

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
        args = ("serve", "--port", str(self.port), *extra)
        if self.launcher is not None:
            self.proc = self.launcher.spawn(args, self.env(), self.log_path)
        else:
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
                    self.command(*args), env=self.env(), stdout=log, stderr=log
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


def serve_forks(modules: Sequence[str]) -> None:
    """The body of :class:`Prewarmed`'s process: import (or, for "module:function", also call) what
    ``modules`` names, then fork one ``ragwarden`` per JSON job read from stdin, answering its pid."""
    import importlib

    for name in modules:
        module, _, function = name.partition(":")
        loaded = importlib.import_module(module)
        if function:
            getattr(loaded, function)()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children: no zombies
    print("ready", flush=True)
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            _forked_cli(json.loads(line))
        print(pid, flush=True)


def _forked_cli(job: dict[str, Any]) -> None:
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(job["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.environ.update(job["env"])  # over what the warm-up set (unstructured's no-telemetry flags)
        sys.argv = ["ragwarden", *job["args"]]
        import runpy

        runpy.run_module("ragwarden.cli", run_name="__main__", alter_sys=True)  # as `python -m ragwarden.cli`
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - a child must never return into the fork loop
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


#: What a ``ragwarden serve`` imports before it loads its model, and what its first sync would import
#: (parsers, the sentence splitter): about 10 s of CPU on 2 cores, paid once instead of per start.
PREWARM_MODULES = (
    "torch", "sentence_transformers", "uvicorn", "qdrant_edge", "watchdog.observers",
    "ragwarden.cli", "ragwarden.services", "ragwarden.api.app", "ragwarden.api.service",
    "ragwarden.ingestion.embedding", "ragwarden.ingestion.chunking", "llama_index.core.node_parser",
    "ragwarden.ingestion.partitioners:warm_up",
)


class Prewarmed:
    """A Python process that imported what ``ragwarden serve`` needs once, and forks a fresh
    ``ragwarden`` from itself per start: a restart then costs the model load, not the imports.

    For tests that restart a server many times (killing it mid-sync). The child runs the real CLI with
    its own data directory and log, its environment that of this process updated with its own; only
    the interpreter's import work is shared. ``env`` must match what the children get where it is read
    at import time (offline flags, OpenMP policy).
    """

    def __init__(self, env: dict[str, str], modules: Sequence[str] = PREWARM_MODULES) -> None:
        env = {"OMP_WAIT_POLICY": "PASSIVE", **env}  # as ragwarden.cli.main sets it, before torch loads
        body = "import sys; from ragwarden.testing.live_server import serve_forks; serve_forks(sys.argv[1:])"
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", body, *modules], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        if self._readline() != "ready":
            raise RuntimeError("the pre-warmed interpreter did not start")

    def _readline(self) -> str:
        assert self._proc.stdout is not None
        return self._proc.stdout.readline().decode().strip()

    def spawn(self, args: Sequence[str], env: dict[str, str], log: Path) -> Forked:
        assert self._proc.stdin is not None
        job = {"args": list(args), "env": env, "log": str(log)}
        self._proc.stdin.write((json.dumps(job) + "\n").encode())
        self._proc.stdin.flush()
        return Forked(int(self._readline()))

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(10)

    def __enter__(self) -> Prewarmed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Forked:
    """The :class:`subprocess.Popen` surface :class:`LiveServer` uses, for a child of :class:`Prewarmed`
    (which reaps it: its exit status is not ours to read, so an ended child reports -1)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        try:
            wait_for(lambda: self.poll() is not None, timeout if timeout is not None else 1e9, 0.02)
        except TimeoutError:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0.0) from None
        return -1
