"""Root-relative paths named by change notifications."""

from __future__ import annotations

from collections.abc import Sequence


def outermost_paths(paths: Sequence[str]) -> list[str] | None:
    """The notified paths without the ones below another (a folder stands for everything below it), or
    None for "the whole source": the root itself, or a name that is not a plain relative path (never
    guess at a strange name)."""
    kept: list[str] = []
    for path in sorted({p.strip("/") for p in paths}):
        if path == "" or "\\" in path or "\0" in path or any(part in ("", ".", "..") for part in path.split("/")):
            return None
        if not any(path.startswith(k + "/") for k in kept):
            kept.append(path)
    return kept or None
