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

The modules: ``spec`` (:class:`SourceSpec`, what the rest of the application reads), ``entries`` (the rules of
one source entry), ``durations`` (``30s``, ``15m``, ``2h30m``), ``yaml_nodes`` (the node tree that gives every
problem its line). This module reads the file and its top level.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

import yaml

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.sources.entries import parse_entry
from ragwarden.core.sources.spec import SourceSpec
from ragwarden.core.sources.yaml_nodes import Problem, compose, items_of, line_of


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
        for node in _entry_nodes(compose(text)):
            spec = parse_entry(node, schemes, env)
            # Case-insensitive: "HR" and "hr" would collide on case-insensitive stores and confuse people.
            if (folded := spec.name.casefold()) in first_line:
                raise Problem(spec.line, f"source name {spec.name!r} is already used on line {first_line[folded]}")
            first_line[folded] = spec.line
            specs.append(spec)
    except Problem as problem:
        raise ConfigurationError(f"{origin}:{problem.line}: {problem.what}") from None
    return specs


def _entry_nodes(root: yaml.Node | None) -> list[yaml.Node]:
    if root is None:
        raise Problem(1, "no sources: the file is empty (write 'sources:' and a list of sources)")
    if not isinstance(root, yaml.MappingNode):
        raise Problem(line_of(root), "the top level must be a mapping with the one key 'sources'")
    items = items_of(root)
    for key, (key_node, _) in items.items():
        if key != "sources":
            raise Problem(line_of(key_node), f"unknown top-level key {key!r}; the only key is 'sources'")
    if "sources" not in items:
        raise Problem(line_of(root), "no 'sources' key")
    key_node, value_node = items["sources"]
    if not isinstance(value_node, yaml.SequenceNode):
        raise Problem(line_of(key_node), "'sources' must be a list of sources ('sources: []' for none)")
    return list(value_node.value)
