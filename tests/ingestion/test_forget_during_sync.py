"""``privacy forget-document`` landing while a sync of the same source is in flight: the document the pass is
about to write (read, chunked, waiting for the embedder) or has just written is not in the index or the sync
state after the pass, and the next pass keeps it out while the source holds what it held when it was forgotten.
A real Qdrant Edge index and the real ``forget_document`` use case; the connector double blocks mid-scan."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.core.models import FailedItem, SourceDocument
from ragwarden.services.privacy import forget_document
from tests.ingestion.test_sync import HR, World, write

ACL = {"allow": ["group:hr"]}


class BlockingConnector:
    """The folder connector, whose scan stops after ``after`` (its document read and waiting in the pass) until
    the test says go on: the forget lands then, as it would from another thread of a serving process."""

    def __init__(self, inner: LocalFolderConnector, after: str) -> None:
        self.inner, self.after = inner, after
        self.reached, self.go_on = threading.Event(), threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        for item in self.inner.scan():
            yield item
            if item.source_uri.endswith(self.after):
                self.reached.set()
                assert self.go_on.wait(30)  # noqa: S101 - a test double


def _services(world: World) -> SimpleNamespace:
    """What ``forget_document`` needs of the composition root: no answerer, auditing off."""
    return SimpleNamespace(state=world.state, index=world.index, extras={}, settings=SimpleNamespace(audit=False))


def _indexed(world: World, path: str) -> bool:
    return any(s.path == path for s in world.state.documents("t").values())


def test_a_document_forgotten_while_the_pass_holds_it_is_not_written(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        write(world.root / "a.txt", "Kantinenplan Wombat alt", ACL)
        write(world.root / "b.txt", "Urlaubsregel Koala", ACL)
        world.sync()
        write(world.root / "a.txt", "Kantinenplan Wombat neu und länger", ACL)  # the pass will rewrite it
        connector = BlockingConnector(world.connector(), "a.txt")
        done: list[Any] = []
        thread = threading.Thread(target=lambda: done.append(world.engine.sync(connector)))  # type: ignore[arg-type]
        thread.start()
        assert connector.reached.wait(30)
        forgotten = forget_document(_services(world), "a.txt")
        connector.go_on.set()
        thread.join(60)
        assert done and forgotten["doc_ids"]
        assert world.visible(HR, "Wombat") == set() and not _indexed(world, "a.txt")
        assert world.visible(HR, "Koala") == {"b.txt"}

        world.sync()  # the source still holds what it held when the document was forgotten
        assert world.visible(HR, "Wombat") == set() and not _indexed(world, "a.txt")
        write(world.root / "a.txt", "Kantinenplan Wombat ganz neu", ACL)  # changed at the source: back
        world.sync()
        assert world.visible(HR, "Wombat") == {"a.txt"}
    finally:
        world.index.close()
        world.state.close()


def test_a_document_forgotten_while_its_points_are_written_goes_again(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        write(world.root / "a.txt", "Kantinenplan Wombat alt", ACL)
        world.sync()
        write(world.root / "a.txt", "Kantinenplan Wombat neu und länger", ACL)
        upsert = world.index.upsert

        def upsert_then_forget(points: Any) -> None:  # the forget lands between the write and the commit
            upsert(points)
            forget_document(_services(world), "a.txt")

        world.index.upsert = upsert_then_forget  # type: ignore[method-assign]
        world.sync()
        world.index.upsert = upsert  # type: ignore[method-assign]
        assert world.visible(HR, "Wombat") == set() and not _indexed(world, "a.txt")
        world.sync()
        assert world.visible(HR, "Wombat") == set() and not _indexed(world, "a.txt")
    finally:
        world.index.close()
        world.state.close()
