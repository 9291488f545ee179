"""An upgrade that changes the keyword encoder re-makes the BM25 vectors in place, from the text each point holds.

What the keyword half stores depends on the encoder (:data:`~ragwarden.retrieval.sparse.ENCODER_VERSION`): a
chunk indexed with "Netzwerkdrucker" whole and a query split into "Drucker" miss each other without an error.
Refusing such an index would make an administrator re-ingest every source into a new data directory, losing the
sync state and the audit log kept under it, and re-reading and re-embedding everything. Neither is needed: every
point stores its chunk's text, so its keyword vectors can be computed again where it lies. Only the BM25 vectors
are written (``update_vectors`` in both Qdrant libraries writes the named vectors and keeps the dense vector and
the payload, ACL included, as they are); nothing is re-embedded and no source is read.

It runs when the index is opened, before the adapter answers anything: the server listens only once its index
is open, so during a migration ``/healthz`` and ``/readyz`` do not answer (the service is not ready), and no
search can meet a half-migrated index. Its start, progress and end are logged as warnings, so that an
administrator sees them on stderr without configuring logging. How long it takes on 2 cores
(``python -m ragwarden.evaluation.keyword_migration``) is in the README, beside the upgrade advice.

Crash-safe: before the first point changes, the index records ``migrating:<new version>`` as its keyword
encoder, which no encoder makes; an older ragwarden then refuses the index (its version differs) and this one
migrates it again. Every :data:`CHECKPOINT_EVERY` points the shard is flushed and the first point not yet done
is recorded, so an interrupted migration resumes there (points are visited in id order, and re-encoding a point
twice writes the same vectors). The new version is recorded only when every point is done.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from ragwarden.retrieval.sparse import SPARSE_LANGUAGES, Bm25Encoder, SparseVec

log = logging.getLogger(__name__)

PAGE = 1000  # points read, re-encoded and written at a time
CHECKPOINT_EVERY = 20_000  # points between two recorded resume points
LOG_EVERY_S = 10.0
MIGRATING = "migrating:"
EMPTY = SparseVec((), ())

PointId = int | str


class KeywordPoints(Protocol):
    """An index's points as the migration needs them (each adapter has one below)."""

    def count(self) -> int: ...

    def page(self, offset: PointId | None) -> tuple[list[tuple[PointId, str]], PointId | None]:
        """Up to :data:`PAGE` (id, text) pairs from ``offset`` on, in id order, and the next page's offset."""
        ...

    def write(self, vectors: Sequence[tuple[PointId, dict[str, SparseVec]]]) -> None:
        """Replace the BM25 vectors of these points, nothing else."""
        ...

    def record(self, sparse: str, resume: PointId | None) -> None:
        """Make every write so far durable, then record the keyword encoder (and where to resume)."""
        ...


def marker(version: str) -> str:
    """What an index records while it migrates to ``version``: a version no encoder makes."""
    return MIGRATING + version


def upgrade(points: KeywordPoints, encoder: Bm25Encoder, stored: str, resume: PointId | None, where: str) -> None:
    """Re-make the keyword vectors of every point of ``points`` with ``encoder``; record its version when done.

    ``stored`` and ``resume`` are what the index recorded: a migration to this same version that was
    interrupted goes on from ``resume``; anything else starts from the first point."""
    target = encoder.version
    offset = resume if stored == marker(target) else None
    total = points.count()
    verb = "resuming" if offset is not None else "starting"
    log.warning("%s: keyword vectors made by %r, this version makes %r: %s to re-encode %d points in place "
                "(dense vectors, ACLs and text are kept)", where, stored, target, verb, total)  # fmt: skip
    points.record(marker(target), offset)
    started = logged = time.monotonic()
    done = since_checkpoint = 0
    while True:
        batch, offset = points.page(offset)
        points.write([(pid, _encode(encoder, text)) for pid, text in batch])
        done, since_checkpoint = done + len(batch), since_checkpoint + len(batch)
        if offset is None:
            break
        if since_checkpoint >= CHECKPOINT_EVERY:
            points.record(marker(target), offset)
            since_checkpoint = 0
        if time.monotonic() - logged >= LOG_EVERY_S:
            logged = time.monotonic()
            log.warning("%s: %d of about %d points re-encoded (%.0f/s)", where, done, total, done / (logged - started))
    points.record(target, None)
    log.warning("%s: %d points re-encoded in %.1f s; keyword encoder %r recorded", where, done,
                time.monotonic() - started, target)  # fmt: skip


