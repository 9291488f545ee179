"""A throwaway Samba AD domain controller on a loopback address, for the tests and the identity benchmark.

Each DC is a copy of the cached provisioned domain of :mod:`ragwarden.testing.samba.provision`. The copy
listens only on its own ``127.0.0.N`` (``bind interfaces only``), keeps its pid, socket and log files in its
own directory, and runs as ``samba -i`` with a pipe on stdin: when the owning process ends, the pipe closes
and Samba exits.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ragwarden.testing.samba.provision import (
    BASE_DN,
    DOMAIN,
    HOST_NAME,
    REALM,
    clean_env,
    pristine_tree,
    read_admin_password,
    run_tool,
)

DC_PORTS = (389, 636, 88, 445)


def _ports_free(ip: str) -> bool:
    for port in DC_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # like samba itself: connections of an earlier DC in TIME_WAIT do not block the port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((ip, port))
            except OSError:
                return False
    return True


def _claim_address(preferred: str | None) -> tuple[str, IO[str]]:
    """A loopback address whose DC ports are free, held by a lock file for the life of the DC."""
    candidates = [preferred] if preferred else [f"127.0.0.{n}" for n in range(2, 64)]
    lock_dir = Path("/tmp/ragwarden-samba-locks")  # noqa: S108 - shared between concurrent test runs
    lock_dir.mkdir(exist_ok=True)
    for ip in candidates:
        lock = open(lock_dir / f"{ip}.lock", "w")  # noqa: SIM115 - held until the DC stops
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if _ports_free(ip):
            return ip, lock
        lock.close()
    raise RuntimeError(f"no free loopback address for a Samba DC among {candidates[0]}..{candidates[-1]}")


@dataclass
class SambaDC:
    """A running (or stopped) domain controller in ``root``, listening on ``ip``."""

    root: Path
    ip: str
    process: subprocess.Popen[str] | None = None
    _lock: IO[str] | None = field(default=None, repr=False)
    admin_password: str = field(default="", repr=False)  # default: the one kept in ``root``

    realm = REALM
    domain = DOMAIN
    base_dn = BASE_DN
    tls_server_name = f"{HOST_NAME}.{REALM.lower()}"

    def __post_init__(self) -> None:
        self.admin_password = self.admin_password or read_admin_password(self.root)

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "smb.conf"

    @property
    def ca_file(self) -> Path:
        return self.root / "private" / "tls" / "ca.pem"

    @property
    def admin_user(self) -> str:
        return f"Administrator@{REALM.lower()}"

    @property
    def sam_ldb(self) -> Path:
        return self.root / "private" / "sam.ldb"

    def samba_tool(self, *args: str) -> str:
        return run_tool(["samba-tool", *args, f"--configfile={self.conf}"])

    def ldbmodify(self, ldif: str, relax: bool = False) -> None:
        extra = ["--controls=relax:0"] if relax else []
        run_tool(["ldbmodify", "-H", str(self.sam_ldb), *extra], stdin=ldif)

    def ldbsearch(self, base: str, *attributes: str, query: str = "(objectClass=*)") -> dict[str, list[str]]:
        """One object's attributes read from the DC's own database (BASE scope), LDIF values as text."""
        out = run_tool(["ldbsearch", "-H", str(self.sam_ldb), "-b", base, "-s", "base", query, *attributes])
        values: dict[str, list[str]] = {}
        for line in out.splitlines():
            name, sep, value = line.partition(": ")
            if sep and not line.startswith(("#", " ")):
                values.setdefault(name, []).append(value)
        return values

    def start(self, timeout: float = 90.0) -> None:
        log = open(self.root / "samba.out", "w")  # noqa: SIM115 - owned by the child process
        self.process = subprocess.Popen(  # noqa: S603
            ["samba", "-i", f"--configfile={self.conf}", "--debuglevel=1"],  # noqa: S607 - samba from PATH
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=clean_env(),
            start_new_session=True,
        )
        log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until an LDAPS bind as Administrator succeeds (the TLS keys are generated at first start)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"samba exited ({self.process.returncode}): {self.log_tail()}")
            try:
                self.admin_connection().unbind()
                return
            except Exception as exc:  # noqa: BLE001 - any failure means: not ready yet
                last = exc
                time.sleep(0.5)
        raise RuntimeError(
            f"the Samba DC did not answer LDAPS within {timeout:.0f} s: {last}\n{self.log_tail()}"
        )

    def admin_connection(self, **overrides: Any) -> Any:
        """An ldap3 connection bound as Administrator over LDAPS (the DC's own CA verified)."""
        import ssl

        import ldap3

        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file), valid_names=[self.tls_server_name]
        )
        server = ldap3.Server(
            self.ip, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE, connect_timeout=5
        )
        options: dict[str, Any] = {"user": self.admin_user, "password": self.admin_password, "receive_timeout": 10}
        options.update(overrides)
        conn = ldap3.Connection(server, **options)
        if not conn.bind():
            raise RuntimeError(f"Administrator bind failed: {conn.result}")
        return conn

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "samba.out"
        text = path.read_text(errors="replace") if path.is_file() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            if process.stdin is not None:
                process.stdin.close()  # samba -i exits on EOF on stdin
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGTERM)  # our own session: samba and its workers only
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> SambaDC:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_dc(workdir: Path, cache_root: Path | None = None, ip: str | None = None) -> SambaDC:
    """Copy the cached pristine domain into ``workdir`` (which must not exist) and bind it to a free
    loopback address; the DC is not started yet."""
    pristine = pristine_tree(cache_root)
    origin = (pristine / "provisioned-at").read_text(encoding="utf-8").strip()
    shutil.copytree(pristine, workdir, symlinks=True)
    address, lock = _claim_address(ip or os.environ.get("RAGWARDEN_SAMBA_IP"))
    conf = workdir / "etc" / "smb.conf"
    text = conf.read_text(encoding="utf-8").replace(origin, str(workdir))
    text = text.replace("interfaces = 127.0.0.2/8", f"interfaces = {address}/8")
    conf.write_text(text, encoding="utf-8")
    for sub in ("run", "log"):
        (workdir / sub).mkdir(exist_ok=True)
    return SambaDC(root=workdir, ip=address, _lock=lock)


def start_dc(workdir: Path, cache_root: Path | None = None, ip: str | None = None) -> SambaDC:
    dc = create_dc(workdir, cache_root, ip)
    try:
        dc.start()
    except BaseException:
        dc.stop()
        raise
    return dc
