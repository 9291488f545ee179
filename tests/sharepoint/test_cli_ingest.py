"""`ragwarden ingest sharepoint://…` as a user runs it: a real CLI process, credentials from RAGWARDEN_SHAREPOINT_*
settings (no sources file), against the emulator over HTTPS; a second run changes nothing, a client secret is
refused before anything is read."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.sharepoint.emulator_site import Site


def _env(site: Site, **extra: str) -> dict[str, str]:
    ms = site.ms
    return {
        **os.environ,
        "RAGWARDEN_DATA_DIR": str(site.root / "cli-data"),
        "RAGWARDEN_AUTH_MODE": "entra",  # callers are Entra users: entra: grants can be held
        "RAGWARDEN_ENTRA_TENANT_ID": ms.tenant_id,
        "RAGWARDEN_ENTRA_CLIENT_ID": ms.client_id,
        "RAGWARDEN_ENTRA_AUDIENCE": '["api://ragwarden"]',
        "RAGWARDEN_SHAREPOINT_CLIENT_ID": ms.client_id,  # the tenant comes from RAGWARDEN_ENTRA_TENANT_ID
        "RAGWARDEN_SHAREPOINT_CERTIFICATE": str(ms.client_cert_file),
        "RAGWARDEN_SHAREPOINT_GRAPH_URL": site.em.graph_url,
        "RAGWARDEN_SHAREPOINT_AUTHORITY_HOST": ms.authority_host,
        "RAGWARDEN_SHAREPOINT_CA_BUNDLE": str(site.em.ca_file),
        **extra,
    }


def _ingest(site: Site, **extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "ragwarden.cli", "ingest", site.em.source_url, "--name", "team"]
    return subprocess.run(cmd, env=_env(site, **extra), capture_output=True, text=True, timeout=300)


def test_ingest_a_sharepoint_url_with_settings_then_again_without_changes(site: Site) -> None:
    first = _ingest(site)
    assert first.returncode == 0, first.stderr[-3000:]
    files = len(site.files())
    assert f"{files} added" in first.stdout + first.stderr, first.stdout + first.stderr
    again = _ingest(site)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"{files} unchanged" in again.stdout + again.stderr, again.stdout + again.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "ragwarden.cli", "sources"], env=_env(site), capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0 and "team" in listed.stdout and "sharepoint://" in listed.stdout, listed


def test_without_a_certificate_the_url_is_refused_with_what_to_set(site: Site) -> None:
    done = _ingest(site, RAGWARDEN_SHAREPOINT_CERTIFICATE="")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "RAGWARDEN_SHAREPOINT_CERTIFICATE" in done.stderr and "Traceback" not in done.stderr, done.stderr
    mirrors = site.root / "cli-data" / "sharepoint"
    assert not mirrors.exists() or not any(mirrors.iterdir())  # nothing was read
