"""ACL sidecars of the folder connector: which sidecar belongs to which file, reading one, and composing
them down the tree.

Matching. ``<name>.acl.json`` belongs to the file ``<name>``. Names that are equal only after Unicode
normalisation (an NFD file name written by macOS beside an NFC sidecar) match when the match is unique; names
that differ only in case match only where the folder is case-insensitive (probed: the file system then opens
one as the other). Anything else that *would* match after normalisation or case-folding is an orphan
sidecar: it is reported, and the file it would have matched fails (its author meant it for that file, and the
folder's ACL may be wider). Two sidecars for one file, or one sidecar for two indistinguishable files, fail
too: fail closed, never guess. A sidecar named after a folder (``hr.acl.json`` beside ``hr/``) fails every
file that would inherit through that folder; a folder's ACL is ``hr/.acl.json``.

Composition (never widen silently). A file's sidecar, or a subfolder's ``.acl.json``, replaces the inherited
*allow* list: it names its readers explicitly, and may name some the folder does not (a guide in ``rnd/``
for contractors). It cannot drop what restricts: the inherited *denies* always apply below (a sidecar adds
its own), and a sidecar's *share* set may only narrow the inherited one (a subset of it); a sidecar that
tries to widen it is not understood and fails its files. An inherited ACL that cannot be read or understood
fails every file below it, with or without its own sidecar: its denies are unknown.
"""

from __future__ import annotations

import errno
import json
import os
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ragwarden.acl import tokens
from ragwarden.connectors.beneath import open_file_at, read_all
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessControl

SIDECAR_SUFFIX = ".acl.json"
FOLDER_ACL = ".acl.json"
MAX_SIDECAR_BYTES = 1024 * 1024

_ACL_KEYS = frozenset({"allow", "deny", "share"})


@dataclass(frozen=True, slots=True)
class AclSource:
    """The ACL that applies at some place, where it came from, or why there is none."""

    acl: AccessControl | None
    origin: str | None  # root-relative path of the deciding sidecar
    error: str | None

    @property
    def broken(self) -> bool:
        """An ACL exists here but cannot be used: everything below it fails."""
        return self.acl is None and self.origin is not None


NO_ACL = AclSource(None, None, "no ACL: no sidecar and no .acl.json in any parent folder")


def compose(inherited: AclSource, own: AccessControl, origin: str) -> AclSource:
    """``own`` (from the sidecar at ``origin``) below ``inherited``: its allow list, all the denies,
    the narrower share set. See the module docstring for why."""
    if inherited.broken:
        return AclSource(None, inherited.origin, f"{inherited.error} (its denies would apply here too)")
    parent = inherited.acl
    if parent is None:
        return AclSource(own, origin, None)
    share = own.share or parent.share
    if parent.share and not own.share <= parent.share:
        wider = sorted(own.share - parent.share)
        return AclSource(None, origin, f"invalid ACL sidecar {origin}: its share set adds {wider} to the "
                                       f"inherited share set of {inherited.origin} (a sidecar may only narrow it)")
    return AclSource(AccessControl(allow=own.allow, deny=own.deny | parent.deny, share=share), origin, None)


