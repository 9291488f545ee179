"""A SharePoint site for the connector's end-to-end tests: the emulator's world served over HTTPS, the connector
built from a sources-file spec through the registry (certificate credential, msal, the emulator's CA), and
ragwarden's services syncing it, with the real Entra resolver (over the token authority's Graph) and the site
groups the connector stored. :meth:`Site.mismatches` holds what each user finds in the index against the
oracle (:func:`~ragwarden.testing.microsoft.sharepoint.can_read`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.acl.entra import build_entra_resolver
from ragwarden.acl.principals import Emittable
from ragwarden.acl.site_groups import SITE_GROUPS_FILE, SiteGroupResolver, SiteGroupStore
from ragwarden.connectors import registry
from ragwarden.connectors.sharepoint.connector import SharePointConnector
from ragwarden.core.settings import load_settings
from ragwarden.core.sources.spec import SourceSpec
from ragwarden.services import Services, build_services
from ragwarden.testing.fakes.embedding import CountingEmbedder
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import (
    TOKEN_MODEL,
    Policy,
    SharePointEmulator,
    World,
    can_read,
    publish_directory,
)

SOURCE = "team"
TOKENS = Emittable(kinds=frozenset({"entra", "spgroup"}))
#: what ragwarden's token model promises: SharePoint's truth, less what it deliberately under-grants
POLICY = TOKEN_MODEL


@dataclass
class Cast:
    alice: str  # in the site's Members group
    bob: str  # in the Entra group Controlling
    carol: str  # granted on Finance by name
    gast: str  # a guest, reached by a sharing link only
    controlling: str  # an Entra security group


def populate(world: World) -> tuple[Cast, dict[str, str]]:
    """Users, a group, and a small tree with broken inheritance, a group grant and a link (item ids by path)."""
    cast = Cast(world.add_user("alice"), world.add_user("bob"), world.add_user("carol"),
                world.add_user("gast", guest=True), "")  # fmt: skip
    cast.controlling = world.add_group("Controlling", members=(cast.bob,))
    world.add_site_group_member(world.members_group, world.login_of(cast.alice))
    root = world.root()
    finance = world.add_folder(root, "Finance")
    q1 = world.add_folder(finance, "Q1")
    public = world.add_folder(root, "Öffentlich")
    ids = {
        "Finance": finance,
        "Finance/Q1": q1,
        "Öffentlich": public,
        "Finance/bericht.txt": world.add_file(finance, "bericht.txt", b"Quartalsbericht Umsatz Finanzen"),
        "Finance/Q1/zahlen.txt": world.add_file(q1, "zahlen.txt", b"Zahlen erstes Quartal Controlling"),
        "Öffentlich/Grüße an O'Brien.txt": world.add_file(public, "Grüße an O'Brien.txt", "Herzliche Grüße".encode()),
        "top.txt": world.add_file(root, "top.txt", b"Kantine Speiseplan Montag"),
    }
    world.grant(finance, "user", cast.carol, "read")
    world.grant(q1, "group", cast.controlling, "read")
    world.add_link(ids["Öffentlich/Grüße an O'Brien.txt"], "users", identities=(cast.gast,))
    return cast, ids


class Site:
    """One world, its emulator, and a data directory the connector and services share. Without ``world``, the
    small world of :func:`populate` (``cast`` and ``ids`` name its parts); a given world is served as it is."""

    cast: Cast
    ids: dict[str, str]

    def __init__(self, ms: FakeMicrosoft, root: Path, *, page_size: int = 3, seed: int = 7,
                 world: World | None = None) -> None:  # fmt: skip
        self.ms, self.root = ms, root
        self.world = world or World(tenant_id=ms.tenant_id, seed=seed)
        if world is None:
            self.cast, self.ids = populate(self.world)
        (root / "emulator").mkdir(parents=True, exist_ok=True)
        self.em = SharePointEmulator(root / "emulator", self.world, ms, page_size=page_size)
        self.data = root / "data"
        self.embedder = CountingEmbedder()
        self._services: Services | None = None
        self._store: SiteGroupStore | None = None

    def spec(self, **options: Any) -> SourceSpec:
        base = {
            "tenant_id": self.ms.tenant_id,
            "client_id": self.ms.client_id,
            "certificate_env": "SP_TEST_CERT",
            "graph_url": self.em.graph_url,
            "authority_host": self.ms.authority_host,
            "ca_bundle": str(self.em.ca_file),
        }
        return SourceSpec(SOURCE, self.em.source_url, "sharepoint", options={**base, **options})

    def connector(self, **options: Any) -> SharePointConnector:
        ctx = registry.ConnectorContext(
            max_file_bytes=1_000_000, environ={"SP_TEST_CERT": str(self.ms.client_cert_file)}, state_dir=self.data
        )
        found = registry.build_connector(self.spec(**options), ctx)
        assert isinstance(found, SharePointConnector)
        return found

    @property
    def services(self) -> Services:
        if self._services is None:
            publish_directory(self.world, self.ms)
            entra = build_entra_resolver(
                tenant_id=self.ms.tenant_id, client_id=self.ms.client_id, client_secret=self.ms.client_secret,
                authority_host=self.ms.authority_host, graph_url=self.ms.graph_url, ca_bundle=self.ms.ca_file,
                cache_ttl=None,
            )  # fmt: skip
            self._store = SiteGroupStore(self.data / SITE_GROUPS_FILE)
            directory = self.root / "directory.yaml"
            directory.write_text("users: {}\ngroups: {}\n")
            settings = load_settings(data_dir=self.data, directory_file=directory, proxy_secret="x" * 24)
            self._services = build_services(
                settings, embedder=self.embedder, directory=SiteGroupResolver(entra, self._store), principals=TOKENS
            )
        return self._services

    def sync(self, **options: Any) -> Any:
        connector = self.connector(**options)
        try:
            return self.services.sync(connector)
        finally:
            connector.close()

    def run_pass(self, kind: str, **options: Any) -> Any:
        """One pass as the scheduler runs it (``SourcePasses.run``: ``content`` or ``acl``), recorded with the
        source; the connector is built from the spec with ``options``, through the registry."""
        from ragwarden.services.sources import SourcePasses

        passes = SourcePasses(self.services)
        passes.connector = lambda spec: self.connector(**options)  # type: ignore[method-assign]  # test context
        return passes.run(self.spec(**options), kind, lambda items: items)

    def doc_id(self, item_id: str) -> str:
        drive = self.world.items[item_id].drive_id
        return hashlib.sha256(f"{SOURCE}:{drive}:{item_id}".encode()).hexdigest()[:32]

    def held(self) -> set[str]:
        """The paths of the documents the index holds."""
        return {d.path for d in self.services.state.documents(SOURCE).values()}

    def files(self) -> list[str]:
        return sorted(i.id for i in self.world.items.values() if not i.folder and not i.deleted)

    def mismatches(self, policy: Policy = POLICY) -> list[tuple[str, str, bool, bool]]:
        """(user, path, found in the index, the oracle's answer) wherever the two differ."""
        publish_directory(self.world, self.ms)
        out = []
        for uid, user in sorted(self.world.users.items()):
            scope = self.services.directory.resolve(uid)
            for item_id in self.files():
                found = bool(self.services.index.document_chunks(scope, self.doc_id(item_id)))
                expected = can_read(self.world, uid, item_id, policy)
                if found != expected:
                    out.append((user.display_name, self.world.path_of(item_id), found, expected))
        return out

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
        if self._store is not None:
            self._store.close()
        self.em.stop()
