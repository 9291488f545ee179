"""The sources file: which document sources the server keeps in sync.

::

    sources:
      - name: hr-share
        location: smb://fileserver/abteilungen/hr
        acl_interval: 60s
        username_env: RAGWARDEN_HR_SMB_USER
        password_env: RAGWARDEN_HR_SMB_PASSWORD
        share_allow: ["S-1-5-21-1111111111-2222222222-3333333333-1105"]   # or ["everyone"]; required

A file loads whole or not at all. Every problem is one ``ConfigurationError`` reading ``file:line: what is
wrong``; the lines come from the composed YAML node tree. Secrets never appear in the file: a source names the
environment variables that hold them.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import SecretStr

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.settings import PLACEHOLDER_SECRETS

DEFAULT_ACL_INTERVAL = 60.0
DEFAULT_CONTENT_INTERVAL = 900.0
DEFAULT_MAX_ACL_AGE = 3600.0
DEFAULT_SCHEMES: Mapping[str, frozenset[str]] = MappingProxyType(
    {"folder": frozenset({"include_hidden"}), "smb": frozenset({"share_allow", "include", "exclude", "port"})}
)
# No colon, no slash: the name becomes part of document ids and URLs.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

_BASE_KEYS = tuple("name location watch acl_interval content_interval max_acl_age username_env password_env".split())
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_INLINE_CREDENTIAL = re.compile(
    r"(^|[_-])(user|username|login|pass|password|passwd|passphrase|pwd|secret|token|api[_-]?key|credentials?"
    r"|private[_-]?key)s?($|[_-])"
)
_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(rf"(?:({_NUMBER})d)?\s*(?:({_NUMBER})h)?\s*(?:({_NUMBER})m)?\s*(?:({_NUMBER})s)?")
_UNIT_SECONDS = (86400.0, 3600.0, 60.0, 1.0)
_DURATION_HELP = "write seconds (45) or 30s, 15m, 1h, 1d, 2h30m"

_Pair = tuple[yaml.Node, yaml.Node]  # (key node, value node)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source of the file, validated; ``location`` is normalised (folders absolute, URLs unchanged)."""

    name: str
    location: str
    scheme: str
    watch: bool = False
    acl_interval: float = DEFAULT_ACL_INTERVAL
    content_interval: float = DEFAULT_CONTENT_INTERVAL
    max_acl_age: float = DEFAULT_MAX_ACL_AGE
    username_env: str | None = None
    password_env: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    line: int = 0

    def credentials(self, environ: Mapping[str, str]) -> tuple[str, SecretStr] | None:
        """(username, password) from the named variables; None when the source names none."""
        if self.username_env is None or self.password_env is None:
            return None
        for variable in (self.username_env, self.password_env):
            if not environ.get(variable):
                raise ConfigurationError(f"source {self.name!r}: environment variable {variable} is not set")
        return environ[self.username_env], SecretStr(environ[self.password_env])


def parse_duration(value: object) -> float:
    """Seconds from 45, 45.5, "45", "30s", "15m", "1.5h", "1d", "2h30m" (units d, h, m, s, largest first)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a duration: {_DURATION_HELP}")
    if isinstance(value, str):
        text = value.strip().lower()
        match = _DURATION.fullmatch(text)
        if re.fullmatch(_NUMBER, text):
            seconds = float(text)
        elif text and match is not None:
            seconds = sum(float(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)
        else:
            raise ValueError(f"{value!r} is not a duration: {_DURATION_HELP}")
    else:
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a duration must be a finite time longer than zero, got {value!r}")
    return seconds


def default_folder_source_name(path: Path) -> str:
    """The source name of a folder ingested without a sources file: readable, stable, one per real folder."""
    resolved = Path(path).expanduser().resolve()
    # Fold accents (ü -> u, ß -> ss) so German folder names stay readable.
    folded = "".join(c for c in unicodedata.normalize("NFKD", resolved.name.casefold()) if not unicodedata.combining(c))
    base = re.sub(r"[^a-z0-9._-]+", "-", folded).strip("._-")[:40].rstrip("._-") or "folder"
    digest = hashlib.sha256(os.fsencode(str(resolved))).hexdigest()[:8]
    return f"{base}-{digest}"


def load_sources(
    path: Path, *, schemes: Mapping[str, Collection[str]], environ: Mapping[str, str] | None = None
) -> list[SourceSpec]:
    """Every source in the file at ``path``, or a ConfigurationError (nothing is half-loaded)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{path}: the sources file is not UTF-8 text") from exc
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the sources file ({exc.strerror or exc})") from exc
    return parse_sources(text, origin=str(path), schemes=schemes, environ=environ)


