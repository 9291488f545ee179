"""The sources file loads whole or not at all, and every problem is one line naming file, line and culprit."""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.sources import load_sources, parse_sources
from ragwarden.core.sources.durations import parse_duration
from ragwarden.core.sources.spec import DEFAULT_SCHEMES, NAME_PATTERN, SourceSpec, default_folder_source_name

ENV = {"RAGWARDEN_HR_SMB_USER": "svc-rag", "RAGWARDEN_HR_SMB_PASSWORD": "s3cr3t-Passw0rd!"}

EXAMPLE = """\
sources:
  - name: shared-drive
    location: /srv/documents
    watch: true
    acl_interval: 60s        # durations: 30s, 15m, 1h, or a number of seconds
    content_interval: 15m
    max_acl_age: 1h
  - name: hr-share
    location: smb://fileserver/abteilungen/hr
    username_env: RAGWARDEN_HR_SMB_USER
    password_env: RAGWARDEN_HR_SMB_PASSWORD
    share_allow: ["S-1-5-21-1111111111-2222222222-3333333333-1105"]
"""


def parse(text: str, environ: Mapping[str, str] = ENV) -> list[SourceSpec]:
    return parse_sources(textwrap.dedent(text), origin="sources.yaml", schemes=DEFAULT_SCHEMES, environ=environ)


def problem(text: str, environ: Mapping[str, str] = ENV) -> str:
    with pytest.raises(ConfigurationError) as caught:
        parse(text, environ)
    message = str(caught.value)
    assert "\n" not in message, "a configuration error is one line"
    assert message.startswith("sources.yaml:"), message
    return message


def entry(*lines: str, name: str = "docs", location: str = "/srv/docs") -> str:
    """A one-source file; the extra lines start on line 4."""
    body = "".join(f"    {line}\n" for line in lines)
    return f"sources:\n  - name: {name}\n    location: {location}\n{body}"


# --- the example --------------------------------------------------------------------------------------------


def test_the_documented_example_parses_to_the_documented_values() -> None:
    folder, smb = parse(EXAMPLE)
    assert folder == SourceSpec(
        name="shared-drive", location="/srv/documents", scheme="folder", watch=True, acl_interval=60.0,
        content_interval=900.0, max_acl_age=3600.0, options={}, line=2,
    )  # fmt: skip
    assert (smb.name, smb.location, smb.scheme, smb.line) == ("hr-share", "smb://fileserver/abteilungen/hr", "smb", 8)
    assert (smb.watch, smb.acl_interval, smb.content_interval, smb.max_acl_age) == (False, 60.0, 900.0, 3600.0)
    assert dict(smb.options) == {"share_allow": ["S-1-5-21-1111111111-2222222222-3333333333-1105"]}
    assert (smb.username_env, smb.password_env) == ("RAGWARDEN_HR_SMB_USER", "RAGWARDEN_HR_SMB_PASSWORD")


def test_credentials_are_read_from_the_named_variables_and_stay_secret() -> None:
    folder, smb = parse(EXAMPLE)
    assert folder.credentials(ENV) is None
    credentials = smb.credentials(ENV)
    assert credentials is not None
    username, password = credentials
    assert username == "svc-rag" and password.get_secret_value() == "s3cr3t-Passw0rd!"
    assert "s3cr3t" not in repr(smb) + repr(password)
    with pytest.raises(ConfigurationError, match="RAGWARDEN_HR_SMB_PASSWORD"):
        smb.credentials({"RAGWARDEN_HR_SMB_USER": "svc-rag"})


def test_the_environment_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in ENV.items():
        monkeypatch.setenv(variable, value)
    specs = parse_sources(EXAMPLE, origin="sources.yaml", schemes=DEFAULT_SCHEMES)
    assert [spec.name for spec in specs] == ["shared-drive", "hr-share"]


