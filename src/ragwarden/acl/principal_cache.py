"""The principal cache: its TTL is the revocation-latency budget.

A scope resolved less than ``ttl`` seconds ago is served from memory (a dictionary look-up); an older
one is resolved again, so a user removed from a group loses that group's documents within ``ttl``
(plus one directory round trip). When the directory cannot answer and the cached scope is older than
``ttl``, the caller gets :class:`DirectoryUnavailableError` (503), never the stale scope.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ragwarden.core.errors import ConfigurationError, DirectoryUnavailableError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver
from ragwarden.core.settings import PRINCIPAL_CACHE_TTL


@dataclass(frozen=True, slots=True)
class _Entry:
    scope: AccessScope
    resolved_at: float  # clock reading taken *before* the directory was asked: never newer than the data


class CachingResolver(PrincipalResolver):
    """Wraps any :class:`PrincipalResolver` with a TTL cache (least recently resolved evicted first)."""

    def __init__(
        self,
        inner: PrincipalResolver,
        ttl: float = PRINCIPAL_CACHE_TTL,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        if ttl < 0 or max_entries < 1:
            raise ConfigurationError("the principal cache needs ttl >= 0 and max_entries >= 1")
        self.inner = inner
        self.ttl = ttl
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, user: str) -> AccessScope:
        started = self._clock()
        with self._lock:
            entry = self._entries.get(user)
        if entry is not None and started - entry.resolved_at < self.ttl:
            return entry.scope
        try:
            scope = self.inner.resolve(user)
        except DirectoryUnavailableError:
            raise
        except (OSError, TimeoutError) as exc:  # ConnectionError is an OSError
            raise DirectoryUnavailableError(f"the directory cannot resolve {user!r}: {exc}") from exc
        with self._lock:
            self._entries[user] = _Entry(scope, started)
            self._entries.move_to_end(user)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return scope

    def describe(self, token: str) -> str:
        return self.inner.describe(token)

    def age(self, user: str) -> float | None:
        """Seconds since ``user``'s cached scope was resolved (None: not cached)."""
        with self._lock:
            entry = self._entries.get(user)
        return None if entry is None else self._clock() - entry.resolved_at

    def invalidate(self, user: str | None = None) -> None:
        """Forget one user's scope, or every scope (e.g. after an administrator changed groups)."""
        with self._lock:
            if user is None:
                self._entries.clear()
            else:
                self._entries.pop(user, None)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()