def parse_sources(
    text: str, *, origin: str, schemes: Mapping[str, Collection[str]], environ: Mapping[str, str] | None = None
) -> list[SourceSpec]:
    """Every source in ``text`` (``origin`` names the file in messages), or a ConfigurationError."""
    env = os.environ if environ is None else environ
    specs: list[SourceSpec] = []
    first_line: dict[str, int] = {}
    try:
        for node in _entry_nodes(_compose(text)):
            spec = _parse_entry(node, schemes, env)
            # Case-insensitive: "HR" and "hr" would collide on case-insensitive stores and confuse people.
            if (folded := spec.name.casefold()) in first_line:
                raise _Problem(spec.line, f"source name {spec.name!r} is already used on line {first_line[folded]}")
            first_line[folded] = spec.line
            specs.append(spec)
    except _Problem as problem:
        raise ConfigurationError(f"{origin}:{problem.line}: {problem.what}") from None
    return specs


class _Problem(Exception):
    """What is wrong on which line; ``parse_sources`` adds the file name."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(line, what)
        self.line, self.what = line, what


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _yaml_problem(exc: yaml.YAMLError, text: str) -> _Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line = mark.line + 1
    elif isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
    else:
        line = 1
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    return _Problem(line, "not valid YAML: " + " ".join(str(problem).split()))


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, text) from None


def _value(node: yaml.Node) -> Any:
    _check_nested_keys(node)
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, "") from None
    finally:
        loader.dispose()


def _items(node: yaml.MappingNode) -> dict[str, _Pair]:
    """The mapping's entries by key; a repeated key is refused (YAML would silently keep the last)."""
    items: dict[str, _Pair] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Problem(_line(key_node), "a key must be a plain name")
        if (key := str(key_node.value)) in items:
            raise _Problem(_line(key_node), f"duplicate key {key!r} (first on line {_line(items[key][0])})")
        items[key] = (key_node, value_node)
    return items


def _check_nested_keys(node: yaml.Node) -> None:
    """Refuses repeated keys at any depth of a value (aliases may make the tree cyclic)."""
    pending, seen = [node], set()
    while pending:
        if id(current := pending.pop()) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            pending.extend(value for _, value in _items(current).values())
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)


def _entry_nodes(root: yaml.Node | None) -> list[yaml.Node]:
    if root is None:
        raise _Problem(1, "no sources: the file is empty (write 'sources:' and a list of sources)")
    if not isinstance(root, yaml.MappingNode):
        raise _Problem(_line(root), "the top level must be a mapping with the one key 'sources'")
    items = _items(root)
    for key, (key_node, _) in items.items():
        if key != "sources":
            raise _Problem(_line(key_node), f"unknown top-level key {key!r}; the only key is 'sources'")
    if "sources" not in items:
        raise _Problem(_line(root), "no 'sources' key")
    key_node, value_node = items["sources"]
    if not isinstance(value_node, yaml.SequenceNode):
        raise _Problem(_line(key_node), "'sources' must be a list of sources ('sources: []' for none)")
    return list(value_node.value)


def _parse_entry(node: yaml.Node, schemes: Mapping[str, Collection[str]], env: Mapping[str, str]) -> SourceSpec:
    if not isinstance(node, yaml.MappingNode):
        raise _Problem(_line(node), "each source is a mapping with at least 'name' and 'location'")
    items = _items(node)
    for required in ("name", "location"):
        if required not in items:
            raise _Problem(_line(node), f"this source has no {required!r}")
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
        line=_line(node),
    )


def _name(pair: _Pair) -> str:
    value = _value(pair[1])
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise _Problem(
            _line(pair[0]),
            f"name {value!r} is not a valid source name: 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit (quote it if YAML reads it as a number)",
        )
    return value


def _location(pair: _Pair, schemes: Mapping[str, Collection[str]]) -> tuple[str, str]:
    """(scheme, normalised location); never echoes a URL, which may hold a password."""
    line, value = _line(pair[0]), _value(pair[1])
    if not isinstance(value, str) or not value.strip():
        raise _Problem(line, "location must be a folder path or a URL")
    value = value.strip()
    written = match.group(1).lower() if (match := _URL.match(value)) else None
    if written == "folder":
        raise _Problem(line, "a folder is written /absolute/path or file:///absolute/path")
    scheme = "folder" if written in (None, "file") else str(written)
    if scheme not in schemes:
        raise _Problem(line, f"unknown scheme {scheme!r} (known: {', '.join(sorted(schemes))})")
    if written is None:
        return scheme, _folder_path(value, line)
    parts = urlsplit(value)
    if "@" in parts.netloc:
        raise _Problem(line, "credentials do not go in the URL: name variables with username_env and password_env")
    if scheme == "folder":
        if parts.netloc not in ("", "localhost"):
            raise _Problem(line, "a file:// URL names a local folder: file:///absolute/path")
        return scheme, _folder_path(unquote(parts.path), line)
    if scheme == "smb" and not (parts.hostname and unquote(parts.path).strip("/")):
        raise _Problem(line, "an SMB location is smb://server/share[/path]: the server or the share is missing")
    return scheme, value


