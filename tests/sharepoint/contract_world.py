"""The Connector contract's world for SharePoint: one document library of the emulator's site, read by the real
connector (built through the registry) over HTTPS.

SharePoint has no deny: a file "created with" an ACL that denies gets item-level grants for its allow tokens only,
and :meth:`SharePointContractWorld.reported_acl` is that ACL without its deny. The contract's principals are
three unrelated users, so the denied one could not read such a file anyway: the access is the same. A file the
connector cannot index is one whose only permission is Limited Access (it lets nobody read)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from ragwarden.acl import tokens
from ragwarden.connectors import registry
from ragwarden.connectors.sharepoint.connector import SharePointConnector
from ragwarden.core.models import AccessControl
from ragwarden.core.sources.spec import SourceSpec
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import SharePointEmulator, World


class _NoDownloads(dict[str, tuple[str, float]]):
    """The emulator's pre-authenticated download grants, every one refused while it is in place."""

    def get(self, key: str, default: object = None) -> None:  # type: ignore[override]
        return None


class SharePointContractWorld:
    def __init__(self, ms: FakeMicrosoft, root: Path) -> None:
        self.ms, self.data = ms, root / "data"
        self.world = World(tenant_id=ms.tenant_id, seed=11)
        self.users = [self.world.add_user(name) for name in ("anna", "ben", "cem")]
        (root / "emulator").mkdir(parents=True, exist_ok=True)
        self.em = SharePointEmulator(root / "emulator", self.world, ms, page_size=4)

    @property
    def principals(self) -> Sequence[str]:
        return [tokens.entra(u) for u in self.users]

    def create(self, path: str, content: bytes, acl: AccessControl) -> None:
        *folders, name = path.split("/")
        parent = self.world.root()
        for folder in folders:
            found = [c for c in self.world.children(parent) if c.folder and c.name == folder]
            parent = found[0].id if found else self.world.add_folder(parent, folder)
        self.world.add_file(parent, name, content)
        self.set_acl(path, acl)

    def rewrite(self, path: str, content: bytes) -> None:
        self.world.set_content(self._item(path), content)

    def set_acl(self, path: str, acl: AccessControl) -> None:
        item = self._only_own_grants(path)
        for token in sorted(acl.allow):
            self.world.grant(item, "user", tokens.name_of(token), "read")

    def delete(self, path: str) -> None:
        self.world.delete(self._item(path))

    def create_unindexable(self, path: str) -> None:
        self.world.add_file(self.world.root(), path, b"nobody may read this")
        self.world.grant(self._only_own_grants(path), "user", self.users[0], "limited")

    def reported_acl(self, acl: AccessControl) -> AccessControl:
        return AccessControl(allow=acl.allow, share=acl.share)

    def connector(self) -> SharePointConnector:
        options = {
            "tenant_id": self.ms.tenant_id, "client_id": self.ms.client_id, "certificate_env": "SP_CONTRACT_CERT",
            "graph_url": self.em.graph_url, "authority_host": self.ms.authority_host, "ca_bundle": str(self.em.ca_file),
        }  # fmt: skip
        spec = SourceSpec("contract", self.em.source_url, "sharepoint", options=options)
        environ = {"SP_CONTRACT_CERT": str(self.ms.client_cert_file)}
        ctx = registry.ConnectorContext(max_file_bytes=1_000_000, environ=environ, state_dir=self.data)
        found = registry.build_connector(spec, ctx)
        assert isinstance(found, SharePointConnector)
        return found

    @contextlib.contextmanager
    def content_unreadable(self) -> Iterator[None]:
        granted = self.em.downloads
        self.em.downloads = _NoDownloads()
        try:
            yield
        finally:
            self.em.downloads = granted

    def stop(self) -> None:
        self.em.stop()

    def _item(self, path: str) -> str:
        item = self.world.root()
        for part in path.split("/"):
            item = next(c.id for c in self.world.children(item) if c.name == part)
        return item

    def _only_own_grants(self, path: str) -> str:
        """The file at ``path`` with permissions of its own and none granted yet."""
        item = self._item(path)
        self.world.break_inheritance(item, copy=False)
        for grant in list(self.world.items[item].grants):
            self.world.revoke(item, grant.id)
        return item