def read_acl(dir_fd: int, name: str, rel: str) -> AccessControl:
    """The ACL in the sidecar ``name`` of the folder ``dir_fd`` (root-relative path ``rel``);
    anything not readable or not understood raises :class:`AccessControlError`."""
    try:
        fd = open_file_at(dir_fd, name)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AccessControlError("is a symbolic link (not followed)") from exc
        raise AccessControlError(f"cannot be read: {exc.strerror or exc}") from exc
    try:
        raw = read_all(fd, MAX_SIDECAR_BYTES)
    except OSError as exc:
        raise AccessControlError(f"cannot be read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if len(raw) > MAX_SIDECAR_BYTES:
        raise AccessControlError(f"larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise AccessControlError(f"not valid JSON: {exc}") from exc
    return parse_acl(data)


def parse_acl(data: Any) -> AccessControl:
    """An ACL from a sidecar's parsed JSON; anything not understood raises :class:`AccessControlError`."""
    if not isinstance(data, Mapping):
        raise AccessControlError("expected a JSON object with 'allow' (and optional 'deny', 'share')")
    unknown = sorted(str(k) for k in data if k not in _ACL_KEYS)
    if unknown:
        raise AccessControlError(f"unknown keys {unknown} (allowed: allow, deny, share)")
    if "allow" not in data:
        raise AccessControlError("missing 'allow'")
    lists: dict[str, frozenset[str]] = {}
    for key in _ACL_KEYS:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise AccessControlError(f"'{key}' must be a list of tokens, got {type(value).__name__}")
        lists[key] = tokens.parse_all(value)
    return AccessControl(allow=lists["allow"], deny=lists["deny"], share=lists["share"])


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of duplicate keys; two "allow" lists are ambiguous, so refuse them.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


# -- which sidecar belongs to which name ---------------------------------------------------------------


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def loose(name: str) -> str:
    """The form under which two names *could* mean the same file: normalised and case-folded."""
    return nfc(nfc(name).casefold())


def is_sidecar(name: str) -> bool:
    """Sidecars (and names that look like one after case-folding) are never documents."""
    return loose(name).endswith(SIDECAR_SUFFIX)


@dataclass(frozen=True, slots=True)
class Match:
    """The sidecar that decides for a name (``None``: inherit), or why none can be chosen."""

    sidecar: str | None = None
    error: str | None = None


@dataclass(slots=True)
class FolderPlan:
    """The sidecar decisions of one folder listing."""

    folder_acl: Match
    files: dict[str, Match]
    subfolders: dict[str, Match]  # an error here fails everything inheriting through the subfolder
    orphans: list[str] = field(default_factory=list)


def plan_folder(
    files: Iterable[str], folders: Iterable[str], sidecars: Iterable[str], case_insensitive: Callable[[], bool]
) -> FolderPlan:
    """Match the sidecars of one folder to its files (every non-folder entry, links and hidden ones
    included) and subfolders. ``case_insensitive`` is asked only when a match depends on it."""
    files, folders, sidecars = list(files), list(folders), sorted(sidecars)
    by_loose: dict[str, list[str]] = {}
    for sidecar in sidecars:
        by_loose.setdefault(loose(sidecar)[: -len(SIDECAR_SUFFIX)], []).append(sidecar)
    twins: dict[str, int] = {}
    for name in files:
        twins[nfc(name)] = twins.get(nfc(name), 0) + 1
    present = set(sidecars)
    owner = {name + SIDECAR_SUFFIX: name for name in files if name + SIDECAR_SUFFIX in present}
    used: set[str] = set(owner)  # a sidecar with its file is no orphan, even where the file fails
    plan = FolderPlan(_folder_match(by_loose.get("", []), case_insensitive), {}, {})
    used.update(by_loose.get("", []))
    for name in files:
        # A sidecar that byte-matches a file which is distinguishable from this one is that file's.
        candidates = [s for s in by_loose.get(loose(name), []) if s not in owner or owner[s] == name
                      or nfc(owner[s]) == nfc(name)]
        plan.files[name] = _file_match(name, candidates, twins[nfc(name)] > 1, case_insensitive)
        used.update(s for s in candidates if plan.files[name].sidecar == s)
    for name in folders:
        named = by_loose.get(loose(name), [])
        if named:
            plan.subfolders[name] = Match(error=f"the sidecar {named[0]} names the folder {name}; a folder's ACL "
                                                f"is {name}/{FOLDER_ACL}: not guessing what was meant")
    plan.orphans = [s for s in sidecars if s not in used]
    return plan


def _folder_match(candidates: list[str], case_insensitive: Callable[[], bool]) -> Match:
    if not candidates:
        return Match()
    if candidates == [FOLDER_ACL] or (len(candidates) == 1 and case_insensitive()):
        return Match(candidates[0])
    return Match(error=f"folder ACL {candidates} is not named exactly {FOLDER_ACL}, or there is more than one")


def _file_match(name: str, candidates: list[str], has_twin: bool, case_insensitive: Callable[[], bool]) -> Match:
    if not candidates:
        return Match()
    exact = name + SIDECAR_SUFFIX
    if candidates == [exact]:
        return Match(exact)
    if len(candidates) == 1 and not has_twin:
        only = candidates[0]
        if nfc(only) == nfc(exact) or case_insensitive():
            return Match(only)
    what = f"{candidates[0]} matches" if len(candidates) == 1 else f"{', '.join(candidates)} match"
    return Match(error=f"{what} this file only after Unicode normalisation or case-folding, or not this file "
                       "alone: not guessing which applies")
