"""Parsing in worker processes on the product path: a sync with the parse pool writes the same index as one
without it (same points in the same order, same ACLs, same failures), a worker that dies on one file fails that
file alone, a pass never holds more in flight than its window, and progress counts what is done.

Real worker processes (spawned, as the product spawns them), the real parsers and chunker, a real Qdrant Edge
index. The workers' recipe is the product's own ``ProcessorSpec`` behind one test hook: a file holding
:data:`CRASH` kills its worker with SIGSEGV, as a parser segfault on a malformed file would.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.core.models import AccessControl, Chunk, IndexedChunk, SourceDocument
from ragwarden.ingestion.parse_pool import ParsePool
from ragwarden.ingestion.parse_window import START_AFTER, InFlight
from ragwarden.ingestion.processing import ProcessorSpec
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.testing.fakes.embedding import CountingEmbedder
from tests.ingestion import documents

CRASH = b"SEGFAULT-IN-THE-PARSER"
SPEC = ProcessorSpec(120, 10, None, 10_000_000)


@dataclass(frozen=True)
class CrashingSpec:
    """The product's processor, except that a document holding :data:`CRASH` kills the process it runs in."""

    spec: ProcessorSpec = SPEC

    def __call__(self) -> Any:
        processor = self.spec()

        def make_chunks(doc: SourceDocument, data: bytes) -> list[Chunk]:
            if CRASH in data:
                os.kill(os.getpid(), signal.SIGSEGV)
            return processor(doc, data)

        return make_chunks


@pytest.fixture(scope="module")
def pool() -> Iterator[ParsePool]:
    pool = ParsePool(CrashingSpec(), 2)
    assert pool.start(wait_ready=300), pool.failed
    yield pool
    pool.close()


