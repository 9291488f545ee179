"""kill -9 of a serving ragwarden in the middle of content syncs, 20 times: after a restart and one sync
the index equals the source, with no document lost, duplicated, stale or carrying a stale ACL. Checked by
``ragwarden verify``, by the state store against the files themselves, and through the API as users.

Between kills the folder changes the way a file share does (edits, additions, deletions, folder and
file ACL changes, a renamed folder) and also takes back some of the previous round's changes (an edit
reverted, a deleted file restored, a permission change undone, a new file removed again): a crash leaves
the index and the checkpoint out of step for exactly the documents its sync was touching, and only a
change that lands on those documents shows whether the next sync notices.

Odd kills land at a uniformly random moment of the expected sync time. Between an index write and
its checkpoint commit there are only a millisecond or two, which such a moment almost never hits, so
even kills hold the state store's write lock (as a slow disk or another writer would) and kill the
server while its sync waits at its first, second or third commit. The seed is printed;
``RAGWARDEN_CRASH_SEED=<seed>`` replays the same changes and choices (kill moments vary with the machine).

Restarts fork from a pre-warmed interpreter (:class:`~ragwarden.testing.live_server.Prewarmed`):
each is a real ``ragwarden serve`` that loads its model and index, without ~6 s of imports per start.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.testing.live_server import LiveServer, Prewarmed, wait_for

SEED = int(os.environ.get("RAGWARDEN_CRASH_SEED", "20260131"))
KILLS = 20
FOLDERS, FILES_PER_FOLDER = 8, 13  # the last file of each folder is a long one
GROUPS = ("g0", "g1", "g2", "g3")
USERS = {f"u{i}": g for i, g in enumerate(GROUPS)}  # one group each; "auditor" has them all
DIRECTORY = (
    "users:\n"
    + "".join(f"  {u}: {{groups: [{g}]}}\n" for u, g in USERS.items())
    + f"  auditor: {{groups: [{', '.join(GROUPS)}]}}\n  ops: {{groups: [it-admins]}}\n"
    + "groups:\n"
    + "".join(f"  {g}: {{}}\n" for g in (*GROUPS, "it-admins"))
)
FILLER = "Antrag Frist Abteilung Formular Regelung Pruefung Freigabe Vertrag Meldung Bescheid Akte Termin".split()


Acl = dict[str, list[str]]  # a sidecar's content: {"allow": [...], "deny": [...]}


@dataclass
class Doc:
    word: str  # the one word only this version of this file contains
    text: str
    sidecar: Acl | None = None  # its own ACL, else its folder's


@dataclass
class Round:
    """What one round changed, so that the next can take some of it back."""

    added: list[str] = field(default_factory=list)
    edited: dict[str, Doc] = field(default_factory=dict)  # path → the version before
    deleted: dict[str, Doc] = field(default_factory=dict)
    folder_acls: dict[str, list[str]] = field(default_factory=dict)  # folder → its groups before
    sidecars: dict[str, Acl | None] = field(default_factory=dict)
    to_embed: int = 0  # bytes of content the next sync must parse and embed


class Share:
    """The folder source, changed only through here: the truth the index must end up equal to."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.folders: dict[str, list[str]] = {}
        self.docs: dict[str, Doc] = {}
        self.words: set[str] = set()  # every word any version ever had
        self.seen_by: dict[str, set[str]] = defaultdict(set)  # path → users it was ever visible to
        self.ever: set[str] = set()  # every path there ever was
        self.last = Round()
        self.renames = 0

    # -- building blocks -----------------------------------------------------------------------------

    def fresh_word(self) -> str:
        while True:  # consonant-vowel syllables and an "x" no stemmer strips: one BM25 term each
            word = "".join(self.rng.choice("bdfgklmnprstvz") + self.rng.choice("aeiou") for _ in range(4)) + "x"
            if word not in self.words:
                self.words.add(word)
                return word

    def new_version(self, path: str, long: bool | None = None, sidecar: Acl | None = None) -> Doc:
        word = self.fresh_word()
        long = self.rng.random() < 0.1 if long is None else long
        if long:  # several chunks, each naming the word
            sentences = [f"Abschnitt {i} zum Kennwort {word} regelt {' '.join(self.rng.sample(FILLER, 5))}."
                         for i in range(self.rng.randint(12, 30))]
            return Doc(word, "\n".join(sentences) + "\n", sidecar)
        text = f"Vermerk {Path(path).stem}: Kennwort {word}. {' '.join(self.rng.sample(FILLER, 4))}.\n"
        return Doc(word, text, sidecar)

    def write(self, path: str, doc: Doc, round_: Round) -> None:
        (self.root / path).write_text(doc.text)
        self.set_sidecar(path, doc.sidecar, round_, record=False)
        self.docs[path] = doc
        round_.to_embed += len(doc.text)

    def set_sidecar(self, path: str, acl: Acl | None, round_: Round, record: bool = True) -> None:
        if record:
            round_.sidecars.setdefault(path, self.docs[path].sidecar)
            self.docs[path].sidecar = acl
        sidecar = self.root / f"{path}.acl.json"
        if acl is None:
            sidecar.unlink(missing_ok=True)
        else:
            sidecar.write_text(json.dumps(acl))

    def set_folder_acl(self, folder: str, groups: list[str]) -> None:
        self.folders[folder] = groups
        (self.root / folder / ".acl.json").write_text(json.dumps({"allow": [f"group:{g}" for g in groups]}))

    def delete(self, path: str, round_: Round) -> None:
        round_.deleted[path] = self.docs.pop(path)
        (self.root / path).unlink()
        (self.root / f"{path}.acl.json").unlink(missing_ok=True)

    def acl(self, path: str) -> Acl:
        own = self.docs[path].sidecar
        groups = self.folders[path.split("/")[0]]
        allow, deny = (own["allow"], own.get("deny", [])) if own else ([f"group:{g}" for g in groups], [])
        return {"allow": sorted(allow), "deny": sorted(deny), "share": []}

    def visible_to(self, path: str) -> set[str]:
        acl = self.acl(path)
        return {u for u, g in USERS.items() if f"group:{g}" in acl["allow"] and f"user:{u}" not in acl["deny"]}

    def random_acl(self) -> Acl:
        allow = [f"group:{g}" for g in self.rng.sample(GROUPS, self.rng.randint(1, 2))]
        deny = [f"user:{self.rng.choice(list(USERS))}"] if self.rng.random() < 0.3 else []
        return {"allow": allow, "deny": deny}

    # -- a round of changes --------------------------------------------------------------------------

    def populate(self) -> None:
        round_ = Round()
        for i in range(FOLDERS):
            folder = f"abt{i}"
            (self.root / folder).mkdir(parents=True)
            self.set_folder_acl(folder, [GROUPS[i % len(GROUPS)]])
            for n in range(FILES_PER_FOLDER):
                path = f"{folder}/doc{n:03d}.txt"
                self.write(path, self.new_version(path, long=n == FILES_PER_FOLDER - 1), round_)
        self.end_round(round_)

    def mutate(self, number: int) -> Round:
        round_ = Round()
        self.take_back(self.last, round_)
        rng, paths = self.rng, sorted(self.docs)
        edits = [p for p in rng.sample(paths, 6) if p in self.docs and p not in round_.edited]
        for path in edits:
            round_.edited[path] = self.docs[path]
            self.write(path, self.new_version(path, sidecar=self.docs[path].sidecar), round_)
        both = edits[:1] if rng.random() < 0.5 else []  # new content and a new ACL at once
        for path in both + rng.sample(sorted(self.docs), 2):
            self.set_sidecar(path, None if self.docs[path].sidecar else self.random_acl(), round_)
        for path in rng.sample(sorted(self.docs), 3):
            self.delete(path, round_)
        for n in range(5):
            path = f"{rng.choice(sorted(self.folders))}/neu{number:02d}-{n}.txt"
            self.write(path, self.new_version(path), round_)
            round_.added.append(path)
        if rng.random() < 0.4:
            folder = rng.choice(sorted(self.folders))
            round_.folder_acls[folder] = self.folders[folder]
            self.set_folder_acl(folder, sorted(rng.sample(GROUPS, rng.randint(1, 2))))
        if rng.random() < 0.15 and self.renames < 2:
            self.rename_folder(rng.choice(sorted(self.folders)), number, round_)
        self.end_round(round_)
        return round_

    def take_back(self, last: Round, round_: Round) -> None:
        """Undo some of the previous round: what a killed sync was busy with is changed once more."""
        coin = self.rng.random
        for path, before in last.edited.items():
            if path in self.docs and coin() < 0.5:  # byte for byte the version before
                round_.edited[path] = self.docs[path]
                self.write(path, Doc(before.word, before.text, self.docs[path].sidecar), round_)
        for path, doc in last.deleted.items():
            if path.split("/")[0] in self.folders and path not in self.docs and coin() < 0.5:
                self.write(path, doc, round_)
        for path in last.added:
            if path in self.docs and coin() < 0.5:
                self.delete(path, round_)
        for folder, groups in last.folder_acls.items():
            if folder in self.folders and coin() < 0.5:
                round_.folder_acls[folder] = self.folders[folder]
                self.set_folder_acl(folder, groups)
        for path, acl in last.sidecars.items():
            if path in self.docs and coin() < 0.5:
                self.set_sidecar(path, acl, round_)

    def rename_folder(self, folder: str, number: int, round_: Round) -> None:
        new = f"{folder}-r{number:02d}"
        (self.root / folder).rename(self.root / new)
        self.folders[new] = self.folders.pop(folder)
        for path in [p for p in self.docs if p.startswith(f"{folder}/")]:
            doc = self.docs.pop(path)
            round_.deleted[path] = doc
            self.docs[f"{new}/{path.split('/', 1)[1]}"] = doc
            round_.to_embed += len(doc.text)
        self.renames += 1

    def end_round(self, round_: Round) -> None:
        self.last = round_
        self.ever |= set(self.docs)
        for path in self.docs:
            self.seen_by[path] |= self.visible_to(path)


