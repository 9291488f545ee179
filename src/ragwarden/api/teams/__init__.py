"""The Microsoft Teams bot, mounted in the API at ``POST /api/messages`` when ``teams_app_id`` is set.

Built on the Microsoft 365 Agents SDK (``microsoft-agents-hosting-fastapi``): the SDK's adapter runs the
turns and sends the replies; ragwarden validates the channel's tokens itself (``channel_auth``), gets
the bot's outbound token with msal against a configurable authority (``connector``), decides who reads
the reply now and later (``audience``: the asker in a 1:1 chat, the team's group and the asker in a
channel, the asker alone -- answered privately -- in group and meeting chats) and answers through the same
answerer and retrieval choke point as the REST API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ragwarden.api.teams.hosting import TeamsEndpoint
    from ragwarden.services import Services

MESSAGES_PATH = "/api/messages"


def install_teams(app: FastAPI, services: Services) -> None:
    """Mount the bot when it is configured; without ``teams_app_id`` there is no bot route at all."""
    if not services.settings.teams_app_id:
        return
    endpoint = build_teams_endpoint(services)
    app.add_api_route(MESSAGES_PATH, endpoint.handle, methods=["POST"], include_in_schema=False)
    app.state.teams = endpoint


def build_teams_endpoint(services: Services) -> TeamsEndpoint:
    from microsoft_agents.hosting.fastapi import CloudAdapter

    from ragwarden.api.teams.audience import Audience
    from ragwarden.api.teams.bot import TeamsBot
    from ragwarden.api.teams.channel_auth import BotFrameworkValidator, build_channel_keys
    from ragwarden.api.teams.connector import BotAppTokens, BotConnectorFactory, ssl_context
    from ragwarden.api.teams.hosting import TeamsEndpoint
    from ragwarden.services.identity import entra_people, team_groups

    s = services.settings
    assert s.teams_app_id and s.entra_tenant_id  # checked by Settings
    keys = build_channel_keys(s.teams_openid_metadata, s.teams_ca_bundle)
    validator = BotFrameworkValidator(s.teams_app_id, keys, s.teams_issuer, s.teams_clock_skew)
    factory = BotConnectorFactory(BotAppTokens(s), ssl_context(s.teams_ca_bundle), s.teams_app_id)
    people = entra_people(s)
    audience = Audience(people, team_groups(people, s.principal_cache_ttl))
    bot = TeamsBot(services.answerer, audience, s.entra_tenant_id, audit=services.audit_trail("teams"))
    return TeamsEndpoint(validator, CloudAdapter(channel_service_client_factory=factory), bot)
