"""How the bot talks back: the Agents SDK's Teams connector client, with our token and our TLS trust.

The SDK's default factory (``RestChannelServiceClientFactory`` + ``MsalAuth``) builds msal clients with
the system CA store and instance discovery against login.microsoftonline.com, neither of which can be
pointed at a private authority; and it would fall back to an anonymous token when the incoming identity
allowed it. This factory takes the app token from ``ragwarden.acl.msal_app.MsalAppToken`` (configurable
authority, no instance discovery, our CA bundle) and never sends anything without one.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path
from typing import Any

import aiohttp
from microsoft_agents.hosting.core import ChannelServiceClientFactoryBase, TurnContext
from microsoft_agents.hosting.core.authorization import AuthenticationConstants, ClaimsIdentity
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from ragwarden.acl.msal_app import MsalAppToken
from ragwarden.core.errors import AuthenticationError
from ragwarden.core.settings import Settings

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20, connect=5)


class BotAppTokens:
    """App-only tokens of the bot's own registration, one msal client per scope (msal caches them)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.teams_app_id and settings.teams_tenant_id  # checked by Settings
        self._settings = settings
        self._by_scope: dict[str, MsalAppToken] = {}
        self._lock = threading.Lock()

    def token(self, scope: str) -> str:
        with self._lock:
            provider = self._by_scope.get(scope)
            if provider is None:
                provider = self._by_scope[scope] = self._provider(scope)
        return provider.token()

    def _provider(self, scope: str) -> MsalAppToken:
        s = self._settings
        assert s.teams_app_id and s.teams_tenant_id
        return MsalAppToken(
            s.teams_tenant_id,
            s.teams_app_id,
            scope,
            client_secret=s.teams_app_password.get_secret_value() if s.teams_app_password else None,
            certificate_pem=Path(s.teams_app_certificate).read_text() if s.teams_app_certificate else None,
            authority_host=s.teams_authority_host,
            verify=str(s.teams_ca_bundle) if s.teams_ca_bundle else True,
        )


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Verified TLS; ``ca_bundle`` replaces the system trust store (a private CA, a local stand-in)."""
    return ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else ssl.create_default_context()


class BotConnectorFactory(ChannelServiceClientFactoryBase):
    """Connector clients for the serviceUrl of an authenticated activity, with the bot's app token."""

    def __init__(self, tokens: BotAppTokens, tls: ssl.SSLContext, app_id: str) -> None:
        self._tokens = tokens
        self._tls = tls
        self._app_id = app_id

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        if use_anonymous or not claims_identity.claims:
            raise AuthenticationError("the bot never replies to an unauthenticated activity")
        scope = (scopes or claims_identity.get_token_scope())[0]
        token = await asyncio.to_thread(self._tokens.token, scope)
        endpoint = service_url if service_url.endswith("/") else f"{service_url}/"
        session = aiohttp.ClientSession(
            base_url=endpoint, connector=aiohttp.TCPConnector(ssl=self._tls), timeout=REQUEST_TIMEOUT
        )
        return TeamsConnectorClient(endpoint=endpoint, token=token, session=session)

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> Any:
        # The SDK asks for one on every turn; the bot never signs a user in (no OAuth card), so this
        # client is closed unused. It carries no token.
        return UserTokenClient(AuthenticationConstants.AGENTS_SDK_OAUTH_URL, "", app_id=self._app_id)
