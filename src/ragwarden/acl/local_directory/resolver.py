"""The local directory itself: :class:`LocalDirectory`, a resolver over users and groups loaded from a file.

Every user's token set is computed once at load (from :mod:`.file_format` entries and the group
:mod:`.closures`), so the resolver is a dictionary look-up plus the names it shows to people.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ragwarden.acl import tokens
from ragwarden.acl.local_directory.closures import closures
from ragwarden.acl.local_directory.file_format import GroupEntry, UniqueKeyLoader, UserEntry, parse_directory
from ragwarden.acl.principals import Emittable
from ragwarden.core.errors import AccessControlError, ConfigurationError
from ragwarden.core.models import AccessScope


class LocalDirectory:
    """A :class:`~ragwarden.core.ports.PrincipalResolver` over a YAML file; immutable once loaded.

    Group closures and every user's token set are computed once at load, in time linear in the size
    of the group graph plus the closures, so ``resolve`` is a dictionary look-up.
    """

    def __init__(self, users: Mapping[str, UserEntry], groups: Mapping[str, GroupEntry]) -> None:
        self._users = dict(users)
        self._groups = dict(groups)
        # The closure runs over the tokens themselves, so no group is formatted more than once.
        token_of = {name: tokens.group(name) for name in self._groups}
        closure_tokens = closures(
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
            data = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"directory file {path}: malformed YAML: {exc}") from exc
        if data is None:
            raise ConfigurationError(f"directory file {path}: is empty (expected 'users:' and 'groups:')")
        return cls.from_mapping(data, origin=f"directory file {path}")

    @classmethod
    def from_mapping(cls, data: Any, *, origin: str = "directory") -> LocalDirectory:
        """Validate ``data`` (the parsed YAML) and build the directory; errors name ``origin``."""
        users, groups = parse_directory(data, origin)
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
        entry: UserEntry | GroupEntry | None
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
