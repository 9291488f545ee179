"""Which identity adapters serve, chosen from the settings here and nowhere else: the Entra token
validator, the Graph-backed resolver of people (behind the principal cache, with SharePoint site groups) and
of a team's group."""

from __future__ import annotations

from ragwarden.acl.entra import build_entra_resolver
from ragwarden.acl.entra_tokens import EntraTokenValidator, build_entra_validator
from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.acl.site_groups import SITE_GROUPS_FILE, SiteGroupResolver, SiteGroupStore
from ragwarden.acl.team_group import TeamGroupResolver
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.ports import PrincipalResolver
from ragwarden.core.settings import Settings


def entra_validator(settings: Settings) -> EntraTokenValidator:
    """Bearer tokens of the configured tenant, checked against its published keys."""
    assert settings.entra_tenant_id  # checked by Settings
    if not settings.entra_client_id:
        raise ConfigurationError("RAGWARDEN_AUTH_MODE=entra needs RAGWARDEN_ENTRA_CLIENT_ID for Microsoft Graph")
    return build_entra_validator(
        tenant_id=settings.entra_tenant_id,
        audience=settings.entra_audience,
        authority_host=settings.entra_authority_host,
        jwks_url=settings.entra_jwks_url,
        issuers=settings.entra_issuers,
        leeway=settings.entra_clock_skew,
        ca_bundle=settings.entra_ca_bundle,
    )


def entra_people(settings: Settings) -> PrincipalResolver:
    """Entra object id -> scope through Graph, behind the principal cache, plus the SharePoint site groups
    the scope is in (the REST API's entra mode and the Teams bot resolve people the same way)."""
    if not (settings.entra_tenant_id and settings.entra_client_id):
        raise ConfigurationError("Entra users need RAGWARDEN_ENTRA_TENANT_ID and RAGWARDEN_ENTRA_CLIENT_ID for Graph")
    people = build_entra_resolver(
        tenant_id=settings.entra_tenant_id,
        client_id=settings.entra_client_id,
        client_secret=settings.entra_client_secret.get_secret_value() if settings.entra_client_secret else None,
        client_certificate_path=settings.entra_client_certificate,
        authority_host=settings.entra_authority_host,
        graph_url=settings.entra_graph_url,
        ca_bundle=settings.entra_ca_bundle,
        cache_ttl=settings.principal_cache_ttl,
    )
    return with_site_groups(people, settings)


def with_site_groups(resolver: PrincipalResolver, settings: Settings) -> PrincipalResolver:
    """``resolver``'s callers with the SharePoint site groups that name one of their tokens, from the store the
    SharePoint connector writes beside the sync state (AD callers and Entra callers alike)."""
    return SiteGroupResolver(resolver, SiteGroupStore(settings.data_dir / SITE_GROUPS_FILE))


def team_groups(people: PrincipalResolver, ttl: float | None) -> PrincipalResolver:
    """Groups resolved over the same Graph client as the people (one app token, one TLS setup), behind a
    cache with the principal cache's TTL: a group's nesting changes reach channels as fast as people's."""
    found: object = people
    while not hasattr(found, "graph") and hasattr(found, "inner"):  # site groups, the principal cache
        found = found.inner
    graph = getattr(found, "graph", None)
    if graph is None:
        raise ConfigurationError("the Teams bot needs the Graph-backed Entra resolver for team groups")
    resolver = TeamGroupResolver(graph)
    return resolver if ttl is None else CachingResolver(resolver, ttl=ttl)
