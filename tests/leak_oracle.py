"""The leak hunt's oracle: who may see which file of a :mod:`tests.leak_world` model, written from the
documented rules alone. It shares no code with ragwarden (no import of it at all), and judges the model the
corpus on disk was written from, never the disk.

The rules, as documented (DESIGN.md "The access model"; the docstrings of the folder connector, its
sidecars, the token module and ``acl.principals``):

- **Tokens** carry a type prefix: ``user:``/``group:`` names (letters, digits, ``._@-``, first a letter or
  digit, case-insensitive), ``everyone``, ``sid:`` (one canonical form: upper-case ``S``, ASCII digits without
  leading zeros, a domain account ``S-1-5-21-…`` in full: three domain numbers and the RID), ``upn:``,
  ``entra:`` (a GUID), ``spgroup:<site>:<id>``. Anything else is not understood.
- **A sidecar** is a JSON object with ``allow`` (required, not empty) and optional ``deny``, ``share``, each a
  list of tokens; anything else (unreadable, a link, not JSON, duplicate keys, unknown keys) is not understood.
- **Which sidecar**: a file's own ``<name>.acl.json``, else the nearest folder ``.acl.json`` up to the root.
  A sidecar matching a file only after NFC matches when that is unique; one matching only after case-folding
  (this file system is case-sensitive) or two for one file fail the file; a sidecar named after a folder fails
  everything below it, as does a folder ACL not named exactly ``.acl.json``.
- **Composition**: a sidecar replaces the inherited allow list, adds its denies to the inherited ones, and its
  share set may only narrow the inherited one (else it fails); a broken ACL fails everything below it.
- **Links** are never followed: a link is not indexed, nor is anything a walker following it would find.
- **Admission** against what the local directory can emit (its users, disabled ones too, its groups,
  ``everyone``): a deny naming anything else keeps the document out; allow and share entries naming anything
  else grant nothing; no allow left, or share entries given and none left: not indexed.
- **Visibility** for a token set T: allow ∩ T, share empty or share ∩ T, and deny ∩ T empty; an empty T
  (unknown or disabled caller) sees nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.leak_world import File, Folder, Link, Sidecar, World, files_in

SUFFIX = ".acl.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_SID = re.compile(r"[Ss]-1((?:-[0-9]{1,20})+)")
_GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Acl:
    allow: frozenset[str]
    deny: frozenset[str] = frozenset()
    share: frozenset[str] = frozenset()


BROKEN = object()  # an ACL exists here but is not understood: everything it decides fails


@dataclass
class Judgement:
    acls: dict[str, Acl | None] = field(default_factory=dict)  # path → what the index must hold, or not indexed
    virtual: set[str] = field(default_factory=set)  # paths only a walker following links would find


def canonical(token: Any) -> str | None:
    """The token's one spelling, or None if it is not a token."""
    if not isinstance(token, str):
        return None
    if token == "everyone":
        return token
    kind, _, value = token.partition(":")
    if kind in ("user", "group"):
        return f"{kind}:{value.lower()}" if _NAME.fullmatch(value) else None
    if kind == "sid":
        match = _SID.fullmatch(value)
        numbers = [int(n) for n in match.group(1)[1:].split("-")] if match else []
        if len(numbers) < 2 or (numbers[:2] == [5, 21] and len(numbers) != 6):
            return None
        return "sid:S-1-" + "-".join(str(n) for n in numbers)
    if kind == "upn":
        return token.lower() if re.fullmatch(r"[^@\s:]+@[^@\s:]+", value) else None
    if kind == "entra":
        return token.lower() if _GUID.fullmatch(value) else None
    if kind == "spgroup":
        return token if re.fullmatch(r"[^:\s]+:[^:\s]+", value) else None
    return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def read_sidecar(raw: Any) -> Acl | object:
    if isinstance(raw, Link) or not isinstance(raw, bytes | dict | list):  # a link, a folder: not readable
        return BROKEN
    data = raw
    if isinstance(raw, bytes):
        try:
            data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_no_duplicates)
        except ValueError:  # UnicodeDecodeError is one
            return BROKEN
    if not isinstance(data, dict) or "allow" not in data or set(data) - {"allow", "deny", "share"}:
        return BROKEN
    lists = {}
    for key in ("allow", "deny", "share"):
        value = data.get(key, [])
        spelled = [canonical(t) for t in value] if isinstance(value, list) else [None]
        if None in spelled:
            return BROKEN
        lists[key] = frozenset(t for t in spelled if t is not None)
    return Acl(**lists) if lists["allow"] else BROKEN


