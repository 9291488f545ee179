"""An on-premises SharePoint site for the connector's tests: the emulator's world served over HTTPS with NTLM,
the connector built from a sources-file spec through the registry, and ragwarden's services syncing it into a
real index. :meth:`ServerSite.mismatches` holds what each user finds against the oracle.

Callers are resolved by ``resolver``: the real AD resolver in the end-to-end test, else :class:`WorldDirectory`,
a stand-in that gives each of the world's accounts what the AD resolver gives (its SID, its groups' SIDs
transitively, Everyone, Authenticated Users; nothing when disabled). Either is wrapped, as in production, by
the site-group resolver over the store the connector writes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ragwarden.acl import tokens
from ragwarden.acl.principals import Emittable
from ragwarden.acl.site_groups import SITE_GROUPS_FILE, SiteGroupResolver, SiteGroupStore
from ragwarden.connectors import registry
from ragwarden.connectors.sharepoint_server.connector import SharePointServerConnector
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver
from ragwarden.core.settings import load_settings
from ragwarden.core.sources.spec import SourceSpec
from ragwarden.services import Services, build_services
from ragwarden.testing.fakes.embedding import CountingEmbedder
from ragwarden.testing.microsoft.sharepoint_server import SharePointServerEmulator, World, can_read, under_granted
from ragwarden.testing.microsoft.sharepoint_server.oracle import groups_of

SOURCE = "onprem"
TOKENS = Emittable(kinds=frozenset({"sid", "spgroup"}))


class WorldDirectory(PrincipalResolver):
    """The world's accounts as the AD resolver would resolve them (see the module docstring)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def resolve(self, user: str) -> AccessScope:
        account = next((u for u in self.world.users.values() if u.login.split("\\")[1] == user), None)
        if account is None or not account.enabled:
            return AccessScope(principal=user, tokens=frozenset())
        sids = {account.sid, *groups_of(self.world, account.sid)}
        found = {tokens.sid(s) for s in sids} | {tokens.SID_EVERYONE, tokens.SID_AUTHENTICATED_USERS}
        return AccessScope(principal=user, tokens=frozenset(found))

    def describe(self, token: str) -> str:
        return token

    def emittable(self) -> Emittable:
        return TOKENS


class ServerSite:
    keys: dict[str, str]  # world node keys by a short name (conftest.populate)
    cast: Any

    def __init__(self, root: Path, world: World, *, resolver: PrincipalResolver | None = None) -> None:
        self.root, self.world = root, world
        self.em = SharePointServerEmulator(root / "emulator", world)
        self.data = root / "data"
        self.embedder = CountingEmbedder()
        self.resolver = resolver or WorldDirectory(world)
        self._services: Services | None = None
        self._store: SiteGroupStore | None = None

    def spec(self, **options: Any) -> SourceSpec:
        options = {"ca_bundle": str(self.em.ca_file), **options}
        return SourceSpec(SOURCE, self.em.source_url, "sharepoint+ntlm", username_env="SPS_USER",
                          password_env="SPS_PASSWORD", options=options)  # fmt: skip

    def connector(self, *, password: str | None = None, **options: Any) -> SharePointServerConnector:
        environ = {"SPS_USER": self.em.service_login, "SPS_PASSWORD": password or self.em.service_password}
        ctx = registry.ConnectorContext(max_file_bytes=1_000_000, environ=environ, state_dir=self.data)
        found = registry.build_connector(self.spec(**options), ctx)
        assert isinstance(found, SharePointServerConnector)
        return found

    @property
    def services(self) -> Services:
        if self._services is None:
            self._store = SiteGroupStore(self.data / SITE_GROUPS_FILE)
            directory = self.root / "directory.yaml"
            directory.write_text("users: {}\ngroups: {}\n")
            settings = load_settings(data_dir=self.data, directory_file=directory, proxy_secret="x" * 24)
            self._services = build_services(
                settings,
                embedder=self.embedder,
                directory=SiteGroupResolver(self.resolver, self._store),
                principals=TOKENS,
            )
        return self._services

    def sync(self, **options: Any) -> Any:
        connector = self.connector(**options)
        try:
            return self.services.sync(connector)
        finally:
            connector.close()

    def doc_id(self, key: str) -> str:
        _, list_id, item_id = key.split(":")
        return hashlib.sha256(f"{SOURCE}:{list_id}:{item_id}".encode()).hexdigest()[:32]

    def held(self) -> set[str]:
        return {d.path for d in self.services.state.documents(SOURCE).values()}

    def mismatches(self) -> list[tuple[str, str, bool, bool]]:
        """(user, URL, found in the index, the oracle's answer) wherever the two differ, except where ragwarden
        deliberately grants less (:func:`under_granted`): never where the index shows what the oracle denies."""
        out = []
        for claim, user in sorted(self.world.users.items()):
            scope = self.services.directory.resolve(user.login.split("\\")[1])
            for key in self.world.files():
                found = bool(self.services.index.document_chunks(scope, self.doc_id(key)))
                expected = can_read(self.world, claim, key)
                if found != expected and not (expected and under_granted(self.world, claim, key)):
                    out.append((user.login, self.world.url_of(key), found, expected))
        return out

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
        if self._store is not None:
            self._store.close()
        self.em.stop()