class RecordingIndex(QdrantEdgeIndex):
    """The real Edge index, keeping the points of every upsert in order (what was written, and when)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.upserted: list[IndexedChunk] = []

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        super().upsert(chunks)
        self.upserted.extend(chunks)


class Side:
    """One index and sync state, synced with the pool or without it."""

    def __init__(self, tmp: Path, root: Path, pool: ParsePool | None, **engine: Any) -> None:
        self.root, self.index = root, RecordingIndex(tmp / "index")
        self.state = StateStore(tmp / "state.sqlite3")
        self.engine = SyncEngine(self.index, CountingEmbedder(), self.state, SPEC(), parse_pool=pool, **engine)

    def sync(self) -> Any:
        return self.engine.sync(LocalFolderConnector(self.root, source="t", max_file_size=10_000_000))

    def close(self) -> None:
        self.index.close()
        self.state.close()

    def snapshot(self) -> dict[str, Any]:
        held = self.index.held_documents("t")
        return {
            "points": [(p.point_id, p.text, p.dense, p.payload) for p in self.index.upserted],
            "held": held,
            "acls": self.index.document_acls(sorted(held)),
            "count": self.index.count(),
            "state": {k: (d.content_hash, d.acl) for k, d in self.state.documents("t").items()},
        }


def write(root: Path, rel: str, data: bytes | str, allow: list[str] | None = None) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    if allow is not None:
        (path.parent / f"{path.name}.acl.json").write_text(json.dumps({"allow": allow}))


def a_corpus(root: Path, files: int = 14) -> None:
    write(root, ".acl.json", '{"allow": ["everyone"]}')
    write(root, "hr/reisekosten.docx", documents.docx_bytes(), ["group:hr"])
    write(root, "hr/handbuch.md", documents.MARKDOWN, ["group:hr", "user:otto"])
    write(root, "allgemein/seite.html", documents.HTML)
    write(root, "allgemein/kaputt.pdf", b"%PDF-1.4 not really a pdf")  # fails alike on both sides
    for n in range(files):
        words = " ".join(f"Absatz{n} Wort{i % 37} über Urlaub und Reisen." for i in range(40 + 60 * (n % 5)))
        write(root, f"texte/t{n:02d}.txt", words, ["group:rnd"] if n % 3 == 0 else None)


def test_pool_on_and_off_write_the_same_index_with_the_same_acls(tmp_path: Path, pool: ParsePool) -> None:
    root = tmp_path / "docs"
    a_corpus(root)
    plain, pooled = Side(tmp_path / "plain", root, None), Side(tmp_path / "pooled", root, pool, max_in_flight=3)
    try:
        for change in (None, "changed"):
            if change:  # new content, a narrowed ACL, a deletion and a new file, then a second pass on both
                write(root, "texte/t01.txt", "Ganz neuer Inhalt über Dienstwagen.")
                write(root, "texte/t02.txt", (root / "texte/t02.txt").read_bytes(), ["group:hr"])
                (root / "texte/t04.txt").unlink()
                write(root, "neu/notiz.txt", "Eine neue Notiz über die Kantine.")
            environment = dict(os.environ)
            reports = [pooled.sync()]
            assert dict(os.environ) == environment  # the workers prepared their own environment, not this one
            reports.insert(0, plain.sync())  # (parsing here imports sklearn, which sets KMP_* variables)
            summary = [(r.added, r.updated, r.restamped, r.deleted, r.unchanged) for r in reports]
            assert summary[0] == summary[1]
            assert [(f.source_uri, f.reason) for f in reports[0].failed] == [
                (f.source_uri, f.reason) for f in reports[1].failed
            ]
            assert [f.source_uri.rsplit("/", 1)[-1] for f in reports[1].failed] == ["kaputt.pdf"]
            assert plain.snapshot() == pooled.snapshot()
        assert pooled.engine.peak_in_flight[0] > 1  # the pool did run several documents at once
    finally:
        plain.close()
        pooled.close()


def test_a_worker_killed_by_one_file_fails_that_file_only_and_the_pool_goes_on(tmp_path: Path, pool: ParsePool) -> None:
    root = tmp_path / "docs"
    a_corpus(root, files=6)
    write(root, "texte/boese.txt", b"Sieht harmlos aus. " + CRASH)
    side = Side(tmp_path, root, pool)
    crashes = pool.crashes
    try:
        report = side.sync()
        failed = {f.source_uri.rsplit("/", 1)[-1]: f.reason for f in report.failed}
        assert set(failed) == {"boese.txt", "kaputt.pdf"}
        assert "parser crashed" in failed["boese.txt"] and "SIGSEGV" in failed["boese.txt"]
        assert pool.crashes == crashes + 1
        assert report.added == 6 + 3  # every other document is in, none lost
        assert len(side.index.held_documents("t")) == 9

        (root / "texte/boese.txt").write_text("Jetzt harmlos.")  # the new worker parses the rest, and this
        again = side.sync()
        assert (again.added, again.unchanged, [f.source_uri.rsplit("/", 1)[-1] for f in again.failed]) == (
            1, 9, ["kaputt.pdf"],
        )  # fmt: skip
    finally:
        side.close()


def test_a_pass_never_holds_more_documents_in_flight_than_its_window(tmp_path: Path, pool: ParsePool) -> None:
    root = tmp_path / "docs"
    a_corpus(root, files=30)
    side = Side(tmp_path, root, pool, max_in_flight=4)
    try:
        assert side.sync().added == 33
        docs, _ = side.engine.peak_in_flight
        assert 1 < docs <= 4
    finally:
        side.close()


def test_the_window_holds_its_byte_bound_and_a_larger_document_goes_alone(pool: ParsePool) -> None:
    acl = AccessControl(frozenset({"everyone"}))
    window: InFlight[int] = InFlight(pool, SPEC(), max_docs=100, max_bytes=5_000)
    taken: list[int] = []
    sizes = [1_000] * 12 + [20_000] + [1_000] * 3
    for n, size in enumerate(sizes):
        doc = SourceDocument(f"d{n}", "t", f"file:///d{n}.txt", f"d{n}", acl, "h", size=size, path=f"d{n}.txt")
        taken += [entry for entry, _ in window.room_for(size)]
        assert window.bytes + size <= 5_000 or len(window) == 0
        window.add(n, doc, (b"Wort " * size)[:size])
    taken += [entry for entry, future in window.drain() if future.result()]
    assert taken == list(range(len(sizes)))  # every document back, in the order it went in
    assert window.peak_bytes == 20_000 and window.bytes == 0


def test_progress_counts_a_document_once_it_is_written_not_when_it_is_handed_out(
    tmp_path: Path, pool: ParsePool
) -> None:
    root = tmp_path / "docs"
    a_corpus(root, files=20)
    side = Side(tmp_path, root, pool, batch_chunks=8)
    counted: list[tuple[str, bool]] = []

    def progress(items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            written = {p.payload["doc_id"] for p in side.index.upserted}
            counted.append((item.source_uri, isinstance(item, SourceDocument) and item.doc_id in written))
            yield item

    side.engine._progress = progress
    try:
        report = side.sync()
        assert len(counted) == report.added + len(report.failed) == 24
        assert len({uri for uri, _ in counted}) == 24
        assert [uri for uri, written in counted if not written] == [f.source_uri for f in report.failed]
    finally:
        side.close()


def test_a_pass_parses_in_process_until_the_workers_are_ready_and_starts_them_only_for_enough_work() -> None:
    """A one-off ``ragwarden ingest`` of a few files never waits for workers to load the parsers."""
    acl = AccessControl(frozenset({"everyone"}))
    cold = ParsePool(SPEC, 2)
    try:
        window: InFlight[int] = InFlight(cold, SPEC())
        for n in range(START_AFTER):
            doc = SourceDocument(f"d{n}", "t", f"file:///d{n}.txt", f"d{n}", acl, "h", path=f"d{n}.txt")
            window.add(n, doc, b"Ein kurzer Text.")
            assert cold.started == (n + 1 == START_AFTER)  # started by the pass that met enough documents
        assert window.pooled == 0 and [e for e, f in window.drain() if f.result()] == list(range(START_AFTER))
    finally:
        cold.close()
