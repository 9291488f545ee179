"""Answers asked in a group chat or meeting chat go to the asker's 1:1 chat with the bot.

The Bot Connector creates (or finds: Teams keeps one per user and bot) the 1:1 conversation with
``POST /v3/conversations``; the answer is then sent into it. Teams allows this only when the bot is
installed for that user; when it is not, or the connector fails, the answer is not sent anywhere and the
group gets the short "please ask me in a 1:1 chat" note instead.
"""

from __future__ import annotations

import logging

from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core.connector import ConnectorClientBase

log = logging.getLogger(__name__)


async def open_private_chat(activity: Activity, connector: ConnectorClientBase | None, tenant_id: str) -> str | None:
    """The id of the asker's 1:1 conversation with the bot, or ``None`` when it cannot be had."""
    sender = activity.from_property.id if activity.from_property else None
    if connector is None or not sender or activity.recipient is None:
        return None
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=activity.recipient.id),
        members=[ChannelAccount(id=sender)],
        tenant_id=tenant_id,
        channel_data={"tenant": {"id": tenant_id}},
    )
    try:
        created = await connector.conversations.create_conversation(parameters)
    except Exception as exc:  # noqa: BLE001 - e.g. 403: the bot is not installed for this user
        log.info("Teams: no 1:1 chat with the asker could be opened: %s", type(exc).__name__)
        return None
    return created.id or None


async def send_private(connector: ConnectorClientBase, conversation_id: str, reply: Activity) -> bool:
    try:
        await connector.conversations.send_to_conversation(conversation_id, reply)
    except Exception as exc:  # noqa: BLE001 - the group is then told to ask in a 1:1 chat
        log.warning("Teams: the private answer could not be delivered: %s", type(exc).__name__)
        return False
    return True
