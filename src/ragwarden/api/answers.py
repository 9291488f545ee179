"""``/v1/answer`` bodies: one JSON object, or Server-Sent Events (tokens, then the citations).

Events on the stream: ``token`` ``{"text": …}`` as the model writes, then ``done`` with the same
object the JSON form returns; a failure after the first token ends the stream with ``error``.

:func:`respond` runs an answer through the :class:`~ragwarden.api.answer_queue.AnswerQueue`: it waits
for a turn without a thread, runs on the answers' own threads, and gives the turn back however the
answer ends (done, failed, the client gone mid-stream).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ragwarden.api.answer_queue import AnswerQueue, Ticket
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


def _done(result: Any, resolve_ms: float | None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The answer's body; its ``timings`` only when ``resolve_ms`` is given (``RAGWARDEN_EXPOSE_TIMINGS``)."""
    body: dict[str, Any] = result.to_dict()
    if resolve_ms is not None:
        body["timings"] = {"resolve_ms": round(resolve_ms, 2), **result.timings_dict()}
    body.update(extra or {})
    return body


def answer_body(events: Iterator[Any], resolve_ms: float | None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    from ragwarden.generation import AnswerComplete

    for event in events:
        if isinstance(event, AnswerComplete):
            return _done(event.result, resolve_ms, extra)
    raise RuntimeError("the answer ended without a result")


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_events(events: Iterator[Any], resolve_ms: float | None, extra: dict[str, Any] | None = None) -> Iterator[str]:
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


Started = tuple[Iterator[Any], dict[str, Any]]  # the answer's events, and what the body adds to them


async def respond(
    queue: AnswerQueue, principal: str, start: Callable[[], Started], *, stream: bool, resolve_ms: float | None
) -> Any:
    """The JSON body, or an SSE response that owns the turn until its stream ends.

    ``start`` runs eagerly up to the model's first piece (see ``Answerer.answer_stream``), on the
    answers' threads, so a bad request or a busy model still becomes an HTTP status.
    """
    ticket = await queue.enter(principal)
    events: Iterator[Any] | None = None
    handed_over = False
    try:
        events, extra = started = await queue.run(ticket, start)
        if stream:
            lines = sse_events(started[0], resolve_ms, extra)
            response = TurnStreamingResponse(queue, ticket, lines, (lines, started[0]))
            handed_over = True  # the response owns the turn and the events now
            return response
        return await queue.run(ticket, answer_body, started[0], resolve_ms, extra)
    finally:
        if not handed_over:
            await _finish(queue, ticket, (events,) if events is not None else ())


class TurnStreamingResponse(StreamingResponse):
    """Streams on the answers' threads, then closes the answer (releasing the model) and gives the
    turn back, whether the stream finished, failed, or the client went away."""

    def __init__(self, queue: AnswerQueue, ticket: Ticket, lines: Iterator[str], closables: tuple[Any, ...]) -> None:
        self._queue, self._ticket, self._closables = queue, ticket, closables
        super().__init__(_pull(queue, ticket, lines), media_type="text/event-stream")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await _finish(self._queue, self._ticket, self._closables)


async def _pull(queue: AnswerQueue, ticket: Ticket, lines: Iterator[str]) -> AsyncIterator[str]:
    while (line := await queue.run(ticket, next, lines, None)) is not None:
        yield line


async def _finish(queue: AnswerQueue, ticket: Ticket, closables: tuple[Any, ...]) -> None:
    with anyio.CancelScope(shield=True):  # a client that left must not keep the model
        try:
            if not ticket.left:
                for item in closables:
                    close = getattr(item, "close", None)
                    if callable(close):
                        await queue.run(ticket, close)
        finally:
            queue.leave(ticket)
