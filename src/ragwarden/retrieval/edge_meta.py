"""``ragwarden-index.json`` beside an Edge shard: what the shard holds (dense dimension, keyword encoder) and,
while an upgrade re-makes the keyword vectors, where it resumes. Replaced whole (written, then renamed), so a
crash leaves the old file or the new one."""

from __future__ import annotations

import json
from pathlib import Path

from ragwarden.core.errors import ConfigurationError, IndexUnavailableError
from ragwarden.retrieval.keyword_migration import PointId
from ragwarden.retrieval.sparse import UNSPLIT_VERSION

META_FILE = "ragwarden-index.json"
FORMAT = 1


def write_meta(directory: Path, dimension: int | None, sparse: str, resume: PointId | None = None) -> None:
    meta = {"format": FORMAT, "dimension": dimension, "sparse": sparse}
    tmp = directory / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta if resume is None else {**meta, "sparse_resume": resume}))
    tmp.replace(directory / META_FILE)


def read_meta(directory: Path) -> tuple[int, str, PointId | None]:
    """(dense dimension, keyword encoder version, resume point); an index from before the encoder was
    recorded was made without compound splitting."""
    try:
        meta = json.loads((directory / META_FILE).read_text())
        if meta.get("format") != FORMAT:
            raise ConfigurationError(f"{directory}: unknown index format {meta.get('format')!r}")
        dimension, sparse = int(meta["dimension"]), str(meta.get("sparse", UNSPLIT_VERSION))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnavailableError(f"cannot read {directory / META_FILE}: {exc}") from exc
    return dimension, sparse, meta.get("sparse_resume")
