"""The leak hunt: the whole path from a folder corpus to a caller's results, against an independent oracle, on
≥ 1 000 000 (caller × document) decisions per run.

A seeded world (``tests/leak_world.py``; ``RAGWARDEN_LEAK_SEED`` replays one) is written to disk: a local
directory YAML (nested groups with cycles, disabled users) and a folder corpus with ``.acl.json`` sidecars
holding issue 11's adversarial cases. The real pipeline ingests it (:class:`LocalFolderConnector`,
:class:`SyncEngine` admitting ACLs against what the real :class:`LocalDirectory` can emit, a real
:class:`QdrantEdgeIndex`; only the embedder is a fake: the claim is about the filter). Then ACLs are changed,
files deleted and a folder swapped for a link; a permission-only pass and a content sync follow, each checked.

Each caller is resolved by the real directory (checked against the oracle's own resolution) and makes ONE
search through the real index filter with a limit above the chunk count, so it returns every chunk the
caller may see; the paths it returns must be exactly those the oracle (``tests/leak_oracle.py``) allows, with
the ACL the oracle expects. Every file, link and path through a link counts as a document, indexed or not.
Sampled group chats (:class:`JointScope`) are checked the same way.
"""

from __future__ import annotations

import os
import random
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.acl.principals import emittable_of
from ragwarden.connectors.local_folder import KIND_ORPHAN_SIDECAR, LocalFolderConnector
from ragwarden.core.models import AccessScope, FailedItem, JointScope, Scope, SourceDocument
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.ingestion.sync_report import SyncReport
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.retrieval.hybrid import SearchPlan
from ragwarden.testing.fakes.embedding import CountingEmbedder
from tests import leak_oracle as oracle
from tests import leak_world

DIM = 8
LIMIT = 5000  # above the corpus's chunk count: one search returns everything a caller may see
GOAL = 1_000_000
CHATS = 60  # sampled group chats per check


