"""A caller's groups according to Entra ID, from Microsoft Graph.

A caller's groups come from Microsoft Graph ``/users/{id}/transitiveMemberOf`` (every nested group,
paged), read with an app-only token from ``msal`` -- never from the token's ``groups`` claim, which
stops at 200 groups (overage) and would silently drop the rest. Users and groups synced from Active
Directory also carry their ``onPremisesSecurityIdentifier``, so file-share ACLs (SIDs) match Entra
callers. An enabled **member** account (``userType`` ``Member``) also holds the tenant token
``entra:<tenantId>``, which SharePoint's "Everyone except external users" and "Everyone" map to; a guest
never does (guests are under-granted on "Everyone"), nor an account whose ``userType`` is missing. Graph
outages, throttling beyond the retry budget and malformed answers raise :class:`DirectoryUnavailableError`:
a partial group list could miss a deny entry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ragwarden.acl import tokens
from ragwarden.acl.graph import GRAPH_URL, GraphClient, graph_object_tokens, tls_client
from ragwarden.acl.msal_app import AUTHORITY_HOST, MsalAppToken
from ragwarden.core.errors import AccessControlError, DirectoryUnavailableError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver
from ragwarden.core.settings import PRINCIPAL_CACHE_TTL

_GROUP_SELECT = "$select=id,onPremisesSecurityIdentifier,displayName&$top=999"
_USER_SELECT = "$select=id,accountEnabled,userType,onPremisesSecurityIdentifier,displayName,userPrincipalName"
MEMBER = "Member"  # Graph's userType of the tenant's own accounts ("Guest": invited from outside)

log = logging.getLogger(__name__)


class EntraResolver(PrincipalResolver):
    """``PrincipalResolver`` keyed by the user's object id: the user, every transitive group, and the
    on-premises SIDs of those synced from AD (plus Everyone and Authenticated Users for a synced user,
    which AD would give the same person), and with ``tenant_id`` the tenant token for a member account.
    Disabled, unknown or malformed ids resolve to nothing."""

    def __init__(self, graph: GraphClient, tenant_id: str | None = None) -> None:
        self.graph = graph
        self._names: dict[str, str] = {}
        self.tenant_token = _tenant_token(tenant_id)

    def resolve(self, user: str) -> AccessScope:
        empty = AccessScope(principal=user, tokens=frozenset())
        try:
            own = tokens.entra(user)
        except AccessControlError:
            return empty  # not an object id: nothing to ask Graph, and nothing injected into its path
        oid = tokens.name_of(own)
        me = self.graph.get(f"/users/{oid}?{_USER_SELECT}")
        if me is None or me.get("accountEnabled") is not True:
            return empty
        found = {own, *self._object_tokens(me)}
        if self.tenant_token and me.get("userType") == MEMBER:
            found.add(self.tenant_token)
        if me.get("onPremisesSecurityIdentifier"):
            found |= {tokens.SID_EVERYONE, tokens.SID_AUTHENTICATED_USERS}
        for page in self.graph.pages(f"/users/{oid}/transitiveMemberOf?{_GROUP_SELECT}"):
            for item in page:
                if item.get("@odata.type", "#microsoft.graph.group") == "#microsoft.graph.group":
                    found |= self._object_tokens(item)
        return AccessScope(principal=user, tokens=frozenset(found))

    def _object_tokens(self, item: Mapping[str, Any]) -> set[str]:
        out = graph_object_tokens(item)
        if item.get("displayName"):
            self._names.update({t: str(item["displayName"]) for t in out})
        return out

    def describe(self, token: str) -> str:
        if token == self.tenant_token:
            return "every member of the tenant"
        if token in self._names:
            return self._names[token]
        if tokens.kind_of(token) == "entra":
            try:
                found = self.graph.get(f"/directoryObjects/{tokens.name_of(token)}?$select=id,displayName")
            except DirectoryUnavailableError:
                return token  # cosmetic: the access decision never depends on a name
            if found and found.get("displayName"):
                self._names[token] = str(found["displayName"])
                return self._names[token]
        return token


def _tenant_token(tenant_id: str | None) -> str | None:
    if not tenant_id:
        return None
    try:
        return tokens.entra(tenant_id)
    except AccessControlError:
        # A tenant named by domain: SharePoint's "Everyone" claims carry the tenant's id, which we do not know.
        log.warning("the Entra tenant %r is not a tenant id: members get no tenant token (under-granted)", tenant_id)
        return None


def build_entra_resolver(
    *,
    tenant_id: str,
    client_id: str,
    client_secret: str | Any | None = None,
    client_certificate_path: str | Path | None = None,
    authority_host: str = AUTHORITY_HOST,
    graph_url: str = GRAPH_URL,
    ca_bundle: str | Path | None = None,
    timeout: float = 10.0,
    cache_ttl: float | None = PRINCIPAL_CACHE_TTL,
) -> PrincipalResolver:
    """The Graph-backed resolver behind the principal cache (``cache_ttl`` ``None``: uncached)."""
    from ragwarden.acl.principal_cache import CachingResolver

    secret = (
        client_secret
        if client_secret is None or isinstance(client_secret, str)
        else (
            str(client_secret.get_secret_value())  # a pydantic SecretStr from the settings
        )
    )
    certificate = Path(client_certificate_path).read_text() if client_certificate_path else None
    scheme, netloc = urlsplit(graph_url)[:2]
    provider = MsalAppToken(
        tenant_id,
        client_id,
        f"{scheme}://{netloc}/.default",
        client_secret=secret,
        certificate_pem=certificate,
        authority_host=authority_host,
        verify=str(ca_bundle) if ca_bundle else True,
        timeout=timeout,
    )
    resolver = EntraResolver(GraphClient(provider, tls_client(ca_bundle, timeout), graph_url), tenant_id=tenant_id)
    return resolver if cache_ttl is None else CachingResolver(resolver, ttl=cache_ttl)

