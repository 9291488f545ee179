"""Who will read the reply, as an access scope.

A 1:1 chat: the sender, by the ``aadObjectId`` Teams put on the activity, resolved through Graph.
A group chat or a channel: everyone in it, read from the Teams roster, every member resolved, joined
into a :class:`JointScope` (a passage is used only when every member may see it). When that cannot be
established completely -- a member without an Entra identity or unknown to the directory, a roster that
cannot be read, more members than ``teams_max_group_members`` -- the bot refuses and asks for a 1:1
chat. It never falls back to the sender's own scope in a group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessScope, JointScope, Scope
from ragwarden.core.ports import PrincipalResolver

log = logging.getLogger(__name__)

GROUP_TYPES = ("groupChat", "channel")
PAGE_SIZE = 100  # Teams serves pages of 50..500 members


class Refusal(Exception):
    """The bot cannot answer this sender here; ``key`` names the text it replies with."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def is_group(activity: Activity) -> bool:
    kind = activity.conversation.conversation_type if activity.conversation else None
    return kind is not None and kind in GROUP_TYPES


class Audience:
    def __init__(self, resolver: PrincipalResolver, max_members: int, workers: int = 8) -> None:
        self.resolver = resolver
        self.max_members = max_members
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teams-resolve")

    async def scope_for(self, activity: Activity, connector: ConnectorClientBase | None) -> Scope:
        kind = activity.conversation.conversation_type if activity.conversation else None
        group_flag = bool(activity.conversation and activity.conversation.is_group)
        if kind == "personal" or (kind is None and not group_flag):
            return await self._sender(activity)
        if kind not in GROUP_TYPES or connector is None:
            raise Refusal("ask_private")  # a conversation type we do not know: never guess who reads
        members = await self._roster(activity, connector)
        sender = _object_id(activity.from_property.aad_object_id if activity.from_property else None)
        if sender is None:
            raise Refusal("ask_private")
        members.add(sender)  # whoever asked reads the reply, listed or not
        scopes = await asyncio.gather(*(self._resolve(oid) for oid in sorted(members)))
        if any(scope.is_empty for scope in scopes):
            raise Refusal("ask_private")  # an unknown or disabled reader: nothing may be shown
        assert activity.conversation is not None
        return JointScope(principal=f"teams-chat:{activity.conversation.id}", members=tuple(scopes))

    async def _sender(self, activity: Activity) -> AccessScope:
        oid = _object_id(activity.from_property.aad_object_id if activity.from_property else None)
        if oid is None:
            raise Refusal("unknown_user")
        scope = await self._resolve(oid)
        if scope.is_empty:
            raise Refusal("unknown_user")
        return scope

    async def _resolve(self, oid: str) -> AccessScope:
        loop = asyncio.get_running_loop()
        scope: AccessScope = await loop.run_in_executor(self._pool, self.resolver.resolve, oid)
        return scope

    async def _roster(self, activity: Activity, connector: ConnectorClientBase) -> set[str]:
        """The object ids of everyone who reads the conversation. A channel's readers are its team
        (standard channel) or its own members (private, shared channel): both rosters are read and
        joined, which can only make the scope narrower."""
        assert activity.conversation is not None
        ids = [activity.conversation.id.split(";", 1)[0]]
        team = _team_id(activity.channel_data)
        if activity.conversation.conversation_type == "channel" and team and team not in ids:
            ids.append(team)
        members: set[str] = set()
        for roster_id in ids:
            members |= await self._members(connector, roster_id)
        return members

    async def _members(self, connector: ConnectorClientBase, roster_id: str) -> set[str]:
        found: set[str] = set()
        continuation: str | None = None
        while True:
            try:
                page = await connector.conversations.get_conversation_paged_members(
                    roster_id, page_size=PAGE_SIZE, continuation_token=continuation
                )
            except Exception as exc:  # noqa: BLE001 - any failure means we do not know who reads
                log.warning("Teams roster of a conversation could not be read: %s", type(exc).__name__)
                raise Refusal("ask_private") from exc
            found |= _member_ids(page.members or [])
            if len(found) > self.max_members:
                raise Refusal("ask_private")
            continuation = page.continuation_token
            if not continuation:
                return found

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _member_ids(members: Iterable[Any]) -> set[str]:
    out = set()
    for member in members:
        oid = _object_id(getattr(member, "aad_object_id", None))
        if oid is None:
            raise Refusal("ask_private")  # a reader without an Entra identity (guest bot, anonymous)
        out.add(oid)
    return out


def _object_id(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return tokens.name_of(tokens.entra(value)).lower()
    except AccessControlError:
        return None


def _team_id(channel_data: Any) -> str | None:
    team = channel_data.get("team") if isinstance(channel_data, dict) else getattr(channel_data, "team", None)
    value = team.get("id") if isinstance(team, dict) else getattr(team, "id", None)
    return value if isinstance(value, str) and value else None
