"""The tenant of ``ragwarden bench sharepoint``: the SharePoint emulator behind Graph's resource-unit limit,
and one site laid out for the benchmark's phases.

:class:`MeteredEmulator` charges every request what Microsoft documents it costs (a delta page 1 unit, 2
without a token; a permission read 5; a download 1; a listing 2) against a sliding one-minute window of
``units_per_minute`` (Microsoft's limit per app and tenant: 1,250 for a tenant of up to 1,000 licences).
A request that does not fit answers ``429`` with the ``Retry-After`` until it would; inside ``$batch`` only
the sub-requests that do not fit answer ``429`` while the batch answers ``200``, as Graph does. Directory
calls (``/users``, ``/directoryObjects``) are Entra's, not SharePoint's: counted, never charged. Every
request, downloads included, waits the emulator's ``latency`` first.

:func:`populate` builds the site: department folders (each readable by its Entra group) holding most of
the files, a folder with ``descendants`` files below it (the permission-only change), and the probes of the
revocation phase, one user per kind of revocation.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ragwarden.evaluation.bench_freshness_corpus import Corpus, word
from ragwarden.testing.microsoft.https import JsonHandler
from ragwarden.testing.microsoft.sharepoint import SharePointEmulator, World
from ragwarden.testing.microsoft.sharepoint.graph_api import answer_graph, caseless

if TYPE_CHECKING:
    from ragwarden.testing.microsoft.entra import FakeMicrosoft

PER_FOLDER = 100  # files per folder
FOLDER_PROBE_FILES = 5  # files below each folder whose grant a folder revocation takes away
DEPARTMENTS = ("Personal", "Finanzen", "Vertrieb", "Recht", "Technik")
KINDS = ("file grant", "folder grant", "site-group member")
PROBE_USERS = {"file grant": "leser-datei", "folder grant": "leser-ordner", "site-group member": "leser-gruppe"}
WINDOW = 60.0


def graph_cost(path: str, query: dict[str, list[str]]) -> float:
    """Resource units of one Graph request (a ``$batch`` sub-request alike)."""
    parts = path.removeprefix("/v1.0").strip("/").split("/")
    if parts[0] in ("users", "directoryObjects", "groups"):
        return 0.0
    if parts[-2:] == ["root", "delta"]:
        return 1.0 if "token" in query else 2.0
    if parts[-1] == "permissions":
        return 5.0
    return 2.0 if parts[-1] in ("drives", "sites", "children") else 1.0


class UnitBudget:
    """A sliding window of ``per_minute`` resource units; :meth:`take` admits a cost or says how long to wait."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self._clock = per_minute, clock
        self._spent: deque[tuple[float, float]] = deque()
        self._total = 0.0
        self._lock = threading.Lock()
        self.used = 0.0  # every unit admitted so far

    def forget(self) -> None:
        """An unspent window, as for a run minutes after the last one."""
        with self._lock:
            self._spent.clear()
            self._total = 0.0

    def take(self, cost: float) -> float:
        """0 when ``cost`` is admitted (and spent), else the seconds until it would be."""
        with self._lock:
            now = self._clock()
            while self._spent and self._spent[0][0] <= now - WINDOW:
                self._total -= self._spent.popleft()[1]
            if self._total + cost <= self.per_minute or cost <= 0:
                self._spent.append((now, cost))
                self._total += cost
                self.used += cost
                return 0.0
            excess, freed = self._total + cost - self.per_minute, 0.0
            for at, spent in self._spent:
                freed += spent
                if freed >= excess:
                    return max(0.001, at + WINDOW - now)
            return WINDOW


