"""``POST /api/messages``: validate the channel's token, acknowledge, run the turn in the background.

The Agents SDK's FastAPI ``CloudAdapter`` runs the turn (activity parsing, turn context, replies through
the connector to the activity's ``serviceUrl``); it is handed only activities whose token passed
:class:`BotFrameworkValidator`, with the verified claims as their identity. A turn runs after the
202: the channel gives up on a request after 15 s and retries it, and an answer from a larger local
model can take longer than that. Invokes (which need their answer in the response) run inline.

At most ``max_turns`` turns run at once (background and inline alike). Beyond that an activity gets
``503`` with ``Retry-After`` at once and no work is started for it: a polite "busy" reply would itself
cost an outbound token and an HTTPS call to the connector per refused activity -- the very load being
shed -- while the channel treats a 503 as a failed delivery it may retry later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity
from microsoft_agents.hosting.fastapi import CloudAdapter

from ragwarden.api.teams.bot import TeamsBot, locale_language
from ragwarden.api.teams.card import message, text
from ragwarden.api.teams.channel_auth import BotFrameworkValidator

log = logging.getLogger(__name__)

MAX_TURNS = 32  # turns wait on one model; more in flight only queue up memory and connector sessions
BUSY_RETRY_AFTER = 10  # seconds


class TeamsEndpoint:
    def __init__(
        self,
        validator: BotFrameworkValidator,
        adapter: CloudAdapter,
        bot: TeamsBot,
        max_turns: int = MAX_TURNS,
    ) -> None:
        self.validator = validator
        self.adapter = adapter
        self.bot = bot
        self.max_turns = max_turns
        self.refused_busy = 0  # activities turned away at the cap, since start
        self._turns: set[asyncio.Task[None]] = set()
        self._inline = 0  # invokes being answered in their request
        adapter.on_turn_error = _on_turn_error

    @property
    def in_flight(self) -> int:
        return len(self._turns) + self._inline

    async def handle(self, request: Request) -> Response:
        activity = _activity_json(await request.body())
        claims = await asyncio.to_thread(self.validator.validate, request.headers.get("Authorization"), activity)
        request.state.claims_identity = ClaimsIdentity(claims, authentication_type="BotFramework")
        # checked and taken with no await in between: the event loop makes this atomic
        if self.in_flight >= self.max_turns:
            return self._busy()
        if activity.get("type") == "invoke":
            return await self._invoke(request)
        turn = asyncio.create_task(self._turn(request))
        self._turns.add(turn)  # keeps the task alive until it is done, and counts it
        turn.add_done_callback(self._turns.discard)
        return Response(status_code=202)

    async def _invoke(self, request: Request) -> Response:
        self._inline += 1
        try:
            return await self.adapter.process(request, self.bot) or Response(status_code=200)
        finally:
            self._inline -= 1

    def _busy(self) -> Response:
        self.refused_busy += 1
        log.warning("Teams: %d turns in flight, an activity was refused (503)", self.in_flight)
        return Response(status_code=503, headers={"Retry-After": str(BUSY_RETRY_AFTER)})

    async def _turn(self, request: Request) -> None:
        try:
            response = await self.adapter.process(request, self.bot)
        except Exception:  # noqa: BLE001 - a background turn has nobody else to report to
            log.exception("Teams: a turn failed before it reached the bot")
            return
        if response is not None and response.status_code >= 400:
            log.warning("Teams: the adapter refused an activity (HTTP %s)", response.status_code)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the turns in flight (a clean shutdown, the benchmark)."""
        if self._turns:
            await asyncio.wait(set(self._turns), timeout=timeout)


def _activity_json(body: bytes) -> dict[str, Any]:
    """The activity, or ``{}`` for a body that is none: the token check then refuses it (its serviceurl
    claim matches nothing), so an unauthenticated caller learns nothing from a 400."""
    try:
        activity = json.loads(body)
    except ValueError:
        return {}
    return activity if isinstance(activity, dict) else {}


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    """The SDK's default sends the exception text to the chat; here the log gets it, the user an apology."""
    log.error("Teams: answering failed: %s: %s", type(error).__name__, error)
    language = locale_language(context.activity)
    try:
        await context.send_activity(message(text("failed", language)))
    except Exception as exc:  # noqa: BLE001 - the channel itself may be what failed
        log.error("Teams: the apology could not be sent either: %s", type(exc).__name__)