def test_load_sources_reads_the_file_and_names_it_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert [spec.name for spec in load_sources(path, schemes=DEFAULT_SCHEMES, environ=ENV)] == [
        "shared-drive",
        "hr-share",
    ]
    path.write_text("sources:\n  - name: a:b\n    location: /x\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=rf"^{path}:2: "):
        load_sources(path, schemes=DEFAULT_SCHEMES, environ=ENV)
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml", schemes=DEFAULT_SCHEMES, environ=ENV)


def test_an_empty_list_means_no_sources() -> None:
    assert parse("sources: []\n") == []


def test_spec_options_are_read_only_and_specs_hashable() -> None:
    smb = parse(EXAMPLE)[1]
    with pytest.raises(TypeError):
        smb.options["port"] = 1  # type: ignore[index]
    assert len({smb, parse(EXAMPLE)[1]}) == 1


# --- locations ----------------------------------------------------------------------------------------------


def test_a_home_folder_and_a_file_url_become_absolute_folder_paths() -> None:
    home, url = parse(
        """\
        sources:
          - name: home
            location: ~/Dokumente
          - name: url
            location: file:///srv/Gem%C3%A4ß/docs
        """
    )
    assert (home.scheme, home.location) == ("folder", str((Path.home() / "Dokumente").resolve()))
    assert (url.scheme, url.location) == ("folder", "/srv/Gemäß/docs")


def test_a_folder_need_not_exist_and_dots_are_collapsed() -> None:
    (spec,) = parse(entry(location="/no/such/../folder"))
    assert spec.location == "/no/folder"


@pytest.mark.parametrize(
    ("location", "fragment"),
    [
        ("documents", "relative path"),
        ("./documents", "relative path"),
        ("ftp://server/x", "unknown scheme 'ftp' (known: folder, smb)"),
        ("folder:///srv/x", "/absolute/path"),
        ("file://otherhost/srv/x", "local folder"),
        ("smb://fileserver", "smb://server/share"),
        ("smb:///share/path", "smb://server/share"),
        ("''", "folder path or a URL"),
    ],
)
def test_a_bad_location_is_refused_on_its_line(location: str, fragment: str) -> None:
    message = problem(entry(location=location))
    assert ":3:" in message and fragment in message


def test_a_password_in_an_smb_url_is_refused_and_never_repeated() -> None:
    message = problem(entry(location="smb://alice:hunter2@fileserver/hr"))
    assert ":3:" in message and "username_env" in message and "password_env" in message
    assert "hunter2" not in message


def test_a_scheme_is_known_only_if_the_registry_passes_it() -> None:
    schemes = {**DEFAULT_SCHEMES, "sharepoint": frozenset({"site"})}
    text = entry("site: intranet", location="sharepoint://contoso.sharepoint.com/sites/hr")
    (spec,) = parse_sources(text, origin="s.yaml", schemes=schemes, environ={})
    assert (spec.scheme, dict(spec.options)) == ("sharepoint", {"site": "intranet"})
    assert "unknown scheme 'sharepoint'" in problem(text)


# --- names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hr:share", "hr/share", "hr share", "-hr", ".hidden", "a" * 65, "Ümlaut", "''"])
def test_a_name_that_cannot_be_part_of_an_id_is_refused(name: str) -> None:
    message = problem(entry(name=name))
    assert ":2:" in message and "name" in message


def test_a_name_yaml_reads_as_a_number_is_refused_with_a_hint() -> None:
    assert "quote it" in problem(entry(name="2024"))


def test_a_duplicate_name_names_both_lines_even_when_case_differs() -> None:
    message = problem(
        """\
        sources:
          - name: docs
            location: /srv/a
          - name: Docs
            location: /srv/b
        """
    )
    assert message.startswith("sources.yaml:4:") and "line 2" in message and "'Docs'" in message


# --- keys ---------------------------------------------------------------------------------------------------


def test_an_unknown_key_is_named_with_its_line_and_the_allowed_keys() -> None:
    message = problem(entry("watch: false", "recursive: true"))
    assert ":5:" in message and "'recursive'" in message and "include_hidden" in message and "acl_interval" in message


def test_options_are_checked_against_the_sources_own_scheme() -> None:
    message = problem(entry("share_allow: [S-1-1-0]"))  # an smb option on a folder source
    assert ":4:" in message and "'share_allow'" in message and "folder source" in message


@pytest.mark.parametrize("key", ["password", "secret", "client_secret", "token", "api_key", "username", "smb_pass"])
def test_an_inline_secret_is_refused_with_a_pointer_to_password_env(key: str) -> None:
    message = problem(entry(f"{key}: hunter2"))
    assert ":4:" in message and repr(key) in message and "password_env" in message
    assert "hunter2" not in message


@pytest.mark.parametrize("missing", ["name", "location"])
def test_a_source_without_name_or_location_is_refused_on_its_line(missing: str) -> None:
    lines = {"name": "location: /srv/x", "location": "name: x"}
    message = problem(f"sources:\n  - watch: true\n    {lines[missing]}\n")
    assert ":2:" in message and repr(missing) in message


def test_a_duplicate_key_in_an_entry_is_refused_instead_of_keeping_the_last() -> None:
    message = problem(entry("acl_interval: 30s", "acl_interval: 2m"))
    assert ":5:" in message and "duplicate key 'acl_interval'" in message and "line 4" in message


def test_a_duplicate_key_deep_inside_an_option_is_refused() -> None:
    schemes = {"folder": frozenset({"include"})}
    text = entry("include:", "  - {glob: '*.pdf', glob: '*.doc'}")
    with pytest.raises(ConfigurationError, match=r"^s\.yaml:5: duplicate key 'glob'"):
        parse_sources(text, origin="s.yaml", schemes=schemes, environ={})


# --- watch --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ['"true"', "yes", "on", "1", "~"])
def test_watch_takes_only_a_real_boolean(value: str) -> None:
    message = problem(entry(f"watch: {value}"))
    assert ":4:" in message and "watch must be true or false" in message


# --- credentials --------------------------------------------------------------------------------------------


def test_a_variable_that_is_not_set_is_named_with_its_line() -> None:
    environ = {"RAGWARDEN_HR_SMB_USER": "svc-rag", "RAGWARDEN_HR_SMB_PASSWORD": ""}
    message = problem(EXAMPLE, environ)
    assert ":11:" in message and "RAGWARDEN_HR_SMB_PASSWORD" in message and "not set" in message


def test_username_env_without_password_env_is_refused() -> None:
    message = problem(entry("username_env: RAGWARDEN_HR_SMB_USER"))
    assert ":4:" in message and "password_env" in message and "both" in message


def test_a_variable_name_must_be_a_name_and_is_never_echoed() -> None:
    message = problem(entry("username_env: RAGWARDEN_HR_SMB_USER", "password_env: 'hunter2!'"))
    assert ":5:" in message and "password_env must name an environment variable" in message
    assert "hunter2" not in message


def test_a_placeholder_password_is_refused() -> None:
    message = problem(EXAMPLE, {**ENV, "RAGWARDEN_HR_SMB_PASSWORD": "changeme"})
    assert ":11:" in message and "placeholder" in message and "changeme" not in message


# --- durations ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (45, 45.0), (45.5, 45.5), ("45", 45.0), ("30s", 30.0), ("15m", 900.0), ("1h", 3600.0), ("1d", 86400.0),
        ("2h30m", 9000.0), ("1h 30m", 5400.0), ("1.5h", 5400.0), (" 10M ", 600.0), ("1d2h3m4s", 93784.0),
    ],
)  # fmt: skip
def test_durations_are_seconds(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value",
    [True, False, 0, -5, "0s", "-5s", "", "abc", "5x", "5 minutes", "30m1h", "1h1h", "inf", "nan",
     float("inf"), float("nan"), 10**400, None, [30], "1e3"],
)  # fmt: skip
def test_bad_durations_are_refused_with_a_clear_message(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_a_bad_duration_is_refused_on_its_line() -> None:
    message = problem(entry("content_interval: 15 minutes"))
    assert ":4:" in message and "content_interval" in message and "'15 minutes'" in message


def test_intervals_shorter_than_a_second_are_refused() -> None:
    message = problem(entry("acl_interval: 0.5"))
    assert ":4:" in message and "acl_interval must be at least 1 second" in message


def test_max_acl_age_must_exceed_acl_interval_or_every_source_is_always_stale() -> None:
    message = problem(entry("acl_interval: 10m", "max_acl_age: 10m"))
    assert ":5:" in message and "max_acl_age" in message and "stale" in message
    message = problem(entry("acl_interval: 2h"))  # longer than the default max_acl_age of 1h
    assert ":4:" in message and "max_acl_age" in message


# --- file shape ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    assert "sources.yaml:1: no sources" in problem(text)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("- name: x\n", 1, "top level"),
        ("sources: []\nextra: 1\n", 2, "'extra'"),
        ("source: []\n", 1, "'source'"),
        ("sources:\n", 1, "list"),
        ("sources: {name: x}\n", 1, "list"),
        ("sources: []\nsources: []\n", 2, "duplicate key 'sources'"),
        ("sources:\n  - just-a-string\n", 2, "mapping"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_on_the_right_line(text: str, line: int, fragment: str) -> None:
    message = problem(text)
    assert f":{line}:" in message and fragment in message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("sources:\n  - name: x\n    location: /a\n   bad: indent\n", 4),
        ("sources:\n  - name: [unclosed\n", 3),
        ("sources:\n  - name: x\n    location: !!python/object:os.system /a\n", 3),
        ("sources:\n  - name: x\n\x00", 3),
    ],
)
def test_yaml_syntax_errors_carry_the_line(text: str, line: int) -> None:
    message = problem(text)
    assert f"sources.yaml:{line}: not valid YAML" in message


