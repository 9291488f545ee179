"""What the on-premises connector knows of its site between runs: the libraries, every item (file or folder),
the role assignments of every object with unique permissions (as tokens), and the change token to resume
from. Kept in one JSON file in the data directory, replaced atomically after a refresh succeeds: a run that
fails half-way leaves the last complete picture, never a half-read one.

An item's ACL is not stored: it is computed when the item is yielded, from the nearest object with unique
permissions (the item, a folder above it, its library, the web). So a permission change on a folder reaches
every file below it that inherits, without asking SharePoint about each file.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragwarden.core.errors import TransientError

VERSION = 1
log = logging.getLogger(__name__)


@dataclass
class Entry:
    """A library item as ``lists(guid'…')/items`` lists it."""

    list_id: str
    item_id: int
    url: str  # FileRef: the server-relative URL
    name: str
    folder: bool
    modified: str
    length: int
    etag: str
    unique: bool

    @property
    def key(self) -> str:
        return f"item:{self.list_id}:{self.item_id}"

    @property
    def scope_path(self) -> str:
        """How REST addresses the item's role assignments."""
        return f"lists(guid'{self.list_id}')/items({self.item_id})"


@dataclass
class Scope:
    """The tokens an object's own role assignments grant (None: they could not be read), and what was left out."""

    tokens: list[str] | None
    problems: list[str] = field(default_factory=list)


@dataclass
class State:
    site_id: str = ""
    token: str | None = None
    reconciled: float = 0.0  # when the last full enumeration finished
    libraries: dict[str, dict[str, Any]] = field(default_factory=dict)  # guid -> title, url, unique
    items: dict[str, Entry] = field(default_factory=dict)  # by Entry.key
    scopes: dict[str, Scope] = field(default_factory=dict)  # web, list:<guid>, item:<guid>:<id>

    def files(self) -> list[tuple[Entry, str, Scope | None]]:
        """Every file, with the nearest object with unique permissions at or above it and that object's scope."""
        folders = {(e.list_id, e.url): e for e in self.items.values() if e.folder}
        found = []
        for entry in sorted((e for e in self.items.values() if not e.folder), key=lambda e: (e.list_id, e.item_id)):
            key = self._scope_key(entry, folders)
            found.append((entry, key, self.scopes.get(key)))
        return found

    def _scope_key(self, entry: Entry, folders: dict[tuple[str, str], Entry]) -> str:
        current: Entry | None = entry
        while current is not None:
            if current.unique:
                return current.key
            current = folders.get((entry.list_id, current.url.rsplit("/", 1)[0]))
        library = self.libraries.get(entry.list_id) or {}
        return f"list:{entry.list_id}" if library.get("unique") else "web"

    def drop_below(self, url: str, list_id: str) -> None:
        """Forget a deleted folder's descendants (SharePoint reports only the folder)."""
        for key in [k for k, e in self.items.items() if e.list_id == list_id and e.url.startswith(url + "/")]:
            del self.items[key]
            self.scopes.pop(key, None)


def load(path: Path) -> State:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return State()
    except OSError as exc:
        raise TransientError(f"the SharePoint Server mirror {path} cannot be read: {exc}") from exc
    except ValueError:
        raw = None
    try:
        return State(
            site_id=raw["site_id"], token=raw["token"], reconciled=float(raw["reconciled"]),
            libraries=raw["libraries"], items={k: Entry(**v) for k, v in raw["items"].items()},
            scopes={k: Scope(**v) for k, v in raw["scopes"].items()},
        ) if isinstance(raw, dict) and raw.get("version") == VERSION else State()  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError):
        # damaged, or an older layout: the next run enumerates the site afresh, which deletes nothing until
        # it is complete (the index keeps what it has meanwhile)
        log.warning("the SharePoint Server mirror %s is unusable: the site is read afresh", path)
        return State()


def save(path: Path, state: State) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = {"version": VERSION, **asdict(state)}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