# -- the state store, read beside the server (WAL: readers never block it) ---------------------------


def _read(data_dir: Path, sql: str) -> list[Any]:
    db = sqlite3.connect(f"file:{data_dir / 'state.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def state_rows(data_dir: Path) -> list[tuple[str, str, str, str, int]]:
    return _read(data_dir, "SELECT doc_id, path, content_hash, acl_json, chunk_count FROM documents")


def content_ok(data_dir: Path) -> str | None:
    rows = _read(data_dir, "SELECT content_ok FROM sources WHERE name = 'docs'")
    return rows[0][0] if rows else None


def out_of_step(server: LiveServer) -> int:
    """Points in the index minus chunks the checkpoint records: 0 unless a crash fell between the two."""
    points = int(server.get("/v1/admin/sources", "ops").json()["index_points"])
    return points - sum(row[4] for row in state_rows(server.data_dir))


class CheckpointGate:
    """Holds the state store's write lock, as a slow disk or another writer would: the server's sync
    runs up to its next checkpoint commit and waits there, the index already written for it."""

    def __init__(self, data_dir: Path) -> None:
        self._wal = data_dir / "state.sqlite3-wal"
        self._db = sqlite3.connect(data_dir / "state.sqlite3", timeout=30, isolation_level=None)
        self._db.execute("BEGIN IMMEDIATE")

    def _wal_state(self) -> tuple[int, int]:
        info = self._wal.stat()
        return info.st_size, info.st_mtime_ns

    def let_one_through(self, timeout: float = 10.0) -> None:
        """Release the lock until the waiting commit is written, then take it back."""
        before, deadline = self._wal_state(), time.monotonic() + timeout
        self._db.execute("ROLLBACK")
        while self._wal_state() == before and time.monotonic() < deadline:
            time.sleep(0.001)
        self._db.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        self._db.execute("ROLLBACK")
        self._db.close()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_until_stalled(pid: int, working: bool, timeout: float = 25.0) -> bool:
    """Until the server stops using CPU: its sync waits for the lock. Unless it is known to be
    ``working`` already, it must first be seen working, or an idle server would pass for a stalled one."""
    deadline, first = time.monotonic() + timeout, cpu_ticks(pid)
    while not working and cpu_ticks(pid) - first < 3:  # the sync has started (30 ms of CPU)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    last = cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = cpu_ticks(pid)
        if now - last <= 1:
            return True
        last = now
    return False


# -- one kill ------------------------------------------------------------------------------------------


@dataclass
class Kill:
    number: int
    mode: str  # "uniform": at a random moment of the expected sync time; "stalled": at a commit
    budget: float  # the expected sync time
    after: float = 0.0  # seconds from the sync request to the kill
    running: bool = False  # a content sync was running when the kill was sent
    completed: bool = False  # ... or had already finished
    items: str = "?"  # items that sync had seen
    gap_before: int = 0  # index points minus checkpointed chunks, at this start
    gap_after: int = 0  # ... and at the next

    @property
    def torn(self) -> bool:
        """Provably left the index and its checkpoint out of step (blind to same-size rewrites)."""
        return self.gap_after not in (0, self.gap_before)

    @property
    def landed(self) -> str:
        return "mid-sync" if self.running and not self.completed else "after" if self.completed else "before"


def sync_state(server: LiveServer) -> tuple[bool, str]:
    row = server.get("/v1/admin/sources", "ops").json()["sources"][0]
    running = row["scheduler"]["running"]
    return running is not None and running["kind"] == "content", str(running["done"]) if running else "0"


def kill_during_sync(server: LiveServer, kill: Kill, rng: random.Random) -> None:
    before = content_ok(server.data_dir)
    assert server.proc is not None
    gate = CheckpointGate(server.data_dir) if kill.mode == "stalled" else None
    try:
        response = server.post("/v1/admin/sources/docs/sync", "ops")
        assert response.status_code == 202, response.text
        started = time.monotonic()
        if gate is None:
            time.sleep(rng.uniform(0, kill.budget))
            kill.running, kill.items = sync_state(server)
        else:  # at its first, second or third commit (the API cannot tell: the waiting commit holds
            # the state store's lock, which the API's reads wait for too)
            kill.running = wait_until_stalled(server.proc.pid, working=False)
            for _ in range(rng.randint(0, 2)):
                if not kill.running:
                    break
                gate.let_one_through()
                kill.running = wait_until_stalled(server.proc.pid, working=True)
        server.kill()
        kill.after = time.monotonic() - started
    finally:
        if gate is not None:
            gate.close()
    kill.completed = content_ok(server.data_dir) != before


# -- the checks: each returns what differs -------------------------------------------------------------


def client(server: LiveServer, user: str) -> httpx.Client:
    """One connection for many requests (a client per request costs more than the request)."""
    return httpx.Client(base_url=server.url, headers=server.headers(user), timeout=30)


def found(http: httpx.Client, words: list[str], problems: list[str]) -> dict[str, list[str]]:
    """Per word, the result paths whose snippet holds it; no document may be listed twice."""
    response = http.post("/v1/search", json={"query": " ".join(words), "limit": 50})
    response.raise_for_status()
    results = response.json()["results"]
    paths = [r["path"] for r in results]
    if len(paths) != len(set(paths)):
        problems.append(f"search lists a document twice for {http.headers['X-Remote-User']}: {sorted(paths)}")
    return {w: [r["path"] for r in results if w in r["snippet"].lower()] for w in words}


def batches(items: list[str], size: int = 8) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def check_verify(server: LiveServer, share: Share) -> list[str]:
    done = server.cli("verify", "--json")
    report = json.loads(done.stdout or "{}")
    problems = [f"verify: {d['doc']}: {d['problem']}" for d in report.get("drift", [])]
    if done.returncode != 0 and not problems:
        problems.append(f"verify exited {done.returncode}: {done.stderr[-500:]}")
    if report.get("checked") != len(share.docs):
        problems.append(f"verify checked {report.get('checked')} documents, the source has {len(share.docs)}")
    return problems


def check_state_store(server: LiveServer, share: Share) -> list[str]:
    rows = state_rows(server.data_dir)
    by_path: dict[str, list[str]] = defaultdict(list)
    for doc_id, path, _, _, _ in rows:
        by_path[path].append(doc_id)
    problems = [f"state: {p} held {len(ids)} times" for p, ids in by_path.items() if len(ids) > 1]
    on_disk = {p.relative_to(share.root).as_posix() for p in share.root.rglob("*.txt")}
    assert on_disk == set(share.docs), "the test's own bookkeeping is wrong"
    problems += [f"state: {p} is missing" for p in sorted(on_disk - set(by_path))]
    problems += [f"state: {p} is gone at the source" for p in sorted(set(by_path) - on_disk)]
    for _, path, content_hash, acl_json, _ in rows:
        if path in on_disk and content_hash != hashlib.sha256((share.root / path).read_bytes()).hexdigest():
            problems.append(f"state: {path} has a stale content hash")
        if path in on_disk and json.loads(acl_json) != share.acl(path):
            problems.append(f"state: {path} has ACL {acl_json}, the source {share.acl(path)}")
    return problems


def check_index(server: LiveServer, share: Share) -> list[str]:
    """Every path there ever was: the index holds exactly the checkpointed chunks of the current ones."""
    chunks = {path: n for _, path, _, _, n in state_rows(server.data_dir)}
    listed = server.get("/v1/admin/sources", "ops").json()["sources"][0]  # what `ragwarden sources` shows
    problems = [f"sources: {listed['failures']['items']} failed items"] if listed["failures"]["items"] else []
    if (listed["documents"], listed["chunks"]) != (len(chunks), sum(chunks.values())):
        problems.append(f"sources shows {listed['documents']} documents, {listed['chunks']} chunks")
    ids = LocalFolderConnector(share.root, source="docs", max_file_size=1)
    with client(server, "auditor") as http:
        for path in sorted(share.ever):
            got = http.get(f"/v1/documents/{ids.doc_id(path)}")
            held = got.json()["chunks"] if got.status_code == 200 else None
            want = chunks.get(path) if path in share.docs else None
            if held != want:
                problems.append(f"index: {path} has {held} chunks, should have {want}")
    points = server.get("/v1/admin/sources", "ops").json()["index_points"]
    if points != sum(chunks.values()):
        problems.append(f"index: {points} points, the checkpoint records {sum(chunks.values())} chunks")
    return problems


def check_search(server: LiveServer, share: Share, rng: random.Random) -> list[str]:
    problems: list[str] = []
    current = {doc.word: path for path, doc in share.docs.items()}
    old = sorted(share.words - set(current))
    with client(server, "auditor") as http:
        for words in batches(sorted(current)):
            got = found(http, words, problems)
            problems += [f"search: {w} finds {got[w]}, not [{current[w]}]" for w in words if got[w] != [current[w]]]
        for words in batches(rng.sample(old, min(len(old), 160))):
            got = found(http, words, problems)
            problems += [f"search: old text {w} still found in {got[w]}" for w in words if got[w]]
    for user in USERS:
        lost = sorted(d.word for p, d in share.docs.items() if user in share.seen_by[p] - share.visible_to(p))
        allowed = sorted(d.word for p, d in share.docs.items() if user in share.visible_to(p))
        with client(server, user) as http:
            for words in batches(lost):
                got = found(http, words, problems)
                problems += [f"search: {user} still finds {got[w]} after losing access" for w in words if got[w]]
            for words in batches(rng.sample(allowed, min(len(allowed), 16))):
                got = found(http, words, problems)
                problems += [f"search: {user} finds {got[w]} for {w}" for w in words if got[w] != [current[w]]]
    return problems


# -- the test ------------------------------------------------------------------------------------------


@pytest.fixture
def share(tmp_path: Path) -> Share:
    return Share(tmp_path / "share", random.Random(SEED))


def serving(tmp_path: Path, share: Share) -> LiveServer:
    (tmp_path / "directory.yaml").write_text(DIRECTORY)
    (tmp_path / "sources.yaml").write_text(  # no scheduled pass during the test: each sync is requested
        f"sources:\n  - name: docs\n    location: {share.root}\n"
        "    content_interval: 1h\n    acl_interval: 30m\n    max_acl_age: 1h\n"
    )
    return LiveServer(tmp_path / "data", tmp_path / "directory.yaml", tmp_path / "sources.yaml",
                      env_extra={"RAGWARDEN_ADMIN_TOKENS": '["group:it-admins"]'})


def crash_rounds(server: LiveServer, share: Share, rng: random.Random) -> list[Kill]:
    """The first full sync, then KILLS rounds of: change the share, start, request a sync, kill -9."""
    started = time.monotonic()
    server.start(ready=False)
    first = wait_for(lambda: content_ok(server.data_dir) is not None, 300, 0.1)
    seconds_per_byte = first / sum(len(d.text) for d in share.docs.values())
    print(f"first start {time.monotonic() - started - first:.1f} s, full sync of {len(share.docs)} files {first:.1f} s")
    server.kill()
    kills: list[Kill] = []
    for number in range(1, KILLS + 1):
        work = share.mutate(number)
        kill = Kill(number, "uniform" if number % 2 else "stalled", 0.3 + work.to_embed * seconds_per_byte)
        started = time.monotonic()
        server.start(ready=False)
        up = time.monotonic() - started
        kill.gap_before = out_of_step(server)
        if kills:
            kills[-1].gap_after = kill.gap_before
        kill_during_sync(server, kill, rng)
        kills.append(kill)
        print(f"kill {number:2d} {kill.mode:7s}: up in {up:.1f} s, killed {kill.after:5.2f} s after the sync "
              f"request (expected sync ~{kill.budget:4.2f} s), {kill.landed}, {kill.items} items seen")
    return kills


def run_checks(server: LiveServer, share: Share, rng: random.Random) -> list[str]:
    problems, timings = [], []
    for name, check in (("verify", lambda: check_verify(server, share)),
                        ("state store", lambda: check_state_store(server, share)),
                        ("index", lambda: check_index(server, share)),
                        ("search", lambda: check_search(server, share, rng))):
        started = time.monotonic()
        problems += check()
        timings.append(f"{name} {time.monotonic() - started:.1f} s")
    print(f"checks: {', '.join(timings)} ({len(share.ever)} paths)")
    return problems


def test_kill_9_during_content_syncs_loses_duplicates_and_leaks_nothing(tmp_path: Path, share: Share) -> None:
    rng, clock = random.Random(SEED + 1), time.monotonic()
    print(f"\ncrash test: seed {SEED} (replay with RAGWARDEN_CRASH_SEED={SEED})")
    share.populate()
    server = serving(tmp_path, share)
    try:
        with Prewarmed(server.env()) as launcher:
            server.launcher = launcher
            print(f"pre-warmed interpreter {time.monotonic() - clock:.1f} s")
            kills = crash_rounds(server, share, rng)
            share.mutate(KILLS + 1)
            started = time.monotonic()
            server.start()  # until /readyz says 200
            kills[-1].gap_after = out_of_step(server)
            synced = server.cli("sync", "docs")  # through the server, until the sync is done
        assert synced.returncode == 0, synced.stderr
        print(f"restart and one sync {time.monotonic() - started:.1f} s")
        problems = run_checks(server, share, rng)
    finally:
        server.stop()
    mid = sum(k.landed == "mid-sync" for k in kills)
    torn = [k.number for k in kills if k.torn]
    print(f"{KILLS} kills, {mid} mid-sync; {len(torn)} left the index and its checkpoint out of step: {torn}")
    print(f"total {time.monotonic() - clock:.1f} s")
    assert not problems, f"after the crashes (seed {SEED}) the index differs from the source:\n" + "\n".join(problems)
    assert mid >= KILLS // 2, "too few kills landed during a sync for this test to mean anything"
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
