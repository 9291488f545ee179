"""A real Samba file server with NTFS ACLs, for the SMB connector's tests and benchmark.

Its own AD DC (copied from the cached provisioning of :mod:`ragwarden.testing.samba.provision`) serves two
shares through ``acl_xattr``, so the NT security descriptor alone decides access; ACLs are set with
``smbcacls`` and files are written over SMB, so Samba applies the folders' inheritance as Windows does.

Why a DC of its own rather than the identity tests' DC: smbd on a DC maps SIDs to Unix ids through
winbindd, and libwbclient (inside smbd) only finds winbindd at the compiled-in socket path
``/run/samba/winbindd``, which the identity DC does not use (it keeps every socket in its own folder so
that several can run at once). This DC takes that path, under a machine-wide lock, while it runs; within
one process :func:`file_server` hands out the running server again instead of waiting on its own lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ragwarden.testing.samba import dc as samba_dc
from ragwarden.testing.samba.dc import SambaDC
from ragwarden.testing.samba.provision import SambaUnavailableError, clean_env, samba_installed

SHARE = "abteilungen"
RESTRICTED_SHARE = "vertraulich"  # the tests give it a share permission: only SMB-HR (and Administrators)
WINBINDD_DIR = "/run/samba/winbindd"  # libwbclient's compiled-in socket directory
WINBINDD_LOCK = "/tmp/ragwarden-samba-winbindd-default.lock"  # noqa: S108 - shared between runs
ADMINISTRATORS = "S-1-5-32-544"
EVERYONE = "S-1-1-0"
AUTHENTICATED_USERS = "S-1-5-11"
READ, FULL, WRITE_ONLY, MODIFY = "0x001200a9", "0x001f01ff", "0x00000116", "0x001301bf"
INHERIT = "0x3"  # OBJECT_INHERIT | CONTAINER_INHERIT
INHERITED_ACE = 0x10  # the ACE flag of an entry a file got from its folder

Ace = tuple[str, str, str, str]  # (sid, ALLOWED|DENIED, flags, mask)


@dataclass
class ShareServer:
    """A running DC serving :data:`SHARE` and :data:`RESTRICTED_SHARE` from ``shares`` (name -> folder)."""

    dc: SambaDC
    shares: dict[str, Path]
    _sids: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def domain_sid(self) -> str:
        if "" not in self._sids:
            self._sids[""] = self.dc.ldbsearch(self.dc.base_dn, "objectSid")["objectSid"][0]
        return self._sids[""]

    @property
    def admin_sid(self) -> str:
        return self.domain_sid + "-500"

    def sid(self, name: str) -> str:
        """The SID of a user or group in ``CN=Users``, read from the DC's own database."""
        if name not in self._sids:
            dn = f"CN={name},CN=Users,{self.dc.base_dn}"
            self._sids[name] = self.dc.ldbsearch(dn, "objectSid")["objectSid"][0]
        return self._sids[name]

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120.0) -> str:
        done = subprocess.run(  # noqa: S603 - samba client tools with arguments from this module's callers
            [*args, f"--configfile={self.dc.conf}"],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=clean_env(),
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])} failed: {done.stdout[-500:]} {done.stderr[-1000:]}")
        return done.stdout

    def admin(self) -> str:
        return f"Administrator%{self.dc.admin_password}"

    def smbclient(self, share: str, commands: list[str]) -> None:
        self.run("smbclient", f"//{self.dc.ip}/{share}", "-U", self.admin(), "-c", "; ".join(commands))

    def cacls(self, share: str, path: str, op: str, aces: list[Ace], *, propagate: bool = False) -> None:
        """``op`` is --set, --add, --modify or --delete; ``propagate`` rewrites the inherited entries of
        everything below a folder (``smbcacls --propagate-inheritance``)."""
        text = ",".join(f"ACL:{sid}:{kind}/{flags}/{mask}" for sid, kind, flags, mask in aces)
        extra = ["--propagate-inheritance"] if propagate else []
        self.run("smbcacls", f"//{self.dc.ip}/{share}", path, "-U", self.admin(), *extra, op, text, timeout=600)

    def acl(self, share: str, path: str) -> list[tuple[str, str, int, int]]:
        """A file's DACL as the server reports it: (sid, ALLOWED|DENIED, flags, mask) per entry."""
        out = self.run("smbcacls", f"//{self.dc.ip}/{share}", path, "-U", self.admin(), "--numeric")
        entries = []
        for line in out.splitlines():
            if line.startswith("ACL:"):
                sid, rest = line[4:].rsplit(":", 1)
                kind, flags, mask = rest.split("/")
                entries.append((sid, kind, int(flags, 16), int(mask, 16)))
        return entries

    def write_files(self, share: str, files: dict[str, str], per_call: int = 500) -> None:
        """Create files over SMB (so that Samba applies the folder ACLs' inheritance)."""
        with tempfile.TemporaryDirectory() as tmp:
            commands = []
            for n, (path, text) in enumerate(files.items()):
                local = Path(tmp) / f"f{n}"
                local.write_text(text, encoding="utf-8")
                commands.append(f'put "{local}" "{path}"')
            for chunk in range(0, len(commands), per_call):
                self.smbclient(share, commands[chunk : chunk + per_call])

    def mkdirs(self, share: str, *folders: str) -> None:
        self.smbclient(share, [f'mkdir "{f}"' for f in folders])


def _configure(dc: SambaDC, root: Path) -> dict[str, Path]:
    # smbd serves a user's request as that user's Unix id: every parent folder must be traversable
    # (temporary folders are 0700), so the shares live in a 0755 folder of their own.
    shares = {SHARE: root / "share-abteilungen", RESTRICTED_SHARE: root / "share-vertraulich"}
    text = dc.conf.read_text(encoding="utf-8")
    text = text.replace(
        f"winbindd socket directory = {dc.root}/run/winbindd", f"winbindd socket directory = {WINBINDD_DIR}"
    )
    for name, path in shares.items():
        path.mkdir(parents=True)
        text += (
            f"\n[{name}]\n\tpath = {path}\n\tread only = no\n\tvfs objects = dfs_samba4 acl_xattr\n"
            "\tacl_xattr:ignore system acls = yes\n"  # the NT ACL alone decides, not POSIX modes
        )
    dc.conf.write_text(text, encoding="utf-8")
    return shares


_running: list[ShareServer] = []  # the server this process runs, if any (one per machine at a time)


@contextlib.contextmanager
def file_server(cache_root: Path | None = None) -> Iterator[ShareServer]:
    """A started DC with both shares (empty at first start), stopped and deleted on exit.

    Reentrant within a process: a second caller (the benchmark inside a test session whose fixture
    already runs one) gets the running server; callers keep their files apart by folder.
    """
    if _running:
        yield _running[0]
        return
    if not samba_installed():
        raise SambaUnavailableError("samba, samba-tool, ldb-tools or samba-ad-provision is not installed")
    Path(WINBINDD_DIR).parent.mkdir(parents=True, exist_ok=True)
    with open(WINBINDD_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one DC at a time may own the default winbindd socket
        root = Path(tempfile.mkdtemp(prefix="ragwarden-smb-"))
        root.chmod(0o755)
        dc = samba_dc.create_dc(root / "dc", cache_root)
        try:
            shares = _configure(dc, root)
            dc.start()
            _running.append(ShareServer(dc, shares))
            yield _running[0]
        finally:
            _running.clear()
            dc.stop()
            shutil.rmtree(root, ignore_errors=True)
