"""A local HTTP server that speaks the documented Ollama API, for the adapter's tests.

Endpoints as in Ollama's ``docs/api.md``: ``GET /api/tags``, ``POST /api/show``, ``POST /api/chat``
(streaming NDJSON by default: one JSON object per line, ``done: false`` pieces with
``message.content``, then a final ``done: true`` object with ``done_reason`` and timing counters;
``"stream": false`` gives one object; ``options.num_predict`` caps the pieces, one per token). A model
that is not installed gets a 404 with an ``{"error": "model ... not found"}`` body. Knobs simulate slow,
stalling, failing and foreign servers.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATED_AT = "2024-07-22T20:33:28.123648Z"


@dataclass
class Behaviour:
    models: tuple[str, ...] = ("llama3.2:latest",)
    pieces: tuple[str, ...] = ("Up", " to", " 5", " days", " [1]", ".")
    delay_before_headers: float = 0.0  # seconds before anything is sent (model loading)
    delay_between_pieces: float = 0.0
    stall_after: int | None = None  # stop sending (but keep the connection) after this many pieces
    stall_seconds: float = 30.0
    status: int | None = None  # answer every chat with this HTTP status and an error body
    error_mid_stream: str | None = None  # an {"error": ...} line after the first piece
    garbage: bool = False  # answer with lines that are not JSON (another service on the port)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def _installed(behaviour: Behaviour, name: str) -> bool:
    wanted = name if ":" in name else f"{name}:latest"
    return wanted in behaviour.models


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        return

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        return json.loads(raw or b"{}")

    def do_GET(self) -> None:
        b = self.server.behaviour
        b.requests.append(("GET", self.path, {}))
        if self.path != "/api/tags":
            self._json(404, {"error": "404 page not found"})
            return
        models = [
            {"name": m, "model": m, "modified_at": CREATED_AT, "size": 2019393189,
             "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
             "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B",
                         "quantization_level": "Q4_K_M"}}
            for m in b.models
        ]
        self._json(200, {"models": models})

    def do_POST(self) -> None:
        b = self.server.behaviour
        body = self._body()
        b.requests.append(("POST", self.path, body))
        if self.path == "/api/show":
            self._show(body)
        elif self.path == "/api/chat":
            self._chat(body)
        else:
            self._json(404, {"error": "404 page not found"})

    def _show(self, body: dict[str, Any]) -> None:
        name = body.get("model") or body.get("name") or ""
        if not _installed(self.server.behaviour, name):
            self._json(404, {"error": f"model '{name}' not found"})
            return
        self._json(200, {"modelfile": "FROM llama3.2", "parameters": "", "template": "{{ .Prompt }}",
                         "details": {"format": "gguf", "family": "llama"},
                         "model_info": {"general.architecture": "llama", "llama.context_length": 131072}})

    def _chat(self, body: dict[str, Any]) -> None:
        b = self.server.behaviour
        time.sleep(b.delay_before_headers)
        name = body.get("model", "")
        if b.status is not None:
            self._json(b.status, {"error": "llama runner process has terminated: exit status 2"})
            return
        if not _installed(b, name):
            self._json(404, {"error": f'model "{name}" not found, try pulling it first'})
            return
        limit = (body.get("options") or {}).get("num_predict")  # a piece is a token; -1: no limit
        pieces = b.pieces[:limit] if isinstance(limit, int) and limit >= 0 else b.pieces
        if body.get("stream", True) is False:
            self._json(200, self._part(name, "".join(pieces), done=True))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes
        self._stream(name, pieces)

    def _stream(self, name: str, pieces: tuple[str, ...]) -> None:
        b = self.server.behaviour
        for index, piece in enumerate(pieces):
            if b.stall_after is not None and index >= b.stall_after:
                time.sleep(b.stall_seconds)
                return
            line = b"this is not json\n" if b.garbage else json.dumps(self._part(name, piece)).encode() + b"\n"
            self.wfile.write(line)
            self.wfile.flush()
            if b.error_mid_stream and index == 0:
                self.wfile.write(json.dumps({"error": b.error_mid_stream}).encode() + b"\n")
                return
            time.sleep(b.delay_between_pieces)
        self.wfile.write(json.dumps(self._part(name, "", done=True)).encode() + b"\n")

    @staticmethod
    def _part(name: str, content: str, done: bool = False) -> dict[str, Any]:
        part: dict[str, Any] = {
            "model": name, "created_at": CREATED_AT,
            "message": {"role": "assistant", "content": content}, "done": done,
        }
        if done:
            part.update({"done_reason": "stop", "total_duration": 4883583458, "load_duration": 1334875,
                         "prompt_eval_count": 26, "prompt_eval_duration": 342546000,
                         "eval_count": 6, "eval_duration": 4535599000})
        return part


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour


class FakeOllamaServer:
    """``with FakeOllamaServer(Behaviour(...)) as server: server.url``"""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.behaviour = self.behaviour
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeOllamaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
