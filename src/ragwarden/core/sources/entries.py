"""One source entry of the sources file, validated: its name, its location (folder path or URL, never
with credentials in it), the options of its scheme, ``watch``, the intervals, the credential variables.

Each rule raises a :class:`~ragwarden.core.sources.yaml_nodes.Problem` naming the line of the culprit;
:func:`ragwarden.core.sources.parse_sources` turns it into a ``ConfigurationError`` with the file's name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ragwarden.core.settings.placeholders import PLACEHOLDER_SECRETS
from ragwarden.core.sources.durations import parse_duration
from ragwarden.core.sources.spec import (
    DEFAULT_ACL_INTERVAL,
    DEFAULT_CONTENT_INTERVAL,
    DEFAULT_MAX_ACL_AGE,
    NAME_PATTERN,
    SourceSpec,
)
from ragwarden.core.sources.yaml_nodes import Pair, Problem, items_of, line_of, value_of

_BASE_KEYS = tuple("name location watch acl_interval content_interval max_acl_age username_env password_env".split())
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_INLINE_CREDENTIAL = re.compile(
    r"(^|[_-])(user|username|login|pass|password|passwd|passphrase|pwd|secret|token|api[_-]?key|credentials?"
    r"|private[_-]?key)s?($|[_-])"
)


def parse_entry(node: yaml.Node, schemes: Mapping[str, Collection[str]], env: Mapping[str, str]) -> SourceSpec:
    if not isinstance(node, yaml.MappingNode):
        raise Problem(line_of(node), "each source is a mapping with at least 'name' and 'location'")
    items = items_of(node)
    for required in ("name", "location"):
        if required not in items:
            raise Problem(line_of(node), f"this source has no {required!r}")
    name = _name(items["name"])
    scheme, location = _location(items["location"], schemes)
    options = _options(items, scheme, schemes[scheme])
    users = _credential_variables(items, env)
    if scheme == "smb":
        _require_share_allow(items, node)
    return SourceSpec(
        name,
        location,
        scheme,
        _watch(items),
        **_intervals(items),
        username_env=users[0],
        password_env=users[1],
        options=MappingProxyType(options),
        line=line_of(node),
    )


def _name(pair: Pair) -> str:
    value = value_of(pair[1])
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise Problem(
            line_of(pair[0]),
            f"name {value!r} is not a valid source name: 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit (quote it if YAML reads it as a number)",
        )
    return value


def _location(pair: Pair, schemes: Mapping[str, Collection[str]]) -> tuple[str, str]:
    """(scheme, normalised location); never echoes a URL, which may hold a password."""
    line, value = line_of(pair[0]), value_of(pair[1])
    if not isinstance(value, str) or not value.strip():
        raise Problem(line, "location must be a folder path or a URL")
    value = value.strip()
    written = match.group(1).lower() if (match := _URL.match(value)) else None
    if written == "folder":
        raise Problem(line, "a folder is written /absolute/path or file:///absolute/path")
    scheme = "folder" if written in (None, "file") else str(written)
    if scheme not in schemes:
        raise Problem(line, f"unknown scheme {scheme!r} (known: {', '.join(sorted(schemes))})")
    if written is None:
        return scheme, _folder_path(value, line)
    parts = urlsplit(value)
    if "@" in parts.netloc:
        raise Problem(line, "credentials do not go in the URL: name variables with username_env and password_env")
    if scheme == "folder":
        if parts.netloc not in ("", "localhost"):
            raise Problem(line, "a file:// URL names a local folder: file:///absolute/path")
        return scheme, _folder_path(unquote(parts.path), line)
    if scheme == "smb" and not (parts.hostname and unquote(parts.path).strip("/")):
        raise Problem(line, "an SMB location is smb://server/share[/path]: the server or the share is missing")
    return scheme, value


def _folder_path(text: str, line: int) -> str:
    try:
        path = Path(text).expanduser()
        if not path.is_absolute():
            raise Problem(line, f"location {text!r} is a relative path: write /absolute/path, ~/path or a URL")
        return str(path.resolve())
    except (RuntimeError, ValueError, OSError) as exc:
        raise Problem(line, f"location {text!r} is not a usable folder path ({exc})") from None


def _options(items: dict[str, Pair], scheme: str, allowed: Collection[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, (key_node, value_node) in items.items():
        if key in _BASE_KEYS:
            continue
        if key not in allowed and _INLINE_CREDENTIAL.search(key.lower()):
            what = "secrets are not written in the sources file: name an environment variable with password_env"
            raise Problem(line_of(key_node), f"{key!r}: {what} (and username_env)")
        if key not in allowed:
            names = ", ".join([*_BASE_KEYS, *sorted(allowed)])
            raise Problem(line_of(key_node), f"unknown key {key!r} for a {scheme} source (allowed: {names})")
        options[key] = value_of(value_node)
    return options


def _require_share_allow(items: dict[str, Pair], node: yaml.Node) -> None:
    """An smb source says what its share's permissions admit: an unsaid share permission used to mean
    "no share restriction", which widens access wherever the share is narrower than its files."""
    help_text = (
        "an smb source needs share_allow: the SIDs the share's own permissions admit "
        '(e.g. share_allow: ["S-1-5-21-…-1105"]), or share_allow: ["everyone"] for a share open to Everyone'
    )
    if "share_allow" not in items:
        raise Problem(line_of(node), help_text)
    key_node, value_node = items["share_allow"]
    value = value_of(value_node)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise Problem(line_of(key_node), f"share_allow must be a non-empty list; {help_text}")


def _watch(items: dict[str, Pair]) -> bool:
    if "watch" not in items:
        return False
    key_node, node = items["watch"]
    # true/false only: "yes", "on" or a quoted "true" are too easy to mistype or misread.
    is_bool = isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool"
    if not is_bool or node.value.lower() not in ("true", "false"):
        raise Problem(line_of(key_node), "watch must be true or false")
    return str(node.value).lower() == "true"


def _intervals(items: dict[str, Pair]) -> dict[str, float]:
    values = dict(acl_interval=DEFAULT_ACL_INTERVAL, content_interval=DEFAULT_CONTENT_INTERVAL)
    values["max_acl_age"] = DEFAULT_MAX_ACL_AGE
    lines: dict[str, int] = {}
    for key in (key for key in values if key in items):
        lines[key] = line_of(items[key][0])
        try:
            values[key] = parse_duration(value_of(items[key][1]))
        except ValueError as exc:
            raise Problem(lines[key], f"{key}: {exc}") from None
    for key in ("acl_interval", "content_interval"):
        if values[key] < 1:
            raise Problem(lines[key], f"{key} must be at least 1 second")
    if values["max_acl_age"] <= values["acl_interval"]:
        raise Problem(
            lines.get("max_acl_age", lines.get("acl_interval", 0)),
            f"max_acl_age ({values['max_acl_age']:g}s) must be longer than acl_interval "
            f"({values['acl_interval']:g}s), or the source's permissions would always count as stale",
        )
    return values


def _credential_variables(items: dict[str, Pair], env: Mapping[str, str]) -> tuple[str | None, str | None]:
    names: dict[str, str] = {}
    for key in ("username_env", "password_env"):
        if key in items:
            value = value_of(items[key][1])  # never echoed: it may be a secret written by mistake
            if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
                raise Problem(line_of(items[key][0]), f"{key} must name an environment variable (letters, digits, '_')")
            names[key] = value
    if len(names) == 1:
        (given,) = names
        missing = "password_env" if given == "username_env" else "username_env"
        raise Problem(line_of(items[given][0]), f"{given} needs {missing}: name both variables or neither")
    for key, variable in names.items():
        if not env.get(variable):
            raise Problem(line_of(items[key][0]), f"{key}: environment variable {variable} is not set")
    if names and env[names["password_env"]].strip().lower() in PLACEHOLDER_SECRETS:
        what = f"password_env: {names['password_env']} holds a placeholder; set the real password"
        raise Problem(line_of(items["password_env"][0]), what)
    return names.get("username_env"), names.get("password_env")