def compose(inherited: Acl | object | None, own: Acl | object) -> Acl | object:
    if inherited is BROKEN or own is BROKEN:
        return BROKEN
    if not isinstance(inherited, Acl) or not isinstance(own, Acl):
        return own
    if inherited.share and not own.share <= inherited.share:
        return BROKEN
    return Acl(own.allow, own.deny | inherited.deny, own.share or inherited.share)


def admit(acl: Acl | object | None, emittable: frozenset[str]) -> Acl | None:
    if not isinstance(acl, Acl) or not acl.deny <= emittable:
        return None
    allow, share = acl.allow & emittable, acl.share & emittable
    if not allow or (acl.share and not share):
        return None
    return Acl(allow, acl.deny, share)


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def _loose(name: str) -> str:
    return _nfc(_nfc(name).casefold())


def _own_sidecar(name: str, files: list[str], sidecars: list[str]) -> str | None | object:
    """The sidecar deciding for the file ``name``; None: it inherits; BROKEN: not guessing."""
    owner = {f + SUFFIX: f for f in files if f + SUFFIX in sidecars}
    candidates = [s for s in sidecars if _loose(s)[: -len(SUFFIX)] == _loose(name)
                  and _nfc(owner.get(s, name)) == _nfc(name)]  # fmt: skip
    if not candidates:
        return None
    if candidates == [name + SUFFIX]:
        return candidates[0]
    unique = len(candidates) == 1 and sum(_nfc(f) == _nfc(name) for f in files) == 1
    return candidates[0] if unique and _nfc(candidates[0]) == _nfc(name + SUFFIX) else BROKEN


def _judge(folder: Folder, inherited: Acl | object | None, prefix: str, emit: frozenset[str], out: Judgement) -> None:
    sidecars = [n for n in folder.entries if _loose(n).endswith(SUFFIX)]
    folders = [n for n, e in folder.entries.items() if isinstance(e, Folder) and n not in sidecars]
    files = [n for n in folder.entries if n not in sidecars and n not in folders]
    mine = [s for s in sidecars if _loose(s) == SUFFIX]
    here = inherited if not mine else BROKEN if mine != [SUFFIX] else compose(inherited, _read(folder, SUFFIX))
    for name in files:
        entry, path = folder.entries[name], prefix + name
        if isinstance(entry, Link):
            out.acls[path] = None
            if isinstance(entry.points_to, Folder):
                for below, _, _ in files_in(entry.points_to, f"{path}/"):
                    out.acls[below] = None
                    out.virtual.add(below)
            continue
        assert isinstance(entry, File)
        own = _own_sidecar(name, files, sidecars)
        out.acls[path] = admit(here if own is None else BROKEN if own is BROKEN else
                               compose(here, _read(folder, str(own))), emit)  # fmt: skip
    for name in folders:
        named = any(_loose(s)[: -len(SUFFIX)] == _loose(name) for s in sidecars)
        _judge(folder.entries[name], BROKEN if named else here, f"{prefix}{name}/", emit, out)


def _read(folder: Folder, name: str) -> Acl | object:
    entry = folder.entries[name]
    assert isinstance(entry, Sidecar)
    return read_sidecar(entry.raw)


def emittable(world: World) -> frozenset[str]:
    return frozenset({"everyone"} | {f"user:{u}" for u in world.people} | {f"group:{g}" for g in world.parents})


def judge(world: World) -> Judgement:
    """Every file and link of the corpus (and every path through a link): its ACL in the index, or None."""
    out = Judgement()
    _judge(world.root, None, "", emittable(world), out)
    return out


def tokens_of(world: World, caller: str) -> frozenset[str]:
    """``user:<name>``, ``everyone`` and every group reached through memberships; nothing for an unknown
    or disabled caller."""
    person = world.people.get(caller.lower())
    if person is None or person.disabled:
        return frozenset()
    seen: set[str] = set()
    queue = deque(person.groups)
    while queue:
        group = queue.popleft()
        if group not in seen:
            seen.add(group)
            queue.extend(world.parents[group])
    return frozenset({f"user:{caller.lower()}", "everyone"} | {f"group:{g}" for g in seen})


def visible(tokens: frozenset[str], acl: Acl | None) -> bool:
    return (acl is not None and bool(tokens) and not acl.allow.isdisjoint(tokens)
            and (not acl.share or not acl.share.isdisjoint(tokens)) and acl.deny.isdisjoint(tokens))  # fmt: skip