@dataclass
class Hunt:
    """The real pipeline over one world, and what it was caught at."""

    world: leak_world.World
    base: Path
    directory: LocalDirectory = field(init=False)
    index: QdrantEdgeIndex = field(init=False)
    state: StateStore = field(init=False)
    engine: SyncEngine = field(init=False)
    connector: LocalFolderConnector = field(init=False)
    scopes: dict[str, AccessScope] = field(default_factory=dict)  # by the real directory
    truth: dict[str, frozenset[str]] = field(default_factory=dict)  # by the oracle
    decisions: int = 0
    optional: frozenset[str] = frozenset()  # paths the current check lets be missing
    by_acl: defaultdict[oracle.Acl, list[str]] = field(default_factory=lambda: defaultdict(list))
    documents: list[int] = field(default_factory=list)  # per check
    disagreements: list[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        leak_world.write_world(self.world)
        (self.base / "directory.yaml").write_text(yaml.safe_dump(self.world.directory_yaml(), allow_unicode=True))
        self.directory = LocalDirectory.from_file(self.base / "directory.yaml")
        self.index = QdrantEdgeIndex(self.base / "index", plan=SearchPlan(max_limit=LIMIT))
        self.state = StateStore(self.base / "state.sqlite3")
        processor = DocumentProcessor(Chunker(120, 10), 1_000_000)
        # As the composition root wires it (Services.principals): ACLs are admitted against the directory.
        principals = emittable_of([self.directory])
        self.engine = SyncEngine(self.index, CountingEmbedder(DIM), self.state, processor, principals=principals)
        self.connector = LocalFolderConnector(self.world.root_dir, source="leak", max_file_size=1_000_000)
        self.scopes = {c: self.directory.resolve(c) for c in self.world.callers()}
        self.truth = {c: oracle.tokens_of(self.world, c) for c in self.scopes}

    def close(self) -> None:
        self.index.close()
        self.state.close()

    def disagree(self, *what: Any) -> None:
        self.disagreements.append(what)

    def check_directory(self) -> None:
        for caller, scope in self.scopes.items():
            if scope.tokens != self.truth[caller]:
                self.disagree("directory", "tokens", caller, sorted(self.truth[caller]), sorted(scope.tokens))

    def check_reported(self, phase: str, report: SyncReport, judged: oracle.Judgement, skip: str = "//") -> None:
        """A content sync reports every file it does not index (orphan sidecars are reported besides); what is
        below ``skip`` may go either way."""
        root, skipped = self.world.root_dir, (self.world.root_dir / skip).as_uri()
        reported = {f.source_uri for f in report.failed if f.kind != KIND_ORPHAN_SIDECAR
                    and f.source_uri != skipped and not f.source_uri.startswith(skipped + "/")}  # fmt: skip
        expected = {(root / p).as_uri() for p, acl in judged.acls.items()
                    if acl is None and p not in judged.virtual and not _below(p, skip)}  # fmt: skip
        for uri in sorted(reported ^ expected)[:20]:
            self.disagree(phase, "failure report", uri, "not indexed" if uri in expected else "indexed",
                          "reported" if uri in reported else "not reported")  # fmt: skip

    def check(self, phase: str, expected: dict[str, oracle.Acl | None], rng: random.Random,
              optional: frozenset[str] = frozenset()) -> None:  # fmt: skip
        """Every caller's one search against the oracle (dense, some hybrid and sparse); then group chats of
        people who share a document, sometimes joined by anyone (a stranger or a disabled user too). An
        ``optional`` path may be missing; if it is there, it is as expected."""
        self.optional = optional
        self.by_acl = defaultdict(list)  # the oracle decides once per distinct ACL
        for path, acl in expected.items():
            if acl is not None:
                self.by_acl[acl].append(path)
        stamped: set[str] = set()
        self.documents.append(len(expected))
        for i, (caller, scope) in enumerate(self.scopes.items()):
            mode = {5: "hybrid", 13: "sparse"}.get(i % 16, "dense")
            self._compare(phase, caller, scope, [self.truth[caller]], expected, stamped, mode)
        callers, shown = list(self.scopes), [p for p, acl in expected.items() if acl is not None]
        for _ in range(CHATS):
            acl = expected[rng.choice(shown)]
            readers = [c for c in callers if oracle.visible(self.truth[c], acl)] or callers
            people = rng.sample(readers, min(len(readers), rng.randint(2, 4)))
            people += rng.sample(callers, 1) if rng.random() < 0.3 else []
            joint = JointScope("chat", tuple(self.scopes[p] for p in people))
            self._compare(phase, tuple(people), joint, [self.truth[p] for p in people], expected, stamped, "dense")

    def _compare(self, phase: str, who: Any, scope: Scope, members: list[frozenset[str]],
                 expected: dict[str, oracle.Acl | None], stamped: set[str], mode: str) -> None:  # fmt: skip
        want = {p for acl, paths in self.by_acl.items() if all(oracle.visible(t, acl) for t in members) for p in paths}
        hits = self.index.search(scope, [1.0] * DIM, leak_world.WORD, LIMIT, mode, exact=True)  # type: ignore[arg-type]
        assert len(hits) < LIMIT, "the search limit no longer covers the corpus: raise LIMIT"
        got = {str(h.payload["path"]) for h in hits}
        for path in sorted((got - want) | (want - got - self.optional))[:5]:
            self.disagree(phase, f"{mode} search", who, path, "visible" if path in want else "hidden",
                          "shown" if path in got else "not shown")  # fmt: skip
        for hit in hits:
            path = str(hit.payload["path"])
            if path not in stamped:
                stamped.add(path)
                held = oracle.Acl(*(frozenset(hit.payload[k]) for k in ("acl_allow", "acl_deny", "acl_share")))
                if held != expected.get(path):
                    self.disagree(phase, "stamped ACL", path, expected.get(path), held)
                if _nfc(path) not in _nfc(str(hit.payload["text"])):  # every file's text names its own path
                    self.disagree(phase, "content", path, "its own bytes", hit.payload["text"])
        self.decisions += len(expected)


def change_permissions(world: leak_world.World, rng: random.Random) -> None:
    """File sidecars rewritten, added and removed; folder ACLs rewritten and one broken; sidecars in another
    case put beside files (their files fail). In the model and on disk."""
    make, root = leak_world.Maker(world, rng), world.root_dir
    files = list(leak_world.files_in(world.root))
    for path, folder, name in rng.sample(files, len(files) // 8):
        current = folder.entries.get(name + ".acl.json")
        if current is not None and isinstance(current.raw, dict) and rng.random() < 0.3:
            del folder.entries[name + ".acl.json"]
            leak_world.remove(root / f"{path}.acl.json")
        elif current is None or isinstance(current.raw, dict):
            folder.entries[name + ".acl.json"] = sidecar = leak_world.Sidecar(make.acl(0.08, []))
            leak_world.write(root / f"{path}.acl.json", sidecar)
    subs = [f for f in leak_world.folders_in(world.root) if "/" in f[0]]
    for k, (path, folder, _, _) in enumerate(rng.sample(subs, 5)):
        folder.entries[".acl.json"] = acl = leak_world.Sidecar(b'{"allow": [' if k == 0 else make.acl(0.02, []))
        leak_world.write(root / path / ".acl.json", acl)
    for path, folder, name in rng.sample(files, 4):
        if name.swapcase() != name:
            folder.entries[f"{name.swapcase()}.acl.json"] = loose = leak_world.Sidecar({"allow": ["everyone"]})
            leak_world.write(root / path.rsplit("/", 1)[0] / f"{name.swapcase()}.acl.json", loose)


def move_things(world: leak_world.World, rng: random.Random, trash: Path) -> None:
    """Files deleted, a folder swapped for a link, new files. In the model and on disk."""
    root = world.root_dir
    for path, folder, name in rng.sample(list(leak_world.files_in(world.root)), 40):
        del folder.entries[name]
        leak_world.remove(root / path)
    Swap(world, rng, trash)()
    subs = [f for f in leak_world.folders_in(world.root) if "/" in f[0]]
    make = leak_world.Maker(world, rng)
    for k in range(12):
        path, folder, _, _ = rng.choice(subs)
        make.file(folder, f"{path}/neu-{k}.txt", f"neu-{k}.txt")
        for name in (f"neu-{k}.txt", f"neu-{k}.txt.acl.json"):
            if name in folder.entries:
                leak_world.write(root / path / name, folder.entries[name])


class Swap:
    """A folder with files to be swapped for a link to another department; the folder moves out of the root,
    so its files live on (and can still be opened through handles on it). In the model and on disk."""

    def __init__(self, world: leak_world.World, rng: random.Random, trash: Path) -> None:
        full = [f for f in leak_world.folders_in(world.root) if "/" in f[0] and any(
            isinstance(e, leak_world.File) for e in f[1].entries.values())]  # fmt: skip
        self.path, folder, self.parent, self.name = rng.choice(full)
        # The department whose top folder shares the most file names: through the link, a read that follows
        # links would find another file at the very path the scan decided an ACL for.
        others = [d for d in map(leak_world.department_name, rng.sample(range(12), 12)) if not self.path.startswith(d)]
        names = {n for n, e in folder.entries.items() if isinstance(e, leak_world.File)}
        self.dept = max(others, key=lambda d: len(names & world.root.entries[d].entries.keys()))
        self.world, self.trash, self.done = world, trash, False

    def __call__(self) -> None:
        if self.done:
            return
        root, self.done = self.world.root_dir, True
        self.trash.mkdir(exist_ok=True)
        (root / self.path).rename(self.trash / f"{len(list(self.trash.iterdir()))}-{self.name}")
        self.parent.entries[self.name] = link = leak_world.Link(root / self.dept, self.world.root.entries[self.dept])
        leak_world.write(root / self.path, link)


class SwapMidScan:
    """The folder connector, with a folder swapped for a link right after the scan yielded its first document
    and the engine read it: the lazy-scan attack of issue 11, finding 1."""

    def __init__(self, inner: LocalFolderConnector, swap: Swap) -> None:
        self.inner, self.swap = inner, swap
        self.source, self.read = inner.source, inner.read

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        for item in self.inner.scan():
            yield item
            if isinstance(item, SourceDocument) and _below(item.path, self.swap.path):
                self.swap()


def _below(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _seed() -> int:
    given = os.environ.get("RAGWARDEN_LEAK_SEED")
    return int(given) if given else random.SystemRandom().randrange(2**32)


def test_no_caller_sees_a_document_the_oracle_denies_through_sync_restamp_and_resync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """≥ 1 000 000 (caller × document) decisions through the real connector, engine and index filter agree
    with the oracle: after a content sync, after a permission-only pass over changed sidecars, deleted files
    and a folder swapped for a link, and after the content sync that follows."""
    seed, started = _seed(), time.perf_counter()
    rng = random.Random(seed)
    hunt = Hunt(leak_world.generate(seed, tmp_path), tmp_path)
    try:
        hunt.check_directory()
        first = oracle.judge(hunt.world)
        swap = Swap(hunt.world, rng, tmp_path / "trash")
        report = hunt.engine.sync(SwapMidScan(hunt.connector, swap))  # type: ignore[arg-type]
        swap()  # if the scan never got to it
        # The swapped folder's files may be indexed as they were (read before the swap), or not at all.
        below = {p for p in first.acls if _below(p, swap.path)}
        before = {**oracle.judge(hunt.world).acls, **{p: first.acls[p] for p in below}}
        hunt.check_reported("content sync", report, first, skip=swap.path)
        hunt.check("content sync", before, rng, optional=frozenset(below))

        change_permissions(hunt.world, rng)
        move_things(hunt.world, rng, tmp_path / "trash")
        hunt.engine.sync_acls(hunt.connector)
        now = oracle.judge(hunt.world)
        # A permission-only pass re-stamps or removes what is indexed; it indexes nothing new.
        kept = {p: now.acls.get(p) if before.get(p) is not None else None for p in {*before, *now.acls}}
        hunt.check("permission pass", kept, rng)

        hunt.check_reported("content resync", hunt.engine.sync(hunt.connector), now)
        hunt.check("content resync", now.acls, rng)
    finally:
        hunt.close()
        with capsys.disabled():  # in the CI log, passed or not
            print(f"\nleak hunt: {hunt.decisions} decisions, seed {seed}, {time.perf_counter() - started:.1f} s "
                  f"({len(hunt.scopes)} callers and {CHATS} group chats × {'/'.join(map(str, hunt.documents))} "
                  "documents)")  # fmt: skip
    if hunt.disagreements:
        kinds = Counter(f"{d[0]}: {d[1]}" for d in hunt.disagreements)
        leaks_first = sorted(hunt.disagreements, key=lambda d: not str(d[1]).endswith("search"))
        shown = "\n".join(map(repr, leaks_first[:10]))
        pytest.fail(f"seed {seed}: {len(hunt.disagreements)} disagreements {dict(kinds)}; the first:\n{shown}")
    assert hunt.decisions >= GOAL, f"seed {seed}: only {hunt.decisions} decisions"
