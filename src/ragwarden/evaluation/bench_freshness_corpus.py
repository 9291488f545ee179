"""The corpus and workspace of ``ragwarden bench freshness`` (:mod:`ragwarden.evaluation.bench_freshness`).

``--docs`` small text files, each with a made-up word of its own, in departments whose ``.acl.json``
admit one group each, and one user per department (the directory file). :class:`Workspace` keeps the
corpus, the directory and the data dir at a fixed path, and caches them right after the first ingest,
keyed by the code that writes the index and the state, so a re-run copies them instead of ingesting.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ragwarden.testing.live_server import LiveServer

SOURCE = "bench"
DEPARTMENTS = ("hr", "finance", "rnd", "sales", "legal")
ADMIN = "bench-admin"
PER_FOLDER = 100
CORPUS_VERSION = 1
QUIET = "1h"  # the interval of passes that must not run during a measurement
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
FILLER = (
    "Urlaub Reisekosten Budget Quartal Vertrag Angebot Rechnung Projekt Freigabe Protokoll Server Backup "
    "vacation travel budget quarter contract offer invoice project approval minutes server backup team"
).split()


def word(prefix: str, n: int) -> str:
    """A made-up word per number: no vowels, so neither stemmer touches it and no dictionary has it."""
    letters = []
    for _ in range(5):
        n, digit = divmod(n, len(_CONSONANTS))
        letters.append(_CONSONANTS[digit])
    return prefix + "".join(reversed(letters))


def write_acl(path: Path, allow: list[str]) -> None:
    path.write_text(json.dumps({"allow": allow, "deny": []}))


@dataclass(frozen=True)
class Corpus:
    root: Path
    docs: int

    @staticmethod
    def dept(n: int) -> str:
        return DEPARTMENTS[n % len(DEPARTMENTS)]

    def rel(self, n: int) -> str:
        return f"{self.dept(n)}/p{n // len(DEPARTMENTS) // PER_FOLDER:03d}/d{n:05d}.txt"

    @staticmethod
    def text(n: int, prefix: str = "zd") -> str:
        rng, own = random.Random(f"{prefix}{n}"), word(prefix, n)
        lines = [" ".join(rng.choice(FILLER) for _ in range(rng.randint(8, 14))) for _ in range(3)]
        return f"{own}: {lines[0]}.\n{lines[1]} {own}.\n{lines[2]}.\n"

    def write(self) -> None:
        for dept in DEPARTMENTS:
            (self.root / dept).mkdir(parents=True, exist_ok=True)
            write_acl(self.root / dept / ".acl.json", [f"group:{dept}"])
        for n in range(self.docs):
            path = self.root / self.rel(n)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.text(n))


def code_fingerprint() -> str:
    """The cached ingest stands for the code that made it (index layout, state schema, chunking): a
    hash of the packages that write them; other code ingests again."""
    import ragwarden

    package, digest = Path(ragwarden.__file__).parent, hashlib.sha256()
    for path in sorted(
        p for part in ("core", "connectors", "ingestion", "retrieval") for p in (package / part).rglob("*.py")
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def directory_yaml() -> str:
    users = "".join(f"  u-{d}: {{groups: [{d}]}}\n" for d in DEPARTMENTS)
    groups = "".join(f"  {d}: {{}}\n" for d in DEPARTMENTS)
    return f"users:\n{users}  {ADMIN}: {{groups: [it-admins]}}\ngroups:\n{groups}  it-admins: {{}}\n"


@dataclass
class Workspace:
    """``run/`` (corpus, directory, data dir, at a fixed path: the index records where the source
    lives) and, when caching, ``pristine/``: the same right after the first ingest."""

    base: Path
    docs: int

    @property
    def run(self) -> Path:
        return self.base / "run"

    @property
    def corpus(self) -> Corpus:
        return Corpus(self.run / "corpus", self.docs)

    def prepare(self, cache: bool) -> tuple[float, bool] | None:
        """Seconds of the first ingest and whether the cache had it; None: left to the first server."""
        pristine, made_by = self.base / "pristine", code_fingerprint()
        shutil.rmtree(self.run, ignore_errors=True)
        meta = json.loads((pristine / "meta.json").read_text()) if (pristine / "meta.json").is_file() else {}
        if cache and meta.get("code") == made_by:
            shutil.copytree(pristine, self.run, ignore=shutil.ignore_patterns("meta.json"))
            return float(meta["ingest_seconds"]), True
        if cache and meta:
            print("the cached ingest was made by other code: ingesting again", flush=True)
        print(f"writing {self.docs} documents in {self.run} ...", flush=True)
        self.corpus.write()
        (self.run / "directory.yaml").write_text(directory_yaml())
        if not cache:
            return None
        print("ingesting them (once: the result is cached) ...", flush=True)
        server, started = LiveServer(self.run / "data", self.run / "directory.yaml"), time.monotonic()
        done = server.cli("ingest", str(self.corpus.root), "--name", SOURCE, timeout=600 + self.docs)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"the first ingest failed:\n{done.stderr[-3000:]}")
        shutil.rmtree(pristine, ignore_errors=True)
        shutil.copytree(self.run, self.base / "pristine.tmp", ignore=shutil.ignore_patterns("*.sock", "*.log"))
        (self.base / "pristine.tmp" / "meta.json").write_text(json.dumps({"ingest_seconds": seconds, "code": made_by}))
        (self.base / "pristine.tmp").rename(pristine)
        return seconds, False

    def server(self, *, watch: bool, acl_interval: str) -> LiveServer:
        sources = self.run / "sources.yaml"
        sources.write_text(
            f"sources:\n  - name: {SOURCE}\n    location: {self.corpus.root}\n    watch: {str(watch).lower()}\n"
            f"    acl_interval: {acl_interval}\n    content_interval: {QUIET}\n    max_acl_age: 2h\n"
        )
        admins = {"RAGWARDEN_ADMIN_TOKENS": json.dumps(["group:it-admins"])}
        return LiveServer(self.run / "data", self.run / "directory.yaml", sources, env_extra=admins)
