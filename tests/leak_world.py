"""The leak hunt's world (``tests/test_leak_hunt.py``): a local directory and a folder corpus with ACL
sidecars, generated from a seed as an in-memory model and written to disk from it (the hunt changes both
together, through :func:`write` and :func:`remove`).

It holds the adversarial cases of issue 11: symbolic links (files and folders, into other departments, out of
the root, dangling, looping, a sidecar that is a link), deny and allow entries naming principals the local
directory cannot emit, non-canonical and invalid token spellings (``sid:`` ones too), orphan sidecars, sidecars
matching their file only after case-folding or NFC, sidecars named after a folder, share sets that narrow or try
to widen, and sidecars that are broken or cannot be read. Nothing here imports ragwarden; the oracle
(``tests/leak_oracle.py``) judges this model, never the disk.
"""

from __future__ import annotations

import json
import random
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORD = "Vorgang"  # in every file, so a keyword search reaches every chunk
UNREADABLE = "<a folder named like a sidecar: listed, never readable>"
DEPARTMENTS = ("personal", "forschung", "finanzen", "einkauf", "recht", "vertrieb", "it", "marketing",
               "logistik", "qualitaet", "vorstand", "kantine")  # fmt: skip
# Valid tokens no configured resolver emits with only a local directory: a deny hides nothing (so the
# document is not indexed), an allow grants nothing. Some are odd spellings of valid SIDs.
UNRESOLVABLE = ("user:ghost", "group:not-in-the-directory", "sid:S-1-5-21-1-2-3-1105", "sid:s-1-5-21-1-2-3-1105",
                "sid:S-1-5-021-0001-2-3-01105", "sid:S-1-1-0", "sid:S-1-5-11", "sid:S-1-5-32-544",
                "upn:Anna.Berg@corp.example", "entra:0F8FAD5B-D9CB-469F-A165-70867728950E", "spgroup:intranet:7")
# Not tokens at all: the sidecar naming one is not understood.
INVALID = ("Everyone", "EVERYONE", "hr", "User:u0001", "group:", "group:two words", "group:-dash", "group:müller",
           " group:grp1", "group:grp1\n", "sid:S-1-5-21-1105", "sid:S-1-5-21-1-2-3", "sid:S-1-5-٢١-1-2-3-1105",
           "sid:S-1-5", "upn:no-at-sign", 7, None)
# Sidecar contents that are broken, odd or unreadable (the oracle decides which; one BOM-prefixed is fine).
ODD_SIDECARS: tuple[Any, ...] = (
    b'{"allow": ["everyone"', b'{"allow": ["everyone"], "allow": ["group:grp1"]}', b'\xff{"allow": ["everyone"]}',
    b"", b'\xef\xbb\xbf{"allow": ["group:grp2"]}', ["everyone"], {"allow": "everyone"}, {"allow": []},
    {"deny": ["user:u0001"]}, {"allow": ["everyone"], "owner": "x"}, {"allow": ["everyone"], "deny": None},
    UNREADABLE,
)


@dataclass
class File:
    text: str


@dataclass
class Folder:
    entries: dict[str, Any] = field(default_factory=dict)  # name → File | Folder | Link | Sidecar


@dataclass
class Link:
    target: Path  # absolute
    points_to: File | Folder | None  # what a walker that follows links would find there


@dataclass
class Sidecar:
    raw: Any  # a JSON value; bytes written as they are; UNREADABLE; or a Link (a sidecar that is a link)


@dataclass
class Person:
    written: str  # the name as the YAML spells it
    groups: list[str]  # lower-case
    disabled: bool


