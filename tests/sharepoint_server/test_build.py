"""A ``sharepoint+ntlm://`` source from the sources file or a one-off URL: credentials from the named variables
or the RAGWARDEN_SHAREPOINT_SERVER_* settings, never from the URL; HTTPS only; Kerberos only where gssapi is
installed. Each refusal is a clear ConfigurationError, raised before anything is read."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ragwarden.connectors import registry
from ragwarden.connectors.sharepoint_server.connector import SharePointServerConnector
from ragwarden.core.errors import ConfigurationError
from ragwarden.core.sources import parse_sources
from ragwarden.core.sources.spec import SourceSpec

URL = "sharepoint+ntlm://sharepoint.corp.example/sites/hr"


def _ctx(tmp_path: Path, **defaults: object) -> registry.ConnectorContext:
    environ = {"SP_USER": "CORP\\svc-ragwarden", "SP_PASSWORD": "s3cret-Passw0rd"}
    return registry.ConnectorContext(max_file_bytes=1000, environ=environ, state_dir=tmp_path,
                                     sharepoint_server=defaults)  # fmt: skip


def test_the_sources_file_takes_a_sharepoint_server_entry() -> None:
    text = (f"sources:\n  - name: intranet-hr\n    location: {URL}\n    username_env: SP_USER\n"
            "    password_env: SP_PASSWORD\n    auth: ntlm\n    reconcile_interval: 12h\n")  # fmt: skip
    (spec,) = parse_sources(text, origin="test", schemes=registry.scheme_options(),
                            environ={"SP_USER": "CORP\\svc", "SP_PASSWORD": "s3cret-Passw0rd"})  # fmt: skip
    assert spec.scheme == "sharepoint+ntlm" and spec.options["auth"] == "ntlm"


def test_credentials_come_from_the_variables_or_the_settings(tmp_path: Path) -> None:
    named = SourceSpec("hr", URL, "sharepoint+ntlm", username_env="SP_USER", password_env="SP_PASSWORD")
    assert isinstance(registry.build_connector(named, _ctx(tmp_path)), SharePointServerConnector)
    bare = SourceSpec("hr", URL, "sharepoint+ntlm")
    found = registry.build_connector(bare, _ctx(tmp_path, username="CORP\\svc", password="s3cret-Passw0rd"))
    assert found.source_spec().location == URL  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError, match="RAGWARDEN_SHAREPOINT_SERVER_USERNAME"):
        registry.build_connector(bare, _ctx(tmp_path))


@pytest.mark.parametrize(
    ("location", "options", "message"),
    [
        ("sharepoint+ntlm://CORP%5Csvc:pw@sharepoint.corp.example/sites/hr", {}, "not the URL"),
        ("sharepoint+ntlm://sharepoint.corp.example/", {}, "expected sharepoint\\+ntlm://<host>/sites/<site>"),
        (URL, {"auth": "basic"}, "auth must be one of ntlm, kerberos"),
    ],
)
def test_bad_entries_are_refused_clearly(tmp_path: Path, location: str, options: dict[str, str], message: str) -> None:
    spec = SourceSpec("hr", location, "sharepoint+ntlm", username_env="SP_USER", password_env="SP_PASSWORD",
                      options=options)  # fmt: skip
    with pytest.raises(ConfigurationError, match=message):
        registry.build_connector(spec, _ctx(tmp_path))


def test_an_account_without_its_domain_is_refused(tmp_path: Path) -> None:
    spec = SourceSpec("hr", URL, "sharepoint+ntlm")
    with pytest.raises(ConfigurationError, match=r"DOMAIN\\user"):
        registry.build_connector(spec, _ctx(tmp_path, username="svc", password="s3cret-Passw0rd"))


@pytest.mark.skipif(importlib.util.find_spec("gssapi") is not None, reason="gssapi is installed here")
def test_kerberos_without_gssapi_says_what_to_install(tmp_path: Path) -> None:
    spec = SourceSpec("hr", URL, "sharepoint+ntlm", username_env="SP_USER", password_env="SP_PASSWORD",
                      options={"auth": "kerberos"})  # fmt: skip
    with pytest.raises(ConfigurationError, match="gssapi"):
        registry.build_connector(spec, _ctx(tmp_path))
