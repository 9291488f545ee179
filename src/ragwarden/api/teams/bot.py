"""The bot's turn: typing first, then who reads the reply, then the answer as a card.

Only activities from the Teams channel (``msteams``) of our own tenant are answered: elsewhere (Web
Chat, Direct Line) the sender's ``aadObjectId`` is written by the client and proves nothing.

Where the answer goes (``audience`` decides the scope): a 1:1 chat and a team channel get the card as
the reply. A group chat or meeting chat never gets passages, titles or citations: the card goes to the
asker's 1:1 chat (``private_chat``) and the group gets one short note -- "sent to you privately", or,
when no 1:1 chat can be opened, "please ask me in a 1:1 chat".
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.core import ActivityHandler, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from ragwarden.api.teams.audience import CHANNEL, Audience, Readers, Refusal
from ragwarden.api.teams.card import answer_card, card_activity, message, text
from ragwarden.api.teams.private_chat import open_private_chat, send_private
from ragwarden.core.audit import AuditTrail
from ragwarden.core.errors import DirectoryUnavailableError
from ragwarden.core.models import JointScope, Scope
from ragwarden.generation.language import detect_language
from ragwarden.generation.questions import MAX_QUESTION_CHARS

log = logging.getLogger(__name__)

TEAMS_CHANNEL = "msteams"
TYPING_EVERY = 3.0  # seconds; Teams hides a typing indicator after a few seconds
_MENTION = re.compile(r"<at>(.*?)</at>", re.S)


class TeamsBot(ActivityHandler):
    def __init__(self, answerer: Any, audience: Audience, tenant_id: str, audit: AuditTrail | None = None) -> None:
        super().__init__()
        self.audit = audit  # each answer's record, written by the answerer before the card is built
        self._answerer = answerer  # () -> Answerer: the model loads on the first question
        self.audience = audience
        self.tenant_id = tenant_id.lower()

    async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        typing = asyncio.create_task(_keep_typing(turn_context))
        try:
            reply = await self._reply(turn_context)
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
        await turn_context.send_activity(reply)

    async def _reply(self, context: TurnContext) -> Activity:
        activity = context.activity
        question = question_text(activity)
        language = detect_language(question) or locale_language(activity)
        problem = _input_problem(activity, question)
        if problem:
            return message(text(problem, language, limit=MAX_QUESTION_CHARS))
        if str(activity.channel_id) != TEAMS_CHANNEL or _tenant(activity) != self.tenant_id:
            return message(text("unknown_user", language))
        try:
            readers = await self.audience.readers(activity, _connector(context))
        except Refusal as refusal:
            return message(text(refusal.key, language))
        except DirectoryUnavailableError:
            log.warning("Teams: the directory is unavailable; the question was not answered")
            return message(text("directory_down", language))
        if readers.private:
            return await self._answer_privately(context, readers, question, language)
        assert activity.conversation is not None
        key = _conversation_key(activity.conversation.id, readers.scope)
        result = await asyncio.to_thread(self._answer, readers.scope, question, key)
        return card_activity(answer_card(result, group=readers.kind == CHANNEL))

    async def _answer_privately(self, context: TurnContext, readers: Readers, question: str, language: str) -> Activity:
        """The card to the asker's 1:1 chat; to the group, only a note. The chat is opened before the
        model runs, so that nothing is answered that could not be delivered privately."""
        connector = _connector(context)
        chat = await open_private_chat(context.activity, connector, self.tenant_id)
        if chat is None or connector is None:
            return message(text("ask_private", language))
        key = _conversation_key(chat, readers.scope)
        result = await asyncio.to_thread(self._answer, readers.scope, question, key)
        if not await send_private(connector, chat, card_activity(answer_card(result, group=False))):
            return message(text("ask_private", language))
        return message(text("answered_privately", language))

    def _answer(self, scope: Scope, question: str, conversation_id: str) -> dict[str, Any]:
        answerer = self._answerer()
        body = dict(answerer.answer(scope, question, conversation_id, audit=self.audit).to_dict())
        retriever = getattr(answerer, "retriever", None)
        body["sources_unavailable"] = bool(retriever.withheld()) if retriever is not None else False
        return body


def _connector(context: TurnContext) -> ConnectorClientBase | None:
    found = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
    return found if isinstance(found, ConnectorClientBase) else None


async def _keep_typing(context: TurnContext) -> None:
    """Typing again every few seconds while the model works (the first one is already sent)."""
    while True:
        await asyncio.sleep(TYPING_EVERY)
        await context.send_activity(Activity(type=ActivityTypes.typing))


def question_text(activity: Activity) -> str:
    """The message without the bot's @mention (group chats and channels put it in the text); other
    people's mentions stay as their names."""
    raw = activity.remove_recipient_mention() if activity.recipient else (activity.text or "")
    return _MENTION.sub(r"\1", raw or "").replace("&nbsp;", " ").strip()


def locale_language(activity: Activity) -> str:
    """The Teams client's language, for replies to text too short to tell."""
    return "de" if (activity.locale or "").lower().startswith("de") else "en"


def _input_problem(activity: Activity, question: str) -> str | None:
    if not question:
        return "attachments_only" if _has_files(activity) else "empty"
    if len(question) > MAX_QUESTION_CHARS:
        return "too_long"
    return None


def _has_files(activity: Activity) -> bool:
    # Teams repeats a message's own text as a text/html attachment; anything else is a file or image
    return any(a.content_type != "text/html" for a in activity.attachments or [])


def _tenant(activity: Activity) -> str:
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return str(tenant or "").lower()


def _conversation_key(conversation_id: str, scope: Scope) -> str:
    """The answerer's conversation id (letters, digits, '-'): the Teams conversation where the answer is
    read, and in a channel also whose scopes were joined (the team's group and the asker), so that no
    history answered for one asker continues for another."""
    basis = conversation_id
    if isinstance(scope, JointScope):
        basis += "|" + ",".join(sorted(m.principal for m in scope.members))
    return "teams-" + hashlib.sha256(basis.encode()).hexdigest()[:40]