class MeteredEmulator(SharePointEmulator):
    """The emulator with Graph's resource-unit limit (see the module docstring)."""

    def __init__(self, root: Path, world: World, authority: FakeMicrosoft, *, units_per_minute: float,
                 latency: float, page_size: int) -> None:  # fmt: skip
        super().__init__(root, world, authority, page_size=page_size)
        self.budget = UnitBudget(units_per_minute)
        self.switches.latency = latency

    def _on_graph(self, h: JsonHandler) -> None:
        split = urlsplit(h.path)
        if h.command == "POST" and split.path == "/v1.0/$batch":
            return self._batch(h)
        wait = self.budget.take(graph_cost(split.path, parse_qs(split.query)))
        if wait > 0:
            return self._throttled(h, wait)
        return super()._on_graph(h)

    def _on_host(self, h: JsonHandler) -> None:
        if "/_api/" in urlsplit(h.path).path:  # a SharePoint REST listing; downloads are charged at /content
            wait = self.budget.take(2.0)
            if wait > 0:
                return self._throttled(h, wait)
        return super()._on_host(h)

    def _throttled(self, h: JsonHandler, wait: float) -> None:
        time.sleep(self.switches.latency)
        self.count("throttled")
        h.reply(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": str(math.ceil(wait))})

    def _batch(self, h: JsonHandler) -> None:
        """The sub-requests that fit are answered by the emulator, the others ``429`` inside the ``200``."""
        time.sleep(self.switches.latency)
        headers, body = caseless(h.headers.items()), h.body()
        try:
            requests: list[dict[str, Any]] = list(json.loads(body or b"{}")["requests"])
        except (ValueError, KeyError, TypeError):
            requests = []
        admitted: list[tuple[dict[str, Any], float]] = []
        refused: list[tuple[dict[str, Any], float]] = []
        for request in requests:
            split = urlsplit("/" + str(request.get("url", "")).lstrip("/"))
            wait = self.budget.take(graph_cost(split.path, parse_qs(split.query)))
            (refused if wait > 0 else admitted).append((request, wait))
        if requests:
            body = json.dumps({"requests": [r for r, _ in admitted]}).encode()
        answer = answer_graph(self, "POST", h.path, headers, body)
        if answer.status == 200 and refused:
            for request, wait in refused:
                self.count("batch_throttled")
                answer.body["responses"].append({
                    "id": str(request.get("id", "")), "status": 429, "headers": {"Retry-After": str(math.ceil(wait))},
                    "body": {"error": {"code": "TooManyRequests"}},
                })  # fmt: skip
        h.reply(answer.status, answer.body, answer.headers)


@dataclass
class Probe:
    """After ``revoke()``, ``user`` must no longer find ``path`` (searching its own ``word``)."""

    kind: str
    user: str
    item_id: str
    path: str
    word: str
    revoke: Callable[[], None]


@dataclass
class Layout:
    files: int
    big_folder: str
    descendants: int
    editable: list[str]  # ids of department files (the incremental run edits some)
    probes: list[Probe] = field(default_factory=list)
    serial: int = 0  # files written so far (each text's own word is numbered)

    def add_file(self, world: World, parent: str, name: str | None = None) -> tuple[str, str]:
        """A new file with a text of its own word; (item id, word)."""
        n = self.serial
        self.serial += 1
        item = world.add_file(parent, name or f"f{n:05d}.txt", Corpus.text(n, "zs").encode())
        return item, word("zs", n)

    def edit(self, world: World, item_id: str) -> None:
        n = self.serial
        self.serial += 1
        world.set_content(item_id, Corpus.text(n, "ze").encode())


def populate(world: World, files: int, descendants: int, revocations: int) -> Layout:
    """The benchmark's site of ``files`` files (see the module docstring)."""
    probes = revocations * (FOLDER_PROBE_FILES + 2)
    if files < probes + descendants + len(DEPARTMENTS):
        raise SystemExit(f"--items must be at least {probes + descendants + len(DEPARTMENTS)} for these options")
    root = world.root()
    layout = Layout(files, world.add_folder(root, "Projekte"), descendants, [])
    _probes(world, layout, revocations)
    team = world.add_group("Projektteam", members=(world.add_user("projekt"),))
    world.grant(layout.big_folder, "group", team, "read")
    _fill(world, layout, layout.big_folder, descendants)
    remaining = files - layout.serial
    for n, dept in enumerate(DEPARTMENTS):
        folder = world.add_folder(root, dept)
        group = world.add_group(dept, members=(world.add_user(dept.lower()),))
        world.grant(folder, "group", group, "read")
        share = remaining // len(DEPARTMENTS) + (n < remaining % len(DEPARTMENTS))
        layout.editable += _fill(world, layout, folder, share)
    return layout


def _fill(world: World, layout: Layout, folder: str, count: int) -> list[str]:
    """``count`` files in subfolders of :data:`PER_FOLDER` below ``folder``."""
    made: list[str] = []
    for start in range(0, count, PER_FOLDER):
        sub = world.add_folder(folder, f"teil-{start // PER_FOLDER:03d}")
        made += [layout.add_file(world, sub)[0] for _ in range(min(PER_FOLDER, count - start))]
    return made


def _probes(world: World, layout: Layout, revocations: int) -> None:
    """Per revocation: a file granted to a user by name, a folder granted to another (its files inherit), and
    a file granted to a site group that a third user is a member of."""
    users = {kind: world.add_user(name) for kind, name in PROBE_USERS.items()}
    shared = world.add_folder(world.root(), "Freigaben")
    for i in range(revocations):
        item, own = layout.add_file(world, shared)
        grant = world.grant(item, "user", users["file grant"], "read")
        _probe(world, layout, "file grant", users, item, own, functools.partial(world.revoke, item, grant))
        folder = world.add_folder(shared, f"ordner-{i:03d}")
        grant = world.grant(folder, "user", users["folder grant"], "read")
        inside = [layout.add_file(world, folder) for _ in range(FOLDER_PROBE_FILES)]
        revoke = functools.partial(world.revoke, folder, grant)
        _probe(world, layout, "folder grant", users, *inside[0], revoke)
        login = world.login_of(users["site-group member"])
        group = world.add_site_group(f"Projektgruppe {i:03d}", (login,))
        item, own = layout.add_file(world, shared)
        world.grant(item, "siteGroup", group, "read")
        revoke = functools.partial(world.remove_site_group_member, group, login)
        _probe(world, layout, "site-group member", users, item, own, revoke)


def _probe(world: World, layout: Layout, kind: str, users: dict[str, str], item: str, own: str,
           revoke: Callable[[], None]) -> None:  # fmt: skip
    layout.probes.append(Probe(kind, users[kind], item, world.path_of(item), own, revoke))
