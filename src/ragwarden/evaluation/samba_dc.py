"""A throwaway Samba AD domain controller on a loopback address, for the tests and the identity benchmark.

Provisioning takes ~10-25 s, so a pristine provisioned tree is cached (keyed by :data:`PROVISION_VERSION`
and the Samba version) and copied for each run. The copy listens only on its own ``127.0.0.N``
(``bind interfaces only``), keeps its pid, socket and log files in its own directory, and runs as
``samba -i`` with a pipe on stdin: when the owning process ends, the pipe closes and Samba exits.
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

PROVISION_VERSION = "2"  # bump when the provisioning below changes
REALM = "CORP.EXAMPLE"
DOMAIN = "CORP"
HOST_NAME = "DC1"
BASE_DN = "DC=corp,DC=example"
ADMIN_PASSWORD = "Rw-Adm1n-Passw0rd!"  # noqa: S105 - a throwaway test domain on a loopback address
DC_PORTS = (389, 636, 88, 445)
_TOOLS = ("samba", "samba-tool", "ldbmodify", "ldbsearch")


class SambaUnavailableError(RuntimeError):
    """Samba (or its AD provisioning files) is not installed here."""


def samba_installed() -> bool:
    schema = Path("/usr/share/samba/setup/ad-schema")
    return all(shutil.which(t) for t in _TOOLS) and schema.is_dir()


def _clean_env() -> dict[str, str]:
    # samba-tool is a /usr/bin/python3 script: keep a virtualenv's Python settings away from it
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _run(args: list[str], timeout: float = 120.0, stdin: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed tool names, arguments from this module and its callers
        args, input=stdin, capture_output=True, text=True, timeout=timeout, env=_clean_env(), check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def samba_version() -> str:
    return _run(["samba", "--version"]).strip()


def default_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ragwarden-test"


def _provision(target: Path) -> None:
    """Provision a domain into ``target`` with every path of the DC inside ``target``."""
    options = {
        "interfaces": "127.0.0.2/8",  # rewritten for each copy
        "bind interfaces only": "yes",
        "pid directory": f"{target}/run",
        "ncalrpc dir": f"{target}/run/ncalrpc",
        "winbindd socket directory": f"{target}/run/winbindd",
        "ntp signd socket directory": f"{target}/run/ntp_signd",
        "log file": f"{target}/log/log.%m",
    }
    args = [
        "samba-tool",
        "domain",
        "provision",
        "--server-role=dc",
        "--dns-backend=NONE",
        "--use-rfc2307",
        f"--targetdir={target}",
        f"--realm={REALM}",
        f"--domain={DOMAIN}",
        f"--host-name={HOST_NAME}",
        "--host-ip=127.0.0.2",
        f"--adminpass={ADMIN_PASSWORD}",
    ]
    args += [f"--option={k}={v}" for k, v in options.items()]
    _run(args, timeout=300)
    # provision drops this one from --option: it lets the test of an *explicitly allowed* plain-LDAP
    # resolver (and the bad-password binds that lock an account) reach the DC without TLS
    smb_conf = target / "etc" / "smb.conf"
    text = smb_conf.read_text(encoding="utf-8")
    smb_conf.write_text(text.replace("[global]\n", "[global]\n\tldap server require strong auth = no\n", 1))
    conf = f"--configfile={smb_conf}"
    # a cached directory lives for months: passwords must not expire (default 42 days)
    _run(
        [
            "samba-tool",
            "domain",
            "passwordsettings",
            "set",
            "--max-pwd-age=0",
            "--min-pwd-age=0",
            "--account-lockout-threshold=3",
            conf,
        ]
    )
    (target / "provisioned-at").write_text(str(target), encoding="utf-8")


def pristine_tree(cache_root: Path | None = None) -> Path:
    """The cached provisioned directory, provisioning it (under a lock) when missing."""
    if not samba_installed():
        raise SambaUnavailableError("samba, samba-tool, ldb-tools or samba-ad-provision is not installed")
    root = (cache_root or default_cache_root()).resolve()
    root.mkdir(parents=True, exist_ok=True)
    key = "".join(c if c.isalnum() else "-" for c in samba_version())
    final = root / f"samba-dc-v{PROVISION_VERSION}-{key}"
    with open(root / ".provision.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (final / "provisioned-at").is_file():
            shutil.rmtree(final, ignore_errors=True)
            final.mkdir()
            _provision(final)
    return final


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

    realm = REALM
    domain = DOMAIN
    base_dn = BASE_DN
    admin_password = ADMIN_PASSWORD
    tls_server_name = f"{HOST_NAME}.{REALM.lower()}"

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
        return _run(["samba-tool", *args, f"--configfile={self.conf}"])

    def ldbmodify(self, ldif: str, relax: bool = False) -> None:
        extra = ["--controls=relax:0"] if relax else []
        _run(["ldbmodify", "-H", str(self.sam_ldb), *extra], stdin=ldif)

    def ldbsearch(self, base: str, *attributes: str, query: str = "(objectClass=*)") -> dict[str, list[str]]:
        """One object's attributes read from the DC's own database (BASE scope), LDIF values as text."""
        out = _run(["ldbsearch", "-H", str(self.sam_ldb), "-b", base, "-s", "base", query, *attributes])
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
            env=_clean_env(),
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
        options: dict[str, Any] = {"user": self.admin_user, "password": ADMIN_PASSWORD, "receive_timeout": 10}
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