@dataclass
class World:
    seed: int
    root_dir: Path
    outside_dir: Path
    people: dict[str, Person] = field(default_factory=dict)  # by lower-case name
    parents: dict[str, list[str]] = field(default_factory=dict)  # group → the groups it is a member of
    written: dict[str, str] = field(default_factory=dict)  # group → as the YAML spells it
    root: Folder = field(default_factory=Folder)
    outside: Folder = field(default_factory=Folder)

    def directory_yaml(self) -> dict[str, Any]:
        """The local directory file's content; group references in varying case (names ignore case)."""
        def ref(g: str) -> str:
            return g.upper() if len(g) % 3 == 0 else self.written[g]

        users = {p.written: {"groups": [ref(g) for g in p.groups], **({"disabled": True} if p.disabled else {})}
                 for p in self.people.values()}  # fmt: skip
        groups = {self.written[g]: {"member_of": [ref(m) for m in ms]} for g, ms in self.parents.items()}
        return {"users": users, "groups": groups}

    def callers(self) -> list[str]:
        """Every user (disabled ones too), some under another case, and strangers."""
        names = [p.written for p in self.people.values()]
        return [*names, *(n.swapcase() for n in names[::97]), "nobody-knows-me", "ghost", "grp1", "u99999"]


def files_in(folder: Folder, prefix: str = "") -> Iterator[tuple[str, Folder, str]]:
    """``(path, folder, name)`` of every file below ``folder``, not through links."""
    for name, entry in list(folder.entries.items()):
        if isinstance(entry, File):
            yield prefix + name, folder, name
        elif isinstance(entry, Folder):
            yield from files_in(entry, f"{prefix}{name}/")


def folders_in(folder: Folder, prefix: str = "") -> Iterator[tuple[str, Folder, Folder, str]]:
    """``(path, folder, parent, name)`` of every folder below ``folder``, not through links."""
    for name, entry in list(folder.entries.items()):
        if isinstance(entry, Folder):
            yield prefix + name, entry, folder, name
            yield from folders_in(entry, f"{prefix}{name}/")


class Maker:
    """Random tokens, sidecar ACLs, files and departments for one world."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.groups, self.users = sorted(world.parents), sorted(world.people)

    def spell(self, name: str) -> str:
        r = self.rng.random()
        return name.upper() if r < 0.1 else name.capitalize() if r < 0.2 else name

    def token(self, noise: float) -> Any:
        rng, r = self.rng, self.rng.random()
        if r < noise / 4:
            return rng.choice(INVALID)
        if r < noise:
            return rng.choice(UNRESOLVABLE)
        r = rng.random()
        if r < 0.78:
            return "group:" + self.spell(rng.choice(self.groups))
        return "user:" + self.spell(rng.choice(self.users)) if r < 0.94 else "everyone"

    def acl(self, noise: float, share: list[Any]) -> dict[str, Any]:
        """A sidecar's JSON; under a share restriction its share set mostly narrows it, and rarely not."""
        rng = self.rng
        out: dict[str, Any] = {"allow": [self.token(noise) for _ in range(rng.randint(1, 3))]}
        if rng.random() < 0.35:
            out["deny"] = [self.token(noise) for _ in range(rng.randint(1, 2))]
        if share and rng.random() < 0.2:
            out["share"] = rng.sample(share, rng.randint(1, len(share)))
        elif rng.random() < (0.04 if share else 0.12):
            out["share"] = [self.token(noise) for _ in range(rng.randint(1, 2))]
        return out

    def file(self, folder: Folder, path: str, name: str, sidecar: float = 0.35) -> None:
        words = " ".join(self.rng.sample(("Akte", "Bericht", "Antrag", "Frist", "Budget", "Gehalt", "Plan"), 3))
        folder.entries[name] = File(f"{WORD} {path} {words}\n")
        if self.rng.random() < sidecar:
            folder.entries[name + ".acl.json"] = Sidecar(self.acl(0.08, []))

    def department(self, name: str, files: int) -> list[tuple[str, Folder, list[Any]]]:
        rng, dept = self.rng, Folder()
        self.world.root.entries[name] = dept
        folders = [(name, dept, self._folder_acl(dept, [], 0.85))]
        for j in range(5):
            path, parent, share = rng.choice(folders)
            sub = Folder()
            parent.entries[f"akte-{j}"] = sub
            folders.append((f"{path}/akte-{j}", sub, self._folder_acl(sub, share, 0.35)))
        for i in range(files):
            path, folder, _ = rng.choice(folders)
            name = f"vorgang-{i:03d}.{rng.choice(('txt', 'txt', 'md'))}"
            self.file(folder, f"{path}/{name}", name)
        return folders

    def _folder_acl(self, folder: Folder, share: list[Any], chance: float) -> list[Any]:
        if self.rng.random() >= chance:
            return share
        acl = self.acl(0.02, share)
        folder.entries[".acl.json"] = Sidecar(acl)
        return list(acl.get("share", share))


