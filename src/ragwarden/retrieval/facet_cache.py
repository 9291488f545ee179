"""Facet values per scope, remembered until the index changes.

A search page asks, with every result list, which sources and file types the caller's visible corpus holds:
two exact facet calls over the whole filtered corpus, about a third of a search's time in the Edge index
(which holds the interpreter meanwhile, so concurrent searches wait for it). The answer depends only on the
caller's tokens, the narrowing filter and what the index holds, and while someone types it is asked again and
again with the same scope. So it is kept, keyed by exactly what the filter is built from (each member's token
set, the facet, the limit, the narrowing), never by a user name, and **every write to the shard clears it**:

- :class:`WatchedShard` wraps the engine's shard so that each write operation (``update``,
  ``update_from_snapshot``) clears the cache *after* it returns or fails, whatever code path wrote;
- a value computed while a write ran is not kept (the cache's generation moved meanwhile), so a result read
  from the shard before a write never outlives it.

A revoked grant therefore stops showing a source's name in the facets as soon as the re-stamp is written, as it
stops showing its passages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from ragwarden.core.models import Scope, SearchFilter
from ragwarden.retrieval.filters import require_members

DEFAULT_ENTRIES = 4096


def facet_key(scope: Scope, key: str, limit: int, where: SearchFilter | None) -> Hashable:
    """Everything the facet request's filter is built from (each member's tokens, in order), and nothing else."""
    return tuple(m.tokens for m in require_members(scope)), key, limit, where


class FacetCache:
    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self._entries = entries
        self._values: OrderedDict[Hashable, dict[str, int]] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Called after every write: what was counted before it may be wrong now."""
        with self._lock:
            self._generation += 1
            self._values.clear()

    def get(self, key: Hashable, compute: Callable[[], dict[str, int]]) -> dict[str, int]:
        if self._entries <= 0:
            return compute()
        with self._lock:
            generation = self._generation
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
                return dict(found)
        value = compute()
        with self._lock:
            if generation == self._generation:  # no write ran meanwhile: the value is current
                self._values[key] = dict(value)
                while len(self._values) > self._entries:
                    self._values.popitem(last=False)
        return value


class WatchedShard:
    """The engine's shard, clearing ``cache`` after each write; everything else passes through."""

    def __init__(self, shard: Any, cache: FacetCache, after_write: Callable[[], None] | None = None) -> None:
        self._shard = shard
        self._cache = cache
        self._after_write = after_write  # also told of every write (the token census)

    def _written(self) -> None:
        self._cache.clear()
        if self._after_write is not None:
            self._after_write()

    def update(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._shard.update(*args, **kwargs)
        finally:
            self._written()

    def update_from_snapshot(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._shard.update_from_snapshot(*args, **kwargs)
        finally:
            self._written()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._shard, name)
