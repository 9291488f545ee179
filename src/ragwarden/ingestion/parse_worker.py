"""The parse worker's side of :mod:`ragwarden.ingestion.parse_pool`: what runs in each spawned process.

Apart from the pool so that a worker imports little of its own: the recipe it is given pulls in the parsers.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection

from ragwarden.core.models import AccessControl, Chunk, SourceDocument

#: A picklable recipe that builds the chunk maker in the worker (:class:`~.processing.ProcessorSpec`).
MakerRecipe = Callable[[], Callable[[SourceDocument, bytes], list[Chunk]]]


def work(conn: Connection, recipe: MakerRecipe, priority: int | None) -> None:
    """A worker: build the processor, say ready, then parse one document at a time until told to stop."""
    from ragwarden.core.runtime import prepare_process

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle: it stops the workers
    prepare_process()  # this process's own environment (spawned: the parent's is not changed)
    if priority is not None:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, priority)
        except OSError:
            pass
    try:
        from ragwarden.ingestion.partitioners import warm_up

        make_chunks = recipe()
        warm_up()
        _first_document(make_chunks)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the pass with it
        conn.send((False, f"{type(exc).__name__}: {exc}"))
        return
    conn.send((True, None))
    while (task := conn.recv()) is not None:
        doc, data = task
        try:
            conn.send((True, make_chunks(doc, data)))
        except BaseException as exc:  # noqa: BLE001 - the document's failure, raised again in the parent
            conn.send((False, _portable(exc)))


def _first_document(make_chunks: Callable[[SourceDocument, bytes], list[Chunk]]) -> None:
    """One small document through the whole chunk maker: the splitter's imports and first-call set-up (seconds)
    are paid before the worker says it is ready, not by the first document of a pass."""
    acl = AccessControl(frozenset({"everyone"}))
    doc = SourceDocument("warm-up", "warm-up", "warm-up:///warm.txt", "Warm up", acl, "", path="warm.txt")
    make_chunks(doc, b"Warm up.\n\nOne sentence to split, and another one.")


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - bytes this process just made
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
