"""The local directory: users and nested groups from a YAML file (small deployments, the demo, tests).

    users:
      alice: {groups: [hr-leads], display_name: Alice Adler}
      bob:   {groups: [rnd], disabled: false}
    groups:
      hr-leads: {member_of: [hr], display_name: HR-Leitung}
      hr: {}

A user's tokens are ``user:<name>``, every group reached through ``groups``/``member_of`` at any depth
(cycles tolerated) and ``everyone``. Unknown and disabled users resolve to an empty scope: they see nothing.
Names are case-insensitive, as the tokens are. Anything not understood in the file is a
:class:`ConfigurationError` naming the file and the entry, never a silently narrower or wider directory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ragwarden.acl import tokens
from ragwarden.acl.principals import Emittable
from ragwarden.core.errors import AccessControlError, ConfigurationError
from ragwarden.core.models import AccessScope

_USER_KEYS = frozenset({"groups", "display_name", "disabled"})
_GROUP_KEYS = frozenset({"member_of", "display_name"})
_TOP_KEYS = frozenset({"users", "groups"})
_Entry = TypeVar("_Entry")


@dataclass(frozen=True, slots=True)
class _User:
    name: str
    groups: tuple[str, ...]
    display_name: str
    disabled: bool


@dataclass(frozen=True, slots=True)
class _Group:
    name: str
    member_of: tuple[str, ...]
    display_name: str


class LocalDirectory:
    """A :class:`~ragwarden.core.ports.PrincipalResolver` over a YAML file; immutable once loaded.

    Group closures and every user's token set are computed once at load, in time linear in the size
    of the group graph plus the closures, so ``resolve`` is a dictionary look-up.
    """

    def __init__(self, users: Mapping[str, _User], groups: Mapping[str, _Group]) -> None:
        self._users = dict(users)
        self._groups = dict(groups)
        # The closure runs over the tokens themselves, so no group is formatted more than once.
        token_of = {name: tokens.group(name) for name in self._groups}
        closure_tokens = _closures(
            {token_of[n]: tuple(token_of[m] for m in g.member_of) for n, g in self._groups.items()}
        )
        self._scopes: dict[str, frozenset[str]] = {}
        for name, entry in self._users.items():
            if entry.disabled:
                continue
            granted = {tokens.user(name), tokens.EVERYONE}
            for direct in entry.groups:
                granted |= closure_tokens[token_of[direct]]
            self._scopes[name] = frozenset(granted)

    @classmethod
    def from_file(cls, path: Path | str) -> LocalDirectory:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"directory file {path}: cannot be read: {exc}") from exc
        try:
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"directory file {path}: malformed YAML: {exc}") from exc
        if data is None:
            raise ConfigurationError(f"directory file {path}: is empty (expected 'users:' and 'groups:')")
        return cls.from_mapping(data, origin=f"directory file {path}")

    @classmethod
    def from_mapping(cls, data: Any, *, origin: str = "directory") -> LocalDirectory:
        """Validate ``data`` (the parsed YAML) and build the directory; errors name ``origin``."""
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
        return cls(users, groups)

    def resolve(self, user: str) -> AccessScope:
        """All tokens of ``user``; an unknown, disabled or malformed name gets an empty scope."""
        name = _canonical(user)
        granted = self._scopes.get(name) if name is not None else None
        return AccessScope(principal=name or str(user), tokens=granted or frozenset())

    def emittable(self) -> Emittable:
        """The tokens a scope from this file can hold: its users (disabled ones too: their token names
        someone real, who merely sees nothing now), its groups, and ``everyone``."""
        named = {tokens.user(n) for n in self._users} | {tokens.group(n) for n in self._groups}
        return Emittable(exact=frozenset(named | {tokens.EVERYONE}))

    def describe(self, token: str) -> str:
        """A human-readable name for ``token``, e.g. ``group hr-leads (HR-Leitung)``."""
        kind, name = tokens.kind_of(token), tokens.name_of(token)
        if kind == "everyone":
            return "everyone (every user of the local directory)"
        entry: _User | _Group | None
        if kind == "user":
            entry = self._users.get(name.lower())
        elif kind == "group":
            entry = self._groups.get(name.lower())
        else:
            return token
        if entry is None:
            return f"{kind} {name} (not in the local directory)"
        if entry.display_name != entry.name:
            return f"{kind} {entry.name} ({entry.display_name})"
        return f"{kind} {entry.name}"

    def users(self) -> list[str]:
        """Every user name (canonical, lower-case), disabled ones included, sorted."""
        return sorted(self._users)

    def groups(self) -> list[str]:
        return sorted(self._groups)

    def display_name(self, user: str) -> str:
        """The user's display name, else their canonical name; an unknown name comes back as given."""
        name = _canonical(user)
        entry = self._users.get(name) if name is not None else None
        return entry.display_name if entry is not None else str(user)

    def is_enabled(self, user: str) -> bool:
        name = _canonical(user)
        return name is not None and name in self._scopes


def _canonical(user: object) -> str | None:
    if not isinstance(user, str):
        return None
    try:
        return tokens.name_of(tokens.user(user.strip()))
    except AccessControlError:
        return None


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


def _parse_user(name: str, body: Any, origin: str, where: str) -> _User:
    fields = _fields(body, origin, where, _USER_KEYS)
    disabled = fields.get("disabled", False)
    if not isinstance(disabled, bool):
        raise ConfigurationError(f"{origin}: {where}.disabled must be true or false, got {disabled!r}")
    groups = _names(fields.get("groups"), origin, f"{where}.groups")
    return _User(name, groups, _display(fields, name, origin, where), disabled)


def _parse_group(name: str, body: Any, origin: str, where: str) -> _Group:
    fields = _fields(body, origin, where, _GROUP_KEYS)
    member_of = _names(fields.get("member_of"), origin, f"{where}.member_of")
    return _Group(name, member_of, _display(fields, name, origin, where))


def _check_defined(names: Iterable[str], groups: Mapping[str, _Group], origin: str, where: str) -> None:
    for name in names:
        if name not in groups:
            raise ConfigurationError(
                f"{origin}: {where}: group {name!r} is referenced but not defined under 'groups:'"
            )


def _closures(edges: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Every group reachable from each group, itself included; cycles are tolerated.

    Iterative Tarjan: strongly connected components come out in reverse topological order, so a
    component's closure is its members plus the (already final) closures of its successors. No
    recursion, so a chain thousands of groups deep is fine.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    closure: dict[str, frozenset[str]] = {}
    work: list[tuple[str, Iterator[str]]] = []  # the explicit call stack of the depth-first search

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        work.append((node, iter(edges[node])))

    for start in edges:
        if start in index:
            continue
        visit(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    visit(nxt)
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    _close_component(node, stack, on_stack, edges, closure)
    return closure


def _close_component(
    root: str,
    stack: list[str],
    on_stack: set[str],
    edges: Mapping[str, tuple[str, ...]],
    closure: dict[str, frozenset[str]],
) -> None:
    component: list[str] = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            break
    members = set(component)
    reach = set(members)
    for member in component:
        for nxt in edges[member]:
            if nxt not in members:
                reach |= closure[nxt]
    frozen = frozenset(reach)
    for member in component:
        closure[member] = frozen


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):
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