def generate(seed: int, base: Path, *, users: int = 1000, groups: int = 90, files_per_department: int = 95) -> World:
    rng = random.Random(seed)
    world = World(seed, base / "corpus", base / "outside")
    names = [f"grp{i}" for i in range(groups)]
    for g in names:
        world.written[g] = g.capitalize() if rng.random() < 0.2 else g
        world.parents[g] = rng.sample(names, rng.choice((0, 0, 1, 1, 2)))  # cycles happen
    for i in range(users):
        name = f"u{i:04d}"
        world.people[name] = Person(name.upper() if rng.random() < 0.1 else name,
                                    rng.sample(names, rng.randint(0, 3)), rng.random() < 0.03)  # fmt: skip
    make = Maker(world, rng)
    if rng.random() < 0.5:
        world.root.entries[".acl.json"] = Sidecar({"allow": ["everyone"]})
    world.outside.entries[".acl.json"] = Sidecar({"allow": ["everyone"]})
    for i in range(5):
        make.file(world.outside, f"outside/geheim-{i}.txt", f"geheim-{i}.txt", sidecar=0)
    folders = [f for k in range(len(DEPARTMENTS)) for f in make.department(department_name(k), files_per_department)]
    _specials(make, [(p, f) for p, f, _ in folders if "/" in p])
    return world


def department_name(k: int) -> str:
    return f"{k:02d}-{DEPARTMENTS[k]}"


def _specials(make: Maker, subfolders: list[tuple[str, Folder]]) -> None:
    """The adversarial cases, each a few times, in random sub-folders."""
    world, rng = make.world, make.rng
    files = list(files_in(world.root))
    _links(make, subfolders, files)
    _mismatched_sidecars(make, subfolders)
    for raw in ODD_SIDECARS:
        _, folder, name = rng.choice(files)
        folder.entries[name + ".acl.json"] = Sidecar(raw)
    _, folder, name = rng.choice(files)
    folder.entries[name + ".acl.json"] = Sidecar(Link(world.outside_dir / ".acl.json", None))  # a link
    for raw in (rng.choice(ODD_SIDECARS), b"[", Link(world.outside_dir / ".acl.json", None)):
        rng.choice(subfolders)[1].entries[".acl.json"] = Sidecar(raw)  # a broken folder ACL fails all below
    folder = rng.choice(subfolders)[1]  # a folder ACL in another case
    folder.entries[".ACL.json"] = folder.entries.pop(".acl.json", Sidecar({"allow": ["everyone"]}))
    for path, _, parent, name in rng.sample([f for f in folders_in(world.root) if "/" in f[0]], 2):
        # a sidecar named after a folder, beside it
        parent.entries[(name if path.count("/") % 2 else name.upper()) + ".acl.json"] = Sidecar(make.acl(0, []))
    _share_cases(make, *rng.choice(subfolders))


def _links(make: Maker, subfolders: list[tuple[str, Folder]], files: list[tuple[str, Folder, str]]) -> None:
    """Links to other departments' files and folders, out of the root, to nowhere, to themselves."""
    world, rng = make.world, make.rng
    for k in range(6):
        path, target, name = rng.choice(files)
        rng.choice(subfolders)[1].entries[f"verknuepfung-{k}.txt"] = Link(world.root_dir / path, target.entries[name])
    for k in range(3):
        name = department_name(rng.randrange(6))
        rng.choice(subfolders)[1].entries[f"ordner-{k}"] = Link(world.root_dir / name, world.root.entries[name])
    path, folder = rng.choice(subfolders)
    folder.entries["extern"] = Link(world.outside_dir, world.outside)
    folder.entries["extern.txt"] = Link(world.outside_dir / "geheim-0.txt", world.outside.entries["geheim-0.txt"])
    folder.entries["kaputt.txt"] = Link(world.root_dir / "gibt-es-nicht.txt", None)
    folder.entries["schleife"] = Link(world.root_dir / path / "schleife", None)


