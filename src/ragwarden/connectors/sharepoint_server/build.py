"""A SharePoint Server (on-premises) source from its entry in the sources file::

    - name: intranet-hr
      location: sharepoint+ntlm://sharepoint.corp.example/sites/hr
      username_env: RAGWARDEN_SP_USER          # holds CORP\\svc-ragwarden (DOMAIN\\user)
      password_env: RAGWARDEN_SP_PASSWORD
      auth: ntlm                               # or kerberos, where the gssapi package is installed
      ca_bundle: /etc/ragwarden/corp-ca.pem    # the CA of the server's certificate (default: the system's)
      reconcile_interval: 24h                  # a full re-read of the site, permissions included

HTTPS only: NTLM over plain HTTP would hand the account's NTLM answer to anyone on the path, and channel
bindings need TLS. A source without its own variables signs in as ``RAGWARDEN_SHAREPOINT_SERVER_USERNAME`` /
``_PASSWORD`` (e.g. ``ragwarden ingest sharepoint+ntlm://…``); credentials in the URL are refused.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from pydantic import SecretStr

from ragwarden.acl.site_groups import SITE_GROUPS_FILE
from ragwarden.connectors.sharepoint_server.auth import WindowsAuth
from ragwarden.connectors.sharepoint_server.client import ServerClient
from ragwarden.connectors.sharepoint_server.connector import (
    DEFAULT_RECONCILE_INTERVAL,
    ServerSite,
    SharePointServerConnector,
)
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.sources.durations import duration_option
from ragwarden.core.sources.spec import SourceSpec

SCHEME = "sharepoint+ntlm"
OPTIONS = frozenset({"auth", "ca_bundle", "reconcile_interval"})
_TIMEOUT = 60.0


def parse_location(location: str) -> tuple[str, str]:
    """(host[:port], site path) of ``sharepoint+ntlm://host/sites/name``."""
    parts = urlsplit(location)
    if parts.username or parts.password:
        raise ConfigurationError("put SharePoint Server credentials in environment variables, not the URL")
    path = "/" + "/".join(p for p in unquote(parts.path).split("/") if p)
    if parts.scheme != SCHEME or not parts.hostname or path.count("/") < 2:
        raise ConfigurationError(f"expected {SCHEME}://<host>/sites/<site>, got {location}")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"a {SCHEME}:// location is only the host and the site path")
    return parts.netloc, path


def build_sharepoint_server(
    spec: SourceSpec, *, environ: Mapping[str, str], state_dir: Path | None, max_file_bytes: int,
    defaults: Mapping[str, Any] | None = None,
) -> SharePointServerConnector:  # fmt: skip
    """The connector of ``spec``; ``defaults`` (RAGWARDEN_SHAREPOINT_SERVER_*: username, password, ca_bundle)
    serve a source that does not name its own."""
    defaults = defaults or {}
    if state_dir is None:
        raise ConfigurationError(f"source {spec.name}: a SharePoint Server source needs a data directory")
    host, site_path = parse_location(spec.location)
    username, password = _credentials(spec, environ, defaults)
    options = spec.options
    protocol = str(options.get("auth") or "ntlm")
    try:
        auth = WindowsAuth(username, password, protocol=protocol)
    except ConfigurationError as exc:
        raise ConfigurationError(f"source {spec.name}: {exc}") from None
    ca = options.get("ca_bundle") or defaults.get("ca_bundle")
    verify: ssl.SSLContext | bool = True
    if ca:
        try:
            verify = ssl.create_default_context(cafile=str(Path(str(ca)).expanduser()))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(f"source {spec.name}: ca_bundle {ca} cannot be used: {exc}") from None
    http = httpx.Client(auth=auth, verify=verify, timeout=_TIMEOUT, follow_redirects=False)
    site_url = f"https://{host}{site_path}"
    site = ServerSite(
        location=f"{SCHEME}://{host}{site_path}", site_url=site_url,
        reconcile_interval=duration_option(spec, "reconcile_interval", DEFAULT_RECONCILE_INTERVAL),
        spec_options=options,
        username_env=spec.username_env, password_env=spec.password_env,
    )  # fmt: skip
    return SharePointServerConnector(
        ServerClient(http, site_url, username), site, source=spec.name,
        mirror_path=state_dir / "sharepoint_server" / f"{spec.name}.json",
        site_groups_path=state_dir / SITE_GROUPS_FILE, max_file_size=max_file_bytes,
    )  # fmt: skip


def _credentials(spec: SourceSpec, environ: Mapping[str, str], defaults: Mapping[str, Any]) -> tuple[str, str]:
    given = spec.credentials(environ)
    username, secret = given if given is not None else (defaults.get("username"), defaults.get("password"))
    password: Any = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not (username and password):
        raise ConfigurationError(
            f"source {spec.name}: {SCHEME}:// needs username_env and password_env "
            "(or RAGWARDEN_SHAREPOINT_SERVER_USERNAME and RAGWARDEN_SHAREPOINT_SERVER_PASSWORD)"
        )
    if "\\" not in str(username) and "@" not in str(username):
        raise ConfigurationError(f"source {spec.name}: the account is written DOMAIN\\user (or user@domain)")
    return str(username), str(password)