def _folder_path(text: str, line: int) -> str:
    try:
        path = Path(text).expanduser()
        if not path.is_absolute():
            raise _Problem(line, f"location {text!r} is a relative path: write /absolute/path, ~/path or a URL")
        return str(path.resolve())
    except (RuntimeError, ValueError, OSError) as exc:
        raise _Problem(line, f"location {text!r} is not a usable folder path ({exc})") from None


def _options(items: dict[str, _Pair], scheme: str, allowed: Collection[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, (key_node, value_node) in items.items():
        if key in _BASE_KEYS:
            continue
        if key not in allowed and _INLINE_CREDENTIAL.search(key.lower()):
            what = "secrets are not written in the sources file: name an environment variable with password_env"
            raise _Problem(_line(key_node), f"{key!r}: {what} (and username_env)")
        if key not in allowed:
            names = ", ".join([*_BASE_KEYS, *sorted(allowed)])
            raise _Problem(_line(key_node), f"unknown key {key!r} for a {scheme} source (allowed: {names})")
        options[key] = _value(value_node)
    return options


def _require_share_allow(items: dict[str, _Pair], node: yaml.Node) -> None:
    """An smb source says what its share's permissions admit: an unsaid share permission used to mean
    "no share restriction", which widens access wherever the share is narrower than its files."""
    help_text = (
        "an smb source needs share_allow: the SIDs the share's own permissions admit "
        '(e.g. share_allow: ["S-1-5-21-…-1105"]), or share_allow: ["everyone"] for a share open to Everyone'
    )
    if "share_allow" not in items:
        raise _Problem(_line(node), help_text)
    key_node, value_node = items["share_allow"]
    value = _value(value_node)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Problem(_line(key_node), f"share_allow must be a non-empty list; {help_text}")


def _watch(items: dict[str, _Pair]) -> bool:
    if "watch" not in items:
        return False
    key_node, node = items["watch"]
    # true/false only: "yes", "on" or a quoted "true" are too easy to mistype or misread.
    is_bool = isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool"
    if not is_bool or node.value.lower() not in ("true", "false"):
        raise _Problem(_line(key_node), "watch must be true or false")
    return str(node.value).lower() == "true"


def _intervals(items: dict[str, _Pair]) -> dict[str, float]:
    values = dict(acl_interval=DEFAULT_ACL_INTERVAL, content_interval=DEFAULT_CONTENT_INTERVAL)
    values["max_acl_age"] = DEFAULT_MAX_ACL_AGE
    lines: dict[str, int] = {}
    for key in (key for key in values if key in items):
        lines[key] = _line(items[key][0])
        try:
            values[key] = parse_duration(_value(items[key][1]))
        except ValueError as exc:
            raise _Problem(lines[key], f"{key}: {exc}") from None
    for key in ("acl_interval", "content_interval"):
        if values[key] < 1:
            raise _Problem(lines[key], f"{key} must be at least 1 second")
    if values["max_acl_age"] <= values["acl_interval"]:
        raise _Problem(
            lines.get("max_acl_age", lines.get("acl_interval", 0)),
            f"max_acl_age ({values['max_acl_age']:g}s) must be longer than acl_interval "
            f"({values['acl_interval']:g}s), or the source's permissions would always count as stale",
        )
    return values


def _credential_variables(items: dict[str, _Pair], env: Mapping[str, str]) -> tuple[str | None, str | None]:
    names: dict[str, str] = {}
    for key in ("username_env", "password_env"):
        if key in items:
            value = _value(items[key][1])  # never echoed: it may be a secret written by mistake
            if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
                raise _Problem(_line(items[key][0]), f"{key} must name an environment variable (letters, digits, '_')")
            names[key] = value
    if len(names) == 1:
        (given,) = names
        missing = "password_env" if given == "username_env" else "username_env"
        raise _Problem(_line(items[given][0]), f"{given} needs {missing}: name both variables or neither")
    for key, variable in names.items():
        if not env.get(variable):
            raise _Problem(_line(items[key][0]), f"{key}: environment variable {variable} is not set")
    if names and env[names["password_env"]].strip().lower() in PLACEHOLDER_SECRETS:
        what = f"password_env: {names['password_env']} holds a placeholder; set the real password"
        raise _Problem(_line(items["password_env"][0]), what)
    return names.get("username_env"), names.get("password_env")