def test_nothing_is_half_loaded_a_bad_last_entry_fails_the_whole_file() -> None:
    text = EXAMPLE + "  - name: broken\n    location: relative/path\n"
    with pytest.raises(ConfigurationError, match=r"^sources\.yaml:14: "):
        parse(text)


# --- default folder source names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "folder", ["documents", "Meine Dokumente", "Gemäß Übersicht", "v1.2.final", "...", "x" * 200, "-_-", "日本語"]
)
def test_a_default_folder_name_is_a_valid_source_name_for_odd_folders(folder: str, tmp_path: Path) -> None:
    name = default_folder_source_name(tmp_path / folder)
    assert NAME_PATTERN.fullmatch(name), name
    assert name.endswith("-" + hashlib.sha256(str((tmp_path / folder).resolve()).encode()).hexdigest()[:8])


def test_a_default_folder_name_is_readable() -> None:
    assert default_folder_source_name(Path("/srv/Gemäß Übersicht")).startswith("gemass-ubersicht-")
    assert default_folder_source_name(Path("/srv/documents")).startswith("documents-")
    assert default_folder_source_name(Path("/")).startswith("folder-")
    assert len(default_folder_source_name(Path("/srv") / ("x" * 200))) == 40 + 1 + 8


def test_a_default_folder_name_is_stable_across_spellings_of_the_same_folder(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "docs")
    name = default_folder_source_name(tmp_path / "docs")
    assert name == default_folder_source_name(tmp_path / "docs")
    assert name == default_folder_source_name(tmp_path / "sub" / ".." / "docs")
    assert name == default_folder_source_name(tmp_path / "link")


def test_default_folder_names_are_distinct_for_folders_with_the_same_basename(tmp_path: Path) -> None:
    names = {default_folder_source_name(tmp_path / parent / "documents") for parent in ("a", "b", "A", "a b")}
    assert len(names) == 4
