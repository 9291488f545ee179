"""``/v1/answer`` bodies: one JSON object, or Server-Sent Events (tokens, then the citations).

Events on the stream: ``token`` ``{"text": …}`` as the model writes, then ``done`` with the same
object the JSON form returns; a failure after the first token ends the stream with ``error``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from ragwarden.api.errors import status_for
from ragwarden.core.errors import RagwardenError

log = logging.getLogger(__name__)


UNAVAILABLE_NOTICE = (
    "Some sources are temporarily unavailable: their permissions could not be re-checked in time, "
    "so their documents are left out until they are."
)


def availability(withheld: frozenset[str]) -> dict[str, Any]:
    """What every search and answer says about withheld sources (never their names: those are for
    administrators, ``/v1/admin/sources``)."""
    return {"sources_unavailable": bool(withheld), "notice": UNAVAILABLE_NOTICE if withheld else None}


def _done(result: Any, resolve_ms: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = result.to_dict()
    body["timings"] = {"resolve_ms": round(resolve_ms, 2), **result.timings_dict()}
    body.update(extra or {})
    return body


def answer_body(events: Iterator[Any], resolve_ms: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    from ragwarden.generation import AnswerComplete

    for event in events:
        if isinstance(event, AnswerComplete):
            return _done(event.result, resolve_ms, extra)
    raise RuntimeError("the answer ended without a result")


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_events(events: Iterator[Any], resolve_ms: float, extra: dict[str, Any] | None = None) -> Iterator[str]:
    from ragwarden.generation import AnswerComplete, AnswerToken

    try:
        for event in events:
            if isinstance(event, AnswerToken):
                yield _sse("token", {"text": event.text})
            elif isinstance(event, AnswerComplete):
                yield _sse("done", _done(event.result, resolve_ms, extra))
    except RagwardenError as exc:
        status, message = status_for(exc)
        log.error("answer stream failed: %s: %s", type(exc).__name__, exc)
        yield _sse("error", {"status": status, "error": message})
    except Exception:
        log.exception("answer stream failed")
        yield _sse("error", {"status": 500, "error": "internal error"})
