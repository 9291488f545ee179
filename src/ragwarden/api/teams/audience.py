"""Who may read the reply -- including everyone who joins the conversation later.

A reply stays in its conversation, and whoever is added later reads it (a new team member, someone added
to a group chat with its history, a late meeting joiner). So the bot never builds a scope from a roster
read at answer time: a member added after the read, or after the post, would escape it. Instead:

- **1:1 chat** (``personal``): the sender, by the ``aadObjectId`` Teams put on the activity, resolved
  through Graph. Nobody else ever reads that chat.
- **Team channel** (standard or private): only passages that *both* the team's Microsoft 365 group and the
  asker may see -- a :class:`JointScope` of the group's tokens (``team_group``) and the asker's own. Every
  present and future reader of such a channel is a member of that group, and the asker never gets more
  than they may see themselves. The group id comes from the Bot Connector's team details, not from the
  activity alone. A **shared** channel (members from outside the team) and a channel whose type cannot be
  established are refused: the bot asks for a 1:1 chat.
- **Group chat, meeting chat**: no identity outlives the chat's changing membership, so nothing is
  answered *into* it. The answer is for the asker alone (:attr:`Readers.private`): the bot delivers it in
  a 1:1 chat and leaves only a short note in the group (``bot``).
- Anything else: refused (never guess who reads).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessScope, JointScope, Scope
from ragwarden.core.ports import PrincipalResolver

log = logging.getLogger(__name__)

PERSONAL, CHANNEL, GROUP_CHAT = "personal", "channel", "groupChat"
READABLE_CHANNELS = ("standard", "private")  # every reader is a member of the team's group


class Refusal(Exception):
    """The bot cannot answer this sender here; ``key`` names the text it replies with."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Readers:
    """The scope an answer is built from, and where it may be shown: ``private`` answers go to the
    asker's 1:1 chat, never into the conversation they were asked in."""

    scope: Scope
    kind: str  # PERSONAL, CHANNEL or GROUP_CHAT
    private: bool = False


def conversation_kind(activity: Activity) -> str | None:
    kind = activity.conversation.conversation_type if activity.conversation else None
    group_flag = bool(activity.conversation and activity.conversation.is_group)
    return PERSONAL if kind is None and not group_flag else kind


class Audience:
    def __init__(self, people: PrincipalResolver, groups: PrincipalResolver, workers: int = 8) -> None:
        self.people = people
        self.groups = groups
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teams-resolve")

    async def readers(self, activity: Activity, connector: ConnectorClientBase | None) -> Readers:
        kind = conversation_kind(activity)
        if kind == PERSONAL:
            return Readers(await self._sender(activity), PERSONAL)
        if kind == GROUP_CHAT:  # meeting chats are group chats too
            return Readers(await self._sender(activity), GROUP_CHAT, private=True)
        if kind == CHANNEL and isinstance(connector, TeamsConnectorClient):
            sender = await self._sender(activity)
            team = await self._team_scope(activity, connector)
            assert activity.conversation is not None
            principal = f"teams-channel:{activity.conversation.id.split(';', 1)[0]}"
            return Readers(JointScope(principal=principal, members=(team, sender)), CHANNEL)
        raise Refusal("ask_private")

    async def _sender(self, activity: Activity) -> AccessScope:
        oid = _object_id(activity.from_property.aad_object_id if activity.from_property else None)
        if oid is None:
            raise Refusal("unknown_user")
        scope = await self._resolve(self.people, oid)
        if scope.is_empty:
            raise Refusal("unknown_user")
        return scope

    async def _team_scope(self, activity: Activity, connector: TeamsConnectorClient) -> AccessScope:
        team_id = _field(activity.channel_data, "team", "id")
        if not team_id:
            raise Refusal("ask_private")
        group_id = await _team_group_id(activity, connector, team_id)
        if await _channel_type(activity, connector, team_id) not in READABLE_CHANNELS:
            raise Refusal("ask_private")  # shared, or not known: readers outside the team's group
        scope = await self._resolve(self.groups, group_id)
        if scope.is_empty:
            raise Refusal("ask_private")
        return scope

    async def _resolve(self, resolver: PrincipalResolver, oid: str) -> AccessScope:
        loop = asyncio.get_running_loop()
        scope: AccessScope = await loop.run_in_executor(self._pool, resolver.resolve, oid)
        return scope

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


async def _team_group_id(activity: Activity, connector: TeamsConnectorClient, team_id: str) -> str:
    """The team's Microsoft 365 group, as the Bot Connector names it; a differing ``aadGroupId`` on the
    activity means we do not know which group this is."""
    try:
        details = await connector.fetch_team_details(team_id)
    except Exception as exc:  # noqa: BLE001 - any failure means we do not know the team's group
        log.warning("Teams: the details of a team could not be read: %s", type(exc).__name__)
        raise Refusal("ask_private") from exc
    group = _object_id(details.aad_group_id)
    claimed = _field(activity.channel_data, "team", "aadGroupId")
    if group is None or (claimed and _object_id(claimed) != group):
        raise Refusal("ask_private")
    return group


async def _channel_type(activity: Activity, connector: TeamsConnectorClient, team_id: str) -> str:
    """``standard``, ``private``, ``shared``, or ``""`` when neither the activity nor the team's channel
    list says."""
    declared = _field(activity.channel_data, "channel", "type") or _field(
        activity.channel_data, "channel", "membershipType"
    )
    if declared:
        return declared.lower()
    assert activity.conversation is not None
    channel_id = _field(activity.channel_data, "channel", "id") or activity.conversation.id.split(";", 1)[0]
    try:
        channels = await connector.fetch_channel_list(team_id)
    except Exception as exc:  # noqa: BLE001 - unknown channel type: refuse
        log.warning("Teams: the channels of a team could not be read: %s", type(exc).__name__)
        return ""
    listed = next((c for c in channels if c.id == channel_id), None)
    return str(listed.type or "").lower() if listed is not None else ""


def _object_id(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return tokens.name_of(tokens.entra(value)).lower()
    except AccessControlError:
        return None


def _field(channel_data: Any, section: str, name: str) -> str | None:
    part = channel_data.get(section) if isinstance(channel_data, dict) else getattr(channel_data, section, None)
    value = part.get(name) if isinstance(part, dict) else getattr(part, name, None)
    return value if isinstance(value, str) and value else None
