"""What one sync pass did: :class:`SyncReport`, which ``ragwarden ingest``, the scheduler and the API show.

Apart from the passes that fill it (:mod:`ragwarden.ingestion.sync`, :mod:`ragwarden.ingestion.permission_sync`)
because everything that shows a pass's outcome (the console, the scheduler's jobs, the demo) needs the report
and nothing of the engine.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ragwarden.core.models import FailedItem


@dataclass
class SyncReport:
    source: str
    added: int = 0
    updated: int = 0
    restamped: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks_written: int = 0
    # documents taken out to be indexed afresh: left in flight by a crashed pass, or found by a permission
    # pass with another ACL on another file than the one indexed (the content sync is brought forward)
    recovered: int = 0
    failed: list[FailedItem] = field(default_factory=list)
    # allow/share tokens no configured resolver emits (they grant nothing): token -> documents naming it
    ignored: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.restamped} re-stamped, "
            f"{self.unchanged} unchanged, {self.deleted} deleted, {len(self.failed)} failed; "
            f"{self.chunks_written} chunks written in {self.seconds:.1f} s"
        )
        if self.ignored:
            named = ", ".join(f"{t} ({n})" for t, n in sorted(self.ignored.items()))
            text += f"; grants nobody can hold, left out: {named}"
        return text
