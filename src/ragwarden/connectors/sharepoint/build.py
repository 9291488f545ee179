"""A SharePoint source from its entry in the sources file::

    - name: hr-portal
      location: sharepoint://contoso.sharepoint.com/sites/hr
      tenant_id: 2f6c…            # the Entra tenant (GUID)
      client_id: 7d1e…            # the app registration
      certificate_env: RAGWARDEN_SP_CERT   # names the variable holding the path of a PEM (key + certificate)
      subsites: false             # also the subsites' libraries
      organization_links: false   # "people in your organization" links grant the whole tenant (opt-in)
      anonymous_links: false      # "anyone" links grant the whole tenant (opt-in)
      rac_groups: []              # Restricted Access Control groups (Entra object ids): callers must be in one
      reconcile_interval: 24h     # a full re-read of every file's permissions
      max_retry_after: 120s       # a longer Retry-After fails the run (nothing is deleted)
      units_per_minute: 1200      # the resource units a run may spend per minute

``graph_url``, ``authority_host`` and ``ca_bundle`` serve national clouds and private authorities. App-only
with a certificate: SharePoint REST, which lists site-group members, rejects app tokens issued for a client
secret, so a secret is refused here rather than failing at the first site group.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ragwarden.acl.graph import GRAPH_URL, GraphClient, tls_client
from ragwarden.acl.msal_app import AUTHORITY_HOST, MsalAppToken
from ragwarden.acl.site_groups import SITE_GROUPS_FILE
from ragwarden.connectors.sharepoint.connector import DEFAULT_RECONCILE_INTERVAL, SharePointConnector, SiteOptions
from ragwarden.connectors.sharepoint.graph import SharePointClient, SourcePacer
from ragwarden.connectors.sharepoint.mapping import MappingContext
from ragwarden.core.errors import AccessControlError, ConfigurationError, TransientError
from ragwarden.core.sources.durations import duration_option
from ragwarden.core.sources.spec import SourceSpec

CERTIFICATE_ONLY = (
    "SharePoint sources sign in with a certificate only (certificate_env): SharePoint REST rejects app-only "
    "tokens issued for a client secret"
)
_TIMEOUT = 30.0


def parse_location(location: str) -> tuple[str, str]:
    """(tenant host, site path) of ``sharepoint://host/sites/name``."""
    parts = urlsplit(location)
    path = "/" + "/".join(p for p in unquote(parts.path).split("/") if p)
    if parts.scheme != "sharepoint" or not parts.hostname or path.count("/") < 2:
        raise ConfigurationError(f"expected sharepoint://<tenant host>/sites/<site>, got {location}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError("a sharepoint:// location is only the tenant host and the site path")
    return parts.netloc, path


def build_sharepoint(
    spec: SourceSpec,
    *,
    environ: Mapping[str, str],
    state_dir: Path | None,
    max_file_bytes: int,
    defaults: Mapping[str, Any] | None = None,
) -> SharePointConnector:
    """The connector of ``spec``; ``defaults`` (RAGWARDEN_SHAREPOINT_*: tenant_id, client_id, certificate)
    serve a source that does not say its own, e.g. one given to ``ragwarden ingest`` as a URL."""
    # Long for a reason: every option of the entry is read and checked here, in the file's order.
    defaults = defaults or {}
    if state_dir is None:
        raise ConfigurationError(f"source {spec.name}: a SharePoint source needs a data directory for its mirror")
    host, site_path = parse_location(spec.location)
    o = spec.options
    if spec.username_env or spec.password_env or o.get("client_secret_env"):
        raise ConfigurationError(f"source {spec.name}: {CERTIFICATE_ONLY}")
    tenant_id = _required(spec, "tenant_id", defaults.get("tenant_id"), "RAGWARDEN_SHAREPOINT_TENANT_ID")
    client_id = _required(spec, "client_id", defaults.get("client_id"), "RAGWARDEN_SHAREPOINT_CLIENT_ID")
    _check_ids(spec, tenant_id, _list(spec, "rac_groups"))
    pem = _certificate(spec, environ, defaults.get("certificate"))
    cap = duration_option(spec, "max_retry_after", 120.0)
    ca = o.get("ca_bundle") or defaults.get("ca_bundle")
    http = tls_client(ca, _TIMEOUT)
    pacer = SourcePacer(_positive(spec, "units_per_minute", 1200.0))
    graph_url = str(o.get("graph_url") or defaults.get("graph_url") or GRAPH_URL).rstrip("/")
    graph_origin = "{}://{}".format(*urlsplit(graph_url)[:2])
    rest_origin = f"https://{host}"

    authority = str(o.get("authority_host") or defaults.get("authority_host") or AUTHORITY_HOST)

    def token(scope: str) -> MsalAppToken:
        try:
            return MsalAppToken(
                tenant_id, client_id, scope, certificate_pem=pem, authority_host=authority,
                verify=str(ca) if ca else True, timeout=_TIMEOUT,
            )  # fmt: skip
        except AccessControlError as exc:
            raise ConfigurationError(f"source {spec.name}: {exc}") from exc

    def client(scope: str, base: str) -> GraphClient:
        return GraphClient(
            token(scope), http, base, max_retries=8, max_retry_after=cap, pacer=pacer, error=TransientError
        )

    sharepoint = SharePointClient(
        client(f"{graph_origin}/.default", graph_url), client(f"{rest_origin}/.default", rest_origin), http, pacer,
        max_retry_after=cap,
    )  # fmt: skip
    site = SiteOptions(
        host=host,
        site_path=site_path,
        tenant_id=tenant_id,
        subsites=_flag(spec, "subsites"),
        organization_links=_flag(spec, "organization_links"),
        anonymous_links=_flag(spec, "anonymous_links"),
        rac_groups=_list(spec, "rac_groups"),
        reconcile_interval=duration_option(spec, "reconcile_interval", DEFAULT_RECONCILE_INTERVAL),
        spec_options=o,
    )
    return SharePointConnector(
        sharepoint,
        site,
        source=spec.name,
        mirror_path=state_dir / "sharepoint" / f"{spec.name}.sqlite",
        site_groups_path=state_dir / SITE_GROUPS_FILE,
        max_file_size=max_file_bytes,
    )


def _check_ids(spec: SourceSpec, tenant_id: str, rac_groups: tuple[str, ...]) -> None:
    """Object ids are checked now, not at the first run."""
    try:
        MappingContext(tenant_id=tenant_id, site_collection_id=tenant_id, now=datetime.now(UTC), rac_groups=rac_groups)
    except AccessControlError as exc:
        what = "tenant_id and rac_groups must be Entra object ids"
        raise ConfigurationError(f"source {spec.name}: {what}: {exc}") from None


def _required(spec: SourceSpec, key: str, default: Any = None, setting: str | None = None) -> str:
    value = spec.options.get(key) or default
    if not isinstance(value, str) or not value.strip():
        fallback = f" (or {setting})" if setting else ""
        raise ConfigurationError(f"source {spec.name}: a SharePoint source needs {key}{fallback}")
    return value.strip()


def _certificate(spec: SourceSpec, environ: Mapping[str, str], default: Any = None) -> str:
    if "certificate_env" not in spec.options and default:
        variable, path = "RAGWARDEN_SHAREPOINT_CERTIFICATE", str(default)
    else:
        variable = _required(spec, "certificate_env", None, "RAGWARDEN_SHAREPOINT_CERTIFICATE")
        path = environ.get(variable, "")
    if not path:
        raise ConfigurationError(f"source {spec.name}: environment variable {variable} (certificate_env) is not set")
    try:
        pem = Path(path).expanduser().read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"source {spec.name}: {variable} must hold the path of a PEM file with the app's private key and "
            f"certificate ({exc.__class__.__name__}); {CERTIFICATE_ONLY}"
        ) from None
    if "PRIVATE KEY-----" not in pem or "CERTIFICATE-----" not in pem:
        raise ConfigurationError(f"source {spec.name}: the file in {variable} needs a private key and a certificate")
    return pem


def _flag(spec: SourceSpec, key: str) -> bool:
    value = spec.options.get(key, False)
    if not isinstance(value, bool):
        raise ConfigurationError(f"source {spec.name}: {key} must be true or false")
    return value


def _list(spec: SourceSpec, key: str) -> tuple[str, ...]:
    value: Any = spec.options.get(key) or ()
    value = (value,) if isinstance(value, str) else value
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError(f"source {spec.name}: {key} must be a list of Entra group object ids")
    return tuple(v.strip() for v in value)




def _positive(spec: SourceSpec, key: str, default: float) -> float:
    value = spec.options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"source {spec.name}: {key} must be a positive number")
    return float(value)
