"""The Connector contract, once per adapter and fake: the local folder (sidecars in a temporary folder), the
SMB share (the session's real Samba file server, NTFS ACLs set with ``smbcacls``), SharePoint Online (the
SharePoint emulator over HTTPS, ``tests/sharepoint/contract_world.py``), SharePoint Server on premises (its
emulator over HTTPS with NTLM, ``tests/sharepoint_server/contract_world.py``) and the in-memory fake."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.connectors.smb import SmbConnector
from ragwarden.core.models import AccessControl
from ragwarden.testing.contracts.connector import ConnectorContract, ConnectorWorld
from ragwarden.testing.fakes.connector import MemoryWorld
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from tests.fixtures.samba import PASSWORD, SERVICE_USER
from tests.fixtures.smb import FULL, INHERIT, READ, SHARE, SmbServer
from tests.sharepoint.contract_world import SharePointContractWorld
from tests.sharepoint_server.contract_world import SharePointServerContractWorld

SIDECAR = ".acl.json"


class LocalFolderWorld:
    """Files with their own ``.acl.json`` sidecars. Content is made unreadable by the kernel: mode 000, and
    when the tests run as root, this thread gives up the capabilities that let root read any file."""

    principals = ("user:alice", "group:hr", "group:finance")

    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self, path: str, content: bytes, acl: AccessControl) -> None:
        self._path(path).parent.mkdir(parents=True, exist_ok=True)
        self._path(path).write_bytes(content)
        self.set_acl(path, acl)

    def rewrite(self, path: str, content: bytes) -> None:
        self._path(path).write_bytes(content)

    def set_acl(self, path: str, acl: AccessControl) -> None:
        sidecar = {"allow": sorted(acl.allow), "deny": sorted(acl.deny), "share": sorted(acl.share)}
        self._path(path + SIDECAR).write_text(json.dumps(sidecar), encoding="utf-8")

    def delete(self, path: str) -> None:
        self._path(path).unlink()
        self._path(path + SIDECAR).unlink()

    def create_unindexable(self, path: str) -> None:
        self._path(path).write_bytes(b"its sidecar is not JSON")
        self._path(path + SIDECAR).write_text("{broken", encoding="utf-8")

    def reported_acl(self, acl: AccessControl) -> AccessControl:
        return acl

    def connector(self) -> LocalFolderConnector:
        return LocalFolderConnector(self.root, source="contract", max_file_size=1_000_000)

    @contextlib.contextmanager
    def content_unreadable(self) -> Iterator[None]:
        files = [p for p in self.root.rglob("*") if p.is_file() and not p.name.endswith(SIDECAR)]
        for path in files:
            path.chmod(0)
        try:
            with _without_dac_override():
                yield
        finally:
            for path in files:
                path.chmod(0o644)

    def _path(self, rel: str) -> Path:
        return self.root / rel


# Linux capabilities (linux/capability.h): root reads a mode-000 file through these two; a thread may drop
# them from its effective set and raise them again, since they stay in its permitted set.
_CAPABILITY_V3 = 0x20080522
_DAC_OVERRIDE_AND_READ_SEARCH = (1 << 1) | (1 << 2)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


@contextlib.contextmanager
def _without_dac_override() -> Iterator[None]:
    """This thread reads files only as their mode allows (a no-op for an ordinary user)."""
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(_CAPABILITY_V3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    effective = data[0].effective
    data[0].effective = effective & ~_DAC_OVERRIDE_AND_READ_SEARCH
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    try:
        yield
    finally:
        data[0].effective = effective
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset failed: the test process keeps reduced capabilities")


NO_DATA = "0x00120088"  # READ_CONTROL | SYNCHRONIZE | FILE_READ_ATTRIBUTES | FILE_READ_EA: no FILE_READ_DATA


class SmbWorld:
    """A folder of its own on the test share, read by the ordinary service account: every file grants it
    read access (so its SID is in every reported ACL). Content is made unreadable on the file server itself:
    the account's entry loses ``FILE_READ_DATA`` and keeps ``READ_CONTROL``."""

    def __init__(self, server: SmbServer) -> None:
        import smbclient

        self.server, self.folder = server, f"contract-{uuid.uuid4().hex[:10]}"
        self.principals = tuple(f"sid:{server.sid(n)}" for n in ("SMB-HR", "SMB-Finance", "tom"))
        self.service_sid = server.sid(SERVICE_USER)
        self._acls: dict[str, AccessControl] = {}
        self._cache: dict[str, Any] = {}
        smbclient.register_session(
            server.dc.ip, username="Administrator", password=server.dc.admin_password, connection_cache=self._cache
        )
        server.mkdirs(SHARE, self.folder)
        inherited = [(server.admin_sid, "ALLOWED", INHERIT, FULL), (self.service_sid, "ALLOWED", INHERIT, READ)]
        server.cacls(SHARE, self.folder, "--set", inherited)

    def create(self, path: str, content: bytes, acl: AccessControl) -> None:
        import smbclient

        parent = path.rpartition("/")[0]
        if parent:
            smbclient.makedirs(self._unc(parent), exist_ok=True, connection_cache=self._cache)
        self.rewrite(path, content)
        self.set_acl(path, acl)

    def rewrite(self, path: str, content: bytes) -> None:
        import smbclient

        with smbclient.open_file(self._unc(path), mode="wb", connection_cache=self._cache) as handle:
            handle.write(content)

    def set_acl(self, path: str, acl: AccessControl, service_mask: str = READ) -> None:
        aces = [(self.service_sid, "ALLOWED", "0x0", service_mask)]
        aces += [(t.removeprefix("sid:"), "ALLOWED", "0x0", READ) for t in sorted(acl.allow)]
        aces += [(t.removeprefix("sid:"), "DENIED", "0x0", READ) for t in sorted(acl.deny)]
        self.server.cacls(SHARE, f"{self.folder}/{path}", "--set", aces)
        self._acls[path] = acl

    def delete(self, path: str) -> None:
        import smbclient

        smbclient.remove(self._unc(path), connection_cache=self._cache)
        self._acls.pop(path, None)

    def create_unindexable(self, path: str) -> None:
        """Only the administrator may read its security descriptor: the service account cannot."""
        self.rewrite(path, b"the service account may not read this ACL")
        self.server.cacls(SHARE, f"{self.folder}/{path}", "--set", [(self.server.admin_sid, "ALLOWED", "0x0", FULL)])

    def reported_acl(self, acl: AccessControl) -> AccessControl:
        return AccessControl(acl.allow | {f"sid:{self.service_sid}"}, acl.deny, acl.share)

    def connector(self) -> SmbConnector:
        return SmbConnector(
            self.server.dc.ip,
            SHARE,
            self.folder,
            username=SERVICE_USER,
            password=PASSWORD,
            max_file_size=1_000_000,
            share_allow=["everyone"],
        )

    @contextlib.contextmanager
    def content_unreadable(self) -> Iterator[None]:
        granted = dict(self._acls)
        for path, acl in granted.items():
            self.set_acl(path, acl, service_mask=NO_DATA)
        try:
            yield
        finally:
            for path, acl in granted.items():
                self.set_acl(path, acl)

    def close(self) -> None:
        import smbclient

        smbclient.reset_connection_cache(connection_cache=self._cache)

    def _unc(self, rel: str) -> str:
        return f"\\\\{self.server.dc.ip}\\{SHARE}\\{self.folder}\\" + rel.replace("/", "\\")


class TestLocalFolderConnector(ConnectorContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> ConnectorWorld:
        root = tmp_path / "corpus"
        root.mkdir()
        return LocalFolderWorld(root)


class TestSmbConnector(ConnectorContract):
    @pytest.fixture
    def world(self, smb_server: SmbServer) -> Iterator[ConnectorWorld]:
        world = SmbWorld(smb_server)
        yield world
        world.close()


class TestMemoryConnector(ConnectorContract):
    @pytest.fixture
    def world(self) -> ConnectorWorld:
        return MemoryWorld()


class TestSharePointConnector(ConnectorContract):
    @pytest.fixture(scope="class")
    def sharepoint_authority(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeMicrosoft]:
        authority = FakeMicrosoft(tmp_path_factory.mktemp("sp-contract-entra"))
        yield authority
        authority.stop()

    @pytest.fixture
    def world(self, sharepoint_authority: FakeMicrosoft, tmp_path: Path) -> Iterator[ConnectorWorld]:
        w = SharePointContractWorld(sharepoint_authority, tmp_path)
        yield w
        w.stop()


class TestSharePointServerConnector(ConnectorContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> Iterator[ConnectorWorld]:
        w = SharePointServerContractWorld(tmp_path)
        yield w
        w.stop()