def _encode(encoder: Bm25Encoder, text: str) -> dict[str, SparseVec]:
    """Every language's vector, an empty one where the text has no word for it (the old one must not stay)."""
    vectors = encoder.document(text)
    return {name: vectors.get(name, EMPTY) for name in SPARSE_LANGUAGES}


def _plain_id(pid: Any) -> PointId:
    """A point id as JSON and both libraries take it (Edge hands out ``uuid.UUID``)."""
    return str(pid) if isinstance(pid, uuid.UUID) else pid


class EdgePoints:
    """:class:`KeywordPoints` on a Qdrant Edge shard; ``record`` writes the index's meta file."""

    def __init__(self, shard: Any, record: Any) -> None:
        self._shard, self._record = shard, record

    def count(self) -> int:
        import qdrant_edge as q

        return int(self._shard.count(q.CountRequest(exact=True)))

    def page(self, offset: PointId | None) -> tuple[list[tuple[PointId, str]], PointId | None]:
        import qdrant_edge as q

        fields = q.PayloadSelector.Include(["text"])
        request = q.ScrollRequest(limit=PAGE, offset=offset, with_payload=fields, with_vector=False)
        records, after = self._shard.scroll(request)
        texts = [(_plain_id(r.id), str((r.payload or {}).get("text", ""))) for r in records]
        return texts, None if after is None else _plain_id(after)

    def write(self, vectors: Sequence[tuple[PointId, dict[str, SparseVec]]]) -> None:
        import qdrant_edge as q

        def edge(vec: SparseVec) -> Any:
            return q.SparseVector(indices=list(vec.indices), values=list(vec.values))

        updates = [q.PointVectors(pid, {name: edge(v) for name, v in named.items()}) for pid, named in vectors]
        if updates:
            self._shard.update(q.UpdateOperation.update_vectors(updates))

    def record(self, sparse: str, resume: PointId | None) -> None:
        self._shard.flush()
        self._record(sparse, resume)


class ServerPoints:
    """:class:`KeywordPoints` on a Qdrant collection through qdrant-client; ``record`` writes its metadata."""

    def __init__(self, client: Any, collection: str, sparse_key: str, resume_key: str) -> None:
        self._client, self._collection = client, collection
        self._keys = sparse_key, resume_key

    def count(self) -> int:
        return int(self._client.count(self._collection, exact=True).count)

    def page(self, offset: PointId | None) -> tuple[list[tuple[PointId, str]], PointId | None]:
        from qdrant_client import models as m

        records, after = self._client.scroll(
            self._collection, limit=PAGE, offset=offset, with_payload=m.PayloadSelectorInclude(include=["text"])
        )
        texts = [(_plain_id(r.id), str((r.payload or {}).get("text", ""))) for r in records]
        return texts, None if after is None else _plain_id(after)

    def write(self, vectors: Sequence[tuple[PointId, dict[str, SparseVec]]]) -> None:
        from qdrant_client import models as m

        def client(vec: SparseVec) -> Any:
            return m.SparseVector(indices=list(vec.indices), values=list(vec.values))

        updates = [m.PointVectors(id=pid, vector={n: client(v) for n, v in named.items()}) for pid, named in vectors]
        if updates:
            self._client.update_vectors(self._collection, points=updates, wait=True)

    def record(self, sparse: str, resume: PointId | None) -> None:
        sparse_key, resume_key = self._keys  # a key set to None is removed from the metadata
        self._client.update_collection(self._collection, metadata={sparse_key: sparse, resume_key: resume})
