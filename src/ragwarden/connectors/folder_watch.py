"""Change notifications for a folder source (inotify on Linux, through ``watchdog``).

Only events that change what the index must hold are passed on: created, deleted, modified (content or
metadata such as permissions), moved, and written-and-closed. Opening and reading a file (which the
sync itself does) is not a change, or every sync would trigger the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_CHANGES = frozenset({"created", "deleted", "modified", "moved", "closed"})


class FolderWatcher:
    def __init__(self, root: Path, on_change: Callable[[Sequence[str]], None]) -> None:
        self._root = root
        self._on_change = on_change
        self._observer: Any = None

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        root, on_change = self._root, self._on_change

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type not in _CHANGES:
                    return
                paths = [p for p in (event.src_path, getattr(event, "dest_path", "")) if p]
                rel = [_relative(root, str(p)) for p in paths]
                try:
                    on_change([r for r in rel if r is not None])
                except Exception:  # noqa: BLE001 - a failing callback must not kill the observer
                    log.exception("change callback failed for %s", root)

        observer = Observer()
        observer.schedule(Handler(), str(root), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self, timeout: float = 5.0) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout)

    @property
    def running(self) -> bool:
        return self._observer is not None and self._observer.is_alive()


def _relative(root: Path, path: str) -> str | None:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return None
