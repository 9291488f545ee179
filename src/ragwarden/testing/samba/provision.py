"""Samba's tools, and the cached provisioned domain every throwaway DC (:mod:`ragwarden.testing.samba.dc`)
is copied from.

Provisioning takes ~10-25 s, so a pristine provisioned tree is cached (keyed by :data:`PROVISION_VERSION`
and the Samba version). Its Administrator password is generated at provisioning (none is written in the
source) and kept in the tree, readable by its owner only (:func:`read_admin_password`), so every copy
knows it and hands it to whoever needs it (``SambaDC.admin_password``).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import subprocess
from pathlib import Path

PROVISION_VERSION = "3"  # bump when the provisioning below changes
REALM = "CORP.EXAMPLE"
DOMAIN = "CORP"
HOST_NAME = "DC1"
BASE_DN = "DC=corp,DC=example"
ADMIN_PASSWORD_FILE = Path("private") / "ragwarden-admin-password"  # inside the tree, next to Samba's secrets
_TOOLS = ("samba", "samba-tool", "ldbmodify", "ldbsearch")


class SambaUnavailableError(RuntimeError):
    """Samba (or its AD provisioning files) is not installed here."""


def samba_installed() -> bool:
    schema = Path("/usr/share/samba/setup/ad-schema")
    return all(shutil.which(t) for t in _TOOLS) and schema.is_dir()


def clean_env() -> dict[str, str]:
    # samba-tool is a /usr/bin/python3 script: keep a virtualenv's Python settings away from it
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def run_tool(args: list[str], timeout: float = 120.0, stdin: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed tool names, arguments from this module and its callers
        args, input=stdin, capture_output=True, text=True, timeout=timeout, env=clean_env(), check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def samba_version() -> str:
    return run_tool(["samba", "--version"]).strip()


def default_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ragwarden-test"


def new_admin_password() -> str:
    """A fresh random password meeting Samba's complexity rule (three of: upper, lower, digit, symbol)
    whatever the random part holds: the fixed tail brings all four."""
    return secrets.token_urlsafe(18) + "-Rw7"


def read_admin_password(tree: Path) -> str:
    """The Administrator password of the domain provisioned into ``tree`` (or a copy of it)."""
    path = tree / ADMIN_PASSWORD_FILE
    if not path.is_file():
        raise RuntimeError(f"{tree} holds no {ADMIN_PASSWORD_FILE}: not a domain provisioned by this module")
    return path.read_text(encoding="utf-8").strip()


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
    password = new_admin_password()
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
        f"--adminpass={password}",
    ]
    args += [f"--option={k}={v}" for k, v in options.items()]
    run_tool(args, timeout=300)
    _write_secret(target / ADMIN_PASSWORD_FILE, password)
    _configure(target / "etc" / "smb.conf")
    (target / "provisioned-at").write_text(str(target), encoding="utf-8")


def _write_secret(path: Path, secret: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secret)


def _configure(smb_conf: Path) -> None:
    """What ``samba-tool domain provision`` cannot set: plain LDAP allowed, passwords that never expire."""
    # provision drops this one from --option: it lets the test of an *explicitly allowed* plain-LDAP
    # resolver (and the bad-password binds that lock an account) reach the DC without TLS
    text = smb_conf.read_text(encoding="utf-8")
    smb_conf.write_text(text.replace("[global]\n", "[global]\n\tldap server require strong auth = no\n", 1))
    conf = f"--configfile={smb_conf}"
    # a cached directory lives for months: passwords must not expire (default 42 days)
    run_tool(
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
