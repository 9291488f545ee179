"""The directory file's format and its validation: parsed YAML to :class:`UserEntry` and :class:`GroupEntry`.

Apart from the directory so that the rules of the file (known keys only, names that are valid tokens,
no duplicate keys, every referenced group defined) read in one place, and every problem is a
:class:`ConfigurationError` naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError, ConfigurationError

_USER_KEYS = frozenset({"groups", "display_name", "disabled"})
_GROUP_KEYS = frozenset({"member_of", "display_name"})
_TOP_KEYS = frozenset({"users", "groups"})
_Entry = TypeVar("_Entry")


@dataclass(frozen=True, slots=True)
class UserEntry:
    name: str
    groups: tuple[str, ...]
    display_name: str
    disabled: bool


@dataclass(frozen=True, slots=True)
class GroupEntry:
    name: str
    member_of: tuple[str, ...]
    display_name: str


def parse_directory(data: Any, origin: str) -> tuple[dict[str, UserEntry], dict[str, GroupEntry]]:
    """Validate ``data`` (the parsed YAML): (users, groups) by canonical name; errors name ``origin``."""
    top = _mapping(data, origin, "the top level")
    unknown = sorted(str(k) for k in top if k not in _TOP_KEYS)
    if unknown:
        raise ConfigurationError(f"{origin}: unknown top-level keys {unknown} (expected users, groups)")
    groups = _parse_entries(top.get("groups"), origin, "groups", _parse_group)
    users = _parse_entries(top.get("users"), origin, "users", _parse_user)
    for g in groups.values():
        _check_defined(g.member_of, groups, origin, f"groups.{g.name}.member_of")
    for u in users.values():
        _check_defined(u.groups, groups, origin, f"users.{u.name}.groups")
    return users, groups


def _mapping(value: Any, origin: str, where: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{origin}: {where} must be a mapping, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _name(raw: Any, origin: str, where: str, kind: str) -> str:
    if not isinstance(raw, str):
        # YAML reads unquoted yes/no/on/off/123 as bool or int; say so instead of a bare type error.
        raise ConfigurationError(f"{origin}: {where}: {kind} name {raw!r} must be a string (quote it)")
    try:
        return tokens.name_of(tokens.user(raw) if kind == "user" else tokens.group(raw))
    except AccessControlError as exc:
        raise ConfigurationError(
            f"{origin}: {where}: invalid {kind} name {raw!r} (letters, digits and . _ @ - only)"
        ) from exc


def _parse_entries(
    section: Any, origin: str, where: str, parse: Callable[[str, Any, str, str], _Entry]
) -> dict[str, _Entry]:
    if section is None:
        return {}
    entries: dict[str, _Entry] = {}
    for raw_name, body in _mapping(section, origin, where).items():
        kind = "user" if where == "users" else "group"
        name = _name(raw_name, origin, where, kind)
        if name in entries:
            raise ConfigurationError(f"{origin}: {where}.{raw_name}: defined twice (names ignore case)")
        entries[name] = parse(name, body, origin, f"{where}.{raw_name}")
    return entries


def _fields(body: Any, origin: str, where: str, allowed: frozenset[str]) -> Mapping[Any, Any]:
    # ``hr:`` with nothing after it is an empty entry, the same as ``hr: {}``.
    fields = {} if body is None else _mapping(body, origin, where)
    unknown = sorted(str(k) for k in fields if k not in allowed)
    if unknown:
        raise ConfigurationError(f"{origin}: {where}: unknown keys {unknown} (allowed: {sorted(allowed)})")
    return fields


def _names(value: Any, origin: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigurationError(f"{origin}: {where} must be a list of group names, got {_kind(value)}")
    return tuple(dict.fromkeys(_name(v, origin, where, "group") for v in value))


def _display(fields: Mapping[Any, Any], name: str, origin: str, where: str) -> str:
    value = fields.get("display_name")
    if value is None:
        return name
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{origin}: {where}.display_name must be a non-empty string")
    return value.strip()


def _parse_user(name: str, body: Any, origin: str, where: str) -> UserEntry:
    fields = _fields(body, origin, where, _USER_KEYS)
    disabled = fields.get("disabled", False)
    if not isinstance(disabled, bool):
        raise ConfigurationError(f"{origin}: {where}.disabled must be true or false, got {disabled!r}")
    groups = _names(fields.get("groups"), origin, f"{where}.groups")
    return UserEntry(name, groups, _display(fields, name, origin, where), disabled)


def _parse_group(name: str, body: Any, origin: str, where: str) -> GroupEntry:
    fields = _fields(body, origin, where, _GROUP_KEYS)
    member_of = _names(fields.get("member_of"), origin, f"{where}.member_of")
    return GroupEntry(name, member_of, _display(fields, name, origin, where))


def _check_defined(names: Iterable[str], groups: Mapping[str, GroupEntry], origin: str, where: str) -> None:
    for name in names:
        if name not in groups:
            raise ConfigurationError(
                f"{origin}: {where}: group {name!r} is referenced but not defined under 'groups:'"
            )


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(_BaseLoader):
    """A safe loader that refuses duplicate keys: PyYAML would silently keep the last one, and a
    second ``alice:`` entry quietly replacing the first is not something to guess about."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base constructor reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return dict(super().construct_mapping(node, deep=deep))
