"""The Connector contract's world for SharePoint Server on premises: one document library of the emulator's site,
read by the real connector (built through the registry) over HTTPS with NTLM.

SharePoint has no deny: a file "created with" an ACL that denies gets item-level grants for its allow tokens only,
and :meth:`SharePointServerContractWorld.reported_acl` is that ACL without its deny. The contract's principals are
three unrelated Windows accounts (their ``sid:`` tokens), so the denied one could not read such a file anyway.
A file the connector cannot index is one whose only permission is Limited Access (it lets nobody read)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from ragwarden.acl import tokens
from ragwarden.connectors import registry
from ragwarden.connectors.sharepoint_server.connector import SharePointServerConnector
from ragwarden.core.models import AccessControl
from ragwarden.core.sources.spec import SourceSpec
from ragwarden.testing.microsoft.sharepoint_server import SharePointServerEmulator, World


class SharePointServerContractWorld:
    path_prefix = "Dokumente/"  # the connector names a file by its library's title and its path inside

    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        self.world = World()
        self.claims = {tokens.sid(self.world.sid_of(c)): c for c in map(self.world.add_user, ("anna", "ben", "cem"))}
        self.library = self.world.add_library("Dokumente")
        self.keys: dict[str, str] = {}
        self.em = SharePointServerEmulator(root / "emulator", self.world, page_size=4)

    @property
    def principals(self) -> Sequence[str]:
        return list(self.claims)

    def create(self, path: str, content: bytes, acl: AccessControl) -> None:
        *folders, name = path.split("/")
        parent = self.library
        for depth in range(len(folders)):
            folder = "/".join(folders[: depth + 1])
            if folder not in self.keys:
                self.keys[folder] = self.world.add_folder(parent, folders[depth])
            parent = self.keys[folder]
        self.keys[path] = self.world.add_file(parent, name, content)
        self.set_acl(path, acl)

    def rewrite(self, path: str, content: bytes) -> None:
        self.world.set_content(self.keys[path], content)

    def set_acl(self, path: str, acl: AccessControl) -> None:
        key = self._only_own_grants(path)
        for token in sorted(acl.allow):
            self.world.grant(key, self.claims[token], "Read")

    def delete(self, path: str) -> None:
        self.world.delete(self.keys.pop(path))

    def create_unindexable(self, path: str) -> None:
        self.keys[path] = self.world.add_file(self.library, path, b"nobody may read this")
        self.world.grant(self._only_own_grants(path), next(iter(self.claims.values())), "Limited Access")

    def reported_acl(self, acl: AccessControl) -> AccessControl:
        return AccessControl(allow=acl.allow, share=acl.share)

    def connector(self) -> SharePointServerConnector:
        spec = SourceSpec("contract", self.em.source_url, "sharepoint+ntlm", username_env="SPS_USER",
                          password_env="SPS_PASSWORD", options={"ca_bundle": str(self.em.ca_file)})  # fmt: skip
        environ = {"SPS_USER": self.em.service_login, "SPS_PASSWORD": self.em.service_password}
        ctx = registry.ConnectorContext(max_file_bytes=1_000_000, environ=environ, state_dir=self.data)
        found = registry.build_connector(spec, ctx)
        assert isinstance(found, SharePointServerConnector)
        return found

    @contextlib.contextmanager
    def content_unreadable(self) -> Iterator[None]:
        self.em.switches.refuse_files = True
        try:
            yield
        finally:
            self.em.switches.refuse_files = False

    def stop(self) -> None:
        self.em.stop()

    def _only_own_grants(self, path: str) -> str:
        """The item at ``path`` with permissions of its own and none granted yet."""
        key = self.keys[path]
        self.world.break_inheritance(key, copy=False)
        self.world.nodes[key].assignments = []
        return key
