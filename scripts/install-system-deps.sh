#!/usr/bin/env bash
# Installs the Debian packages the real-server tests need (Samba AD DC, Kerberos client, LDB tools) and
# the real browser of the search-page tests (Debian's Chromium, driven by Playwright).
# Idempotent: apt is only touched when a package is missing, and `apt-get update` runs at most once.
set -euo pipefail

# samba-ad-provision (the AD schema files) is only a Recommends of samba-ad-dc, and we install without
# recommends to stay small; provisioning fails without it.
# Chromium brings no fonts without recommends: screenshots need one (DejaVu, Liberation for Arial metrics).
PACKAGES=(samba samba-ad-dc samba-ad-provision krb5-user winbind smbclient ldb-tools
          chromium fonts-dejavu-core fonts-liberation)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system dependencies already installed: ${PACKAGES[*]}"
    exit 0
fi

# Where these cannot be installed, say so and go on: the identity tests then skip on a workstation
# and fail in CI (CI=true), which is where they must run.
if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: no apt-get here; install ${missing[*]} (or your system's equivalents) yourself" >&2
    exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! sudo -n true 2>/dev/null; then
        echo "warning: not root and no password-less sudo; run: sudo apt-get install ${missing[*]}" >&2
        exit 0
    fi
    SUDO=(sudo --preserve-env=DEBIAN_FRONTEND)
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt run (a parallel CI step, unattended-upgrades) holds the lock for a while: wait for it.
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

echo "installing: ${missing[*]}"
"${SUDO[@]}" apt-get "${APT_OPTS[@]}" update
# krb5-user asks for a default realm through debconf; noninteractive takes the (empty) default.
"${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${missing[@]}"

# The Debian packages start smbd/nmbd/winbind/samba-ad-dc services where an init system runs; the tests
# start their own `samba` on a loopback address, so make sure no packaged daemon holds the ports.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for unit in smbd nmbd winbind samba-ad-dc; do
        "${SUDO[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
fi
echo "done"
