"""Who the callers are: the settings of Active Directory, of Entra ID, and of the Microsoft Teams bot.

Each group is a mixin of :class:`~ragwarden.core.settings.Settings` with the checks that concern it alone;
checks across groups (a mode that needs a group's settings) stay on ``Settings``. The Teams bot resolves its
users through Entra, so :class:`TeamsFields` extends :class:`EntraFields`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from ragwarden.core.settings.placeholders import PLACEHOLDER_SECRETS


class ADFields(BaseModel):
    """Active Directory (used for user names when ad_host is set; the local YAML otherwise)."""

    ad_host: str | None = None
    ad_port: int | None = Field(default=None, ge=1, le=65535)
    ad_security: Literal["ldaps", "starttls", "plain"] = "ldaps"
    ad_allow_plain: bool = False
    ad_ca_cert: Path | None = None
    ad_tls_server_name: str | None = None
    ad_bind_user: str | None = None
    ad_bind_password: SecretStr | None = None
    ad_base_dn: str | None = None
    ad_netbios_domain: str | None = None
    ad_connect_timeout: float = Field(default=5.0, gt=0)
    ad_timeout: float = Field(default=10.0, gt=0)
    # BUILTIN groups (S-1-5-32-*) are evaluated by each file server against its own local groups, so
    # the DC's tokenGroups say nothing about them: emitted only when the file servers agree with the DC.
    ad_builtin_sids: bool = False
    # Domain SIDs (S-1-5-21-a-b-c) whose accounts callers carry besides the AD domain's own: migrated
    # domains (sIDHistory), other domains of the forest; with Entra alone, the synchronised domain(s).
    # An ACL entry of any other domain (a file server's local group) names nobody we can resolve.
    ad_extra_domain_sids: list[str] = Field(default_factory=list)


class EntraFields(BaseModel):
    """Entra ID (bearer tokens; groups from Microsoft Graph)."""

    entra_tenant_id: str | None = None
    entra_audience: list[str] = Field(default_factory=list)
    entra_client_id: str | None = None
    entra_client_secret: SecretStr | None = None
    entra_client_certificate: Path | None = None
    entra_authority_host: str = "https://login.microsoftonline.com"
    entra_graph_url: str = "https://graph.microsoft.com/v1.0"
    entra_jwks_url: str | None = None
    entra_issuers: list[str] | None = None
    # Sign-in for the search page (authorization-code flow): where Entra sends the browser back,
    # e.g. https://ragwarden.corp.example/auth/callback (registered as a Web redirect URI).
    entra_redirect_uri: str | None = None
    session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    entra_clock_skew: float = Field(default=60.0, ge=0, le=600)
    entra_ca_bundle: Path | None = None

    @field_validator("entra_redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str | None) -> str | None:
        # The session cookie is __Host- (Secure): browsers keep it over https, and over plain http only
        # on localhost (a secure context), which is also all Entra accepts as an http redirect URI.
        if value is not None and not _secure_origin(value):
            raise ValueError("RAGWARDEN_ENTRA_REDIRECT_URI must be https:// (or http:// on localhost for development)")
        return value


class TeamsFields(EntraFields):
    """The Microsoft Teams bot (ragwarden.api.teams): off unless teams_app_id is set."""

    # The bot's Entra app registration (outbound tokens for replies); its users resolve through the
    # entra_* settings above (Graph), whatever auth_mode says.
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None  # the client secret, or:
    teams_app_certificate: Path | None = None  # one PEM file with the private key and its certificate
    teams_tenant_id: str | None = None  # the tenant of the bot's registration (single-tenant bot)
    teams_authority_host: str = "https://login.microsoftonline.com"
    # Where the channel publishes its signing keys, and who signs what it sends (Bot Framework)
    teams_openid_metadata: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_issuer: str = "https://api.botframework.com"
    teams_clock_skew: float = Field(default=300.0, ge=0, le=600)  # the Bot Framework allows 5 minutes
    teams_ca_bundle: Path | None = None  # replaces the system CAs for metadata, authority and replies
    # Unused since channels answer from the team's group and group chats privately (never from a
    # roster); kept so that configurations which set it still load
    teams_max_group_members: int = Field(default=50, ge=2, le=1000)

    @field_validator("teams_app_password")
    @classmethod
    def _teams_no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("this secret is a placeholder; set a real secret")
        return value

    @model_validator(mode="after")
    def _teams_consistent(self) -> Self:
        if not self.teams_app_id:
            return self
        if not self.teams_tenant_id:
            raise ValueError("RAGWARDEN_TEAMS_APP_ID needs RAGWARDEN_TEAMS_TENANT_ID (the bot's Entra tenant)")
        if (self.teams_app_password is None) == (self.teams_app_certificate is None):
            raise ValueError("the Teams bot needs exactly one of RAGWARDEN_TEAMS_APP_PASSWORD and _APP_CERTIFICATE")
        if not (self.entra_tenant_id and self.entra_client_id):
            raise ValueError("the Teams bot resolves users through Entra: set RAGWARDEN_ENTRA_TENANT_ID and _CLIENT_ID")
        if (self.entra_client_secret is None) == (self.entra_client_certificate is None):
            raise ValueError("the Teams bot needs one of RAGWARDEN_ENTRA_CLIENT_SECRET and _CLIENT_CERTIFICATE")
        return self


def _secure_origin(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1", "::1"}
