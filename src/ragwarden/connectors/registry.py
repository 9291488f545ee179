"""One place that maps a source's scheme to its connector (and its change watcher).

Built in: ``folder`` (``/path``), ``smb`` (``smb://server/share/path``), ``sharepoint``
(``sharepoint://tenant.sharepoint.com/sites/name``) and ``sharepoint+ntlm`` (SharePoint Server on-premises,
``sharepoint+ntlm://host/sites/name``). Outside packages join
through the ``ragwarden.connectors`` entry-point group: each entry point names a :class:`Scheme`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.ports import Connector
from ragwarden.core.sources.spec import SourceSpec

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "ragwarden.connectors"


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What every connector may need beside its own spec."""

    max_file_bytes: int
    environ: Mapping[str, str]
    smb_username: str | None = None  # RAGWARDEN_SMB_USERNAME, for smb:// sources without username_env
    smb_password: Any = None
    smb_port: int = 445
    smb_share_allow: Sequence[str] = ()
    state_dir: Path | None = None  # the data directory: where a connector keeps its own state (a mirror)
    # RAGWARDEN_SHAREPOINT_*: tenant_id, client_id, certificate (a PEM path) for sharepoint:// sources
    # that do not name their own
    sharepoint: Mapping[str, Any] = field(default_factory=dict)
    # RAGWARDEN_SHAREPOINT_SERVER_*: username, password, ca_bundle for sharepoint+ntlm:// sources without their own
    sharepoint_server: Mapping[str, Any] = field(default_factory=dict)


OnChange = Callable[[Sequence[str]], None]


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    options: frozenset[str]
    build: Callable[[SourceSpec, ConnectorContext], Connector]
    watch: Callable[[Connector, OnChange], Any] | None = None  # a watcher with start() / stop()


def _folder(spec: SourceSpec, ctx: ConnectorContext) -> Connector:
    from ragwarden.connectors.local_folder import LocalFolderConnector

    root = Path(spec.location.removeprefix("file://")).expanduser()
    return LocalFolderConnector(
        root,
        source=spec.name,
        max_file_size=ctx.max_file_bytes,
        include_hidden=bool(spec.options.get("include_hidden", False)),
    )


def _folder_watch(connector: Connector, on_change: OnChange) -> Any:
    from ragwarden.connectors.folder_watch import FolderWatcher

    root = getattr(connector, "root", None)
    return FolderWatcher(Path(root), on_change) if root is not None else None


def _smb(spec: SourceSpec, ctx: ConnectorContext) -> Connector:
    from ragwarden.connectors.smb import SmbConnector

    parts = urlsplit(spec.location)
    if parts.username or parts.password:
        raise ConfigurationError("put SMB credentials in environment variables, not the URL")
    share, _, root = unquote(parts.path).lstrip("/").partition("/")
    if not parts.hostname or not share:
        raise ConfigurationError(f"expected smb://server/share[/path], got {spec.location}")
    credentials = spec.credentials(ctx.environ)
    username, password = credentials if credentials else (ctx.smb_username, ctx.smb_password)
    if not (username and password):
        raise ConfigurationError(
            f"source {spec.name}: smb:// needs username_env and password_env "
            "(or RAGWARDEN_SMB_USERNAME and RAGWARDEN_SMB_PASSWORD)"
        )
    options = spec.options
    return SmbConnector(
        parts.hostname,
        share,
        root,
        username=username,
        password=password,
        port=int(options.get("port") or parts.port or ctx.smb_port),
        include=tuple(options.get("include") or ()),
        exclude=tuple(options.get("exclude") or ()),
        max_file_size=ctx.max_file_bytes,
        share_allow=_listed(options.get("share_allow") or ctx.smb_share_allow),
        source=spec.name,
    )


def _listed(value: Any) -> tuple[Any, ...]:
    """``share_allow: everyone`` means the one-item list, not its letters."""
    return (value,) if isinstance(value, str) else tuple(value or ())


def _smb_watch(connector: Connector, on_change: OnChange) -> Any:
    from ragwarden.connectors.smb import SmbConnector
    from ragwarden.connectors.smb_watch import SmbChangeWatcher

    return SmbChangeWatcher(connector, on_change) if isinstance(connector, SmbConnector) else None


def _sharepoint(spec: SourceSpec, ctx: ConnectorContext) -> Connector:
    from ragwarden.connectors.sharepoint.build import build_sharepoint

    return build_sharepoint(
        spec, environ=ctx.environ, state_dir=ctx.state_dir, max_file_bytes=ctx.max_file_bytes, defaults=ctx.sharepoint
    )


def _sharepoint_server(spec: SourceSpec, ctx: ConnectorContext) -> Connector:
    from ragwarden.connectors.sharepoint_server.build import build_sharepoint_server

    return build_sharepoint_server(
        spec, environ=ctx.environ, state_dir=ctx.state_dir, max_file_bytes=ctx.max_file_bytes,
        defaults=ctx.sharepoint_server,
    )  # fmt: skip


SHAREPOINT_OPTIONS = frozenset(
    "subsites organization_links anonymous_links rac_groups tenant_id client_id certificate_env client_secret_env "
    "reconcile_interval max_retry_after units_per_minute graph_url authority_host ca_bundle".split()
)

BUILTIN: tuple[Scheme, ...] = (
    Scheme("folder", frozenset({"include_hidden"}), _folder, _folder_watch),
    Scheme("smb", frozenset({"share_allow", "include", "exclude", "port"}), _smb, _smb_watch),
    Scheme("sharepoint", SHAREPOINT_OPTIONS, _sharepoint),
    Scheme("sharepoint+ntlm", frozenset({"auth", "ca_bundle", "reconcile_interval"}), _sharepoint_server),
)


def schemes() -> dict[str, Scheme]:
    """Every known scheme: the built-in ones, then those of installed plugins."""
    known = {s.name: s for s in BUILTIN}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the built-in sources
            log.warning("connector plugin %s cannot be loaded: %s", ep.name, exc)
            continue
        if isinstance(plugin, Scheme) and plugin.name not in known:
            known[plugin.name] = plugin
    return known


def scheme_options() -> dict[str, frozenset[str]]:
    """Scheme → the option keys its connector accepts (what the sources file may say)."""
    return {name: s.options for name, s in schemes().items()}


def build_connector(spec: SourceSpec, ctx: ConnectorContext) -> Connector:
    scheme = schemes().get(spec.scheme)
    if scheme is None:
        raise ConfigurationError(f"source {spec.name}: no connector for scheme {spec.scheme!r}")
    return scheme.build(spec, ctx)


def build_watcher(spec: SourceSpec, connector: Connector, on_change: OnChange) -> Any:
    """A change watcher for the source, or None where its scheme offers none."""
    scheme = schemes().get(spec.scheme)
    if scheme is None or scheme.watch is None:
        return None
    return scheme.watch(connector, on_change)