def _mismatched_sidecars(make: Maker, subfolders: list[tuple[str, Folder]]) -> None:
    """NFD files with NFC sidecars, sidecars in another case, orphans, two sidecars for one file, NFC and
    NFD twins with one sidecar."""
    rng = make.rng
    nfc = unicodedata.normalize("NFC", "Müller-Gehalt")
    nfd = unicodedata.normalize("NFD", nfc)
    for k in range(3):
        path, folder = rng.choice(subfolders)
        make.file(folder, f"{path}/{nfd}-{k}.txt", f"{nfd}-{k}.txt", sidecar=0)
        folder.entries[f"{nfc}-{k}.txt.acl.json"] = Sidecar(make.acl(0, []))
        make.file(folder, f"{path}/Bonus-{k}.TXT", f"Bonus-{k}.TXT", sidecar=0)
        folder.entries[f"bonus-{k}.txt.acl.json" if k % 2 else f"Bonus-{k}.TXT.ACL.json"] = Sidecar(make.acl(0, []))
        folder.entries[f"ghost-{k}.pdf.acl.json"] = Sidecar({"allow": ["everyone"]})
        make.file(folder, f"{path}/Doppelt-{k}.txt", f"Doppelt-{k}.txt", sidecar=0)
        folder.entries[f"Doppelt-{k}.txt.acl.json"] = Sidecar(make.acl(0, []))
        folder.entries[f"doppelt-{k}.txt.acl.json"] = Sidecar({"allow": ["everyone"]})
    for k in range(2):
        path, folder = rng.choice(subfolders)
        for name in (f"{nfc}-zwilling-{k}.txt", f"{nfd}-zwilling-{k}.txt"):
            make.file(folder, f"{path}/{name}", name, sidecar=0)
        folder.entries[f"{nfc}-zwilling-{k}.txt.acl.json"] = Sidecar(make.acl(0, []))


def _share_cases(make: Maker, path: str, parent: Folder) -> None:
    """A share-restricted folder: files that inherit, narrow, try to widen, or name only nobody."""
    folder = Folder({".acl.json": Sidecar({"allow": ["group:grp1", "everyone"], "share": ["group:grp2", "group:GRP3",
                                                                                          "sid:S-1-5-11"]})})
    parent.entries["freigabe"] = folder
    shares: list[Any] = [None, ["group:grp3"], ["group:grp2", "everyone"], ["sid:S-1-5-11"], ["group:grp4"]]
    for k, share in enumerate(shares):
        make.file(folder, f"{path}/freigabe/teil-{k}.txt", f"teil-{k}.txt", sidecar=0)
        if share is not None:
            folder.entries[f"teil-{k}.txt.acl.json"] = Sidecar({"allow": ["everyone", "user:ghost"], "share": share})


# -- on disk ------------------------------------------------------------------------------------------------


def remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def write(path: Path, entry: Any) -> None:
    """Create ``entry`` at ``path``, replacing whatever is there."""
    remove(path)
    if isinstance(entry, Folder):
        path.mkdir(parents=True)
        for name, child in entry.entries.items():
            write(path / name, child)
    elif isinstance(entry, File):
        path.write_text(entry.text, encoding="utf-8")
    elif isinstance(entry, Link):
        path.symlink_to(entry.target)
    elif isinstance(entry.raw, Link):
        path.symlink_to(entry.raw.target)
    elif entry.raw == UNREADABLE:
        path.mkdir()
    elif isinstance(entry.raw, bytes):
        path.write_bytes(entry.raw)
    else:
        path.write_text(json.dumps(entry.raw, ensure_ascii=False), encoding="utf-8")


def write_world(world: World) -> None:
    write(world.outside_dir, world.outside)
    write(world.root_dir, world.root)

