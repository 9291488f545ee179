"""A permission change found early in a long pass reaches the index within ``flush_seconds``, not at the end
of the pass: with a connector whose scan is slow after its first item (as a pass over 10 000 SMB files is
long), the first re-stamp must be visible through the Retriever while the scan still runs, committed in the
checkpoint (nothing left in flight), and the report's counts stay exact. A second engine that holds its
changes for a minute shows the same test fails without the flush."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.core.models import FailedItem, SourceDocument
from ragwarden.core.ports import AclItem
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.permission_sync import Held
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.sync import SyncEngine
from tests.ingestion.test_sync import HR, RND, World, write

PAUSE = 0.4  # the slow scan's wait before each item after the first
FLUSH = 0.2  # the engine's flush_seconds in these tests


class SlowAfterFirst:
    """The folder connector, with the changed document first and every later item ``PAUSE`` late; before
    each later item it records what ``look`` sees (the index as search sees it while the pass runs)."""

    def __init__(self, inner: LocalFolderConnector, first: str, look: Callable[[], Any]) -> None:
        self._inner, self._first, self._look = inner, first, look
        self.source = inner.source
        self.seen_mid_pass: list[Any] = []

    def _slow(self, items: list[Any], key: Callable[[Any], str]) -> Iterator[Any]:
        items.sort(key=lambda i: key(i) != self._first)
        for n, item in enumerate(items):
            if n:
                time.sleep(PAUSE)
                self.seen_mid_pass.append(self._look())
            yield item

    def scan_acls(self) -> Iterator[AclItem | FailedItem]:
        return self._slow(list(self._inner.scan_acls()), lambda i: getattr(i, "source_uri", "") or i[0])

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        return self._slow(list(self._inner.scan()), lambda i: i.source_uri)

    def read(self, doc: SourceDocument) -> bytes:
        return self._inner.read(doc)


def engine(world: World, flush_seconds: float) -> SyncEngine:
    processor = DocumentProcessor(Chunker(120, 10), 10_000_000)
    return SyncEngine(world.index, world.embedder, world.state, processor, flush_seconds=flush_seconds)


@pytest.fixture
def three(tmp_path: Path) -> Iterator[World]:
    """Three HR files indexed; then ``a.txt`` is opened to R&D and closed to HR (a revocation)."""
    world = World(tmp_path)
    for name in ("a", "b", "c"):
        write(world.root / f"{name}.txt", f"Quittenbaum {name} Wasserturm{name}", {"allow": ["group:hr"]})
    world.sync()
    (world.root / "a.txt.acl.json").write_text(json.dumps({"allow": ["group:rnd"]}))
    yield world
    world.index.close()
    world.state.close()


def _a(world: World) -> tuple[str, str]:
    """``a.txt``'s document id and source URI."""
    (state,) = [d for d in world.state.documents("t").values() if d.source_uri.endswith("/a.txt")]
    return state.doc_id, state.source_uri


def _look(world: World) -> Callable[[], tuple[set[str], set[str], list[str]]]:
    return lambda: (world.visible(HR, "Wasserturma"), world.visible(RND, "Wasserturma"), world.state.in_flight("t"))


@pytest.mark.parametrize("flush_seconds, mid_pass", [(FLUSH, True), (60.0, False)])
def test_a_permission_pass_writes_the_first_restamp_while_the_scan_still_runs(
    three: World, flush_seconds: float, mid_pass: bool
) -> None:
    slow = SlowAfterFirst(three.connector(), _a(three)[0], _look(three))
    report = engine(three, flush_seconds).sync_acls(slow)  # type: ignore[arg-type]
    hr, rnd, in_flight = slow.seen_mid_pass[-1]  # before the last item: the pass has not ended
    assert (hr, rnd) == ((set(), {"a.txt"}) if mid_pass else ({"a.txt"}, set()))
    assert in_flight == []  # begin_writes ... commit_acls done around the mid-pass write
    assert (report.restamped, report.unchanged, report.deleted, report.recovered) == (1, 2, 0, 0)
    assert (three.visible(HR, "Wasserturma"), three.visible(RND, "Wasserturma")) == (set(), {"a.txt"})


def test_a_content_sync_writes_an_acl_only_change_while_the_scan_still_runs(three: World) -> None:
    slow = SlowAfterFirst(three.connector(), _a(three)[1], _look(three))
    report = engine(three, FLUSH).sync(slow)  # type: ignore[arg-type]
    assert slow.seen_mid_pass[-1] == (set(), {"a.txt"}, [])
    assert (report.restamped, report.unchanged, report.updated, report.chunks_written) == (1, 2, 0, 0)


def test_a_content_sync_stamps_a_new_acl_on_the_old_chunks_before_the_new_text_is_embedded(three: World) -> None:
    """The file is rewritten too: its new ACL reaches its old chunks within the flush, while its new text
    waits for the batch (here: the end of the pass); the report counts one update, no re-stamp."""
    (three.root / "a.txt").write_text("Quittenbaum neu Wassertnova", encoding="utf-8")
    slow = SlowAfterFirst(three.connector(), _a(three)[1], _look(three))
    report = engine(three, FLUSH).sync(slow)  # type: ignore[arg-type]
    assert slow.seen_mid_pass[-1] == (set(), {"a.txt"}, [])  # the old text, already under the new ACL
    assert (report.restamped, report.unchanged, report.updated) == (0, 2, 1)
    assert three.visible(RND, "Wassertnova") == {"a.txt"} and three.visible(RND, "Wasserturma") == set()


def test_held_changes_go_out_by_count_or_by_age_and_the_clock_restarts() -> None:
    now = [0.0]
    held = Held(3, 1.0, clock=lambda: now[0])
    assert not held.due(0) and not held.due(1)  # found at 0.0
    now[0] = 0.9
    assert not held.due(2)
    now[0] = 1.0
    assert held.due(2)  # the oldest waited a second
    now[0] = 1.5
    assert not held.due(1)  # a fresh wait began
    assert held.due(3)  # by count
    now[0] = 5.0
    assert not held.due(0) and not held.due(1)
    now[0] = 5.9
    assert not held.due(1)
