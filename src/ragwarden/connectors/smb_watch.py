"""SMB2 CHANGE_NOTIFY on an :class:`~ragwarden.connectors.smb.SmbConnector`'s root folder and everything below.

The watcher holds the root open on a connection of its own (a pending CHANGE_NOTIFY occupies it for as
long as the share is quiet, so it must never be the connector's) and re-arms the request after every
answer; between two requests the server buffers what changed on that open. ``on_change`` gets the
root-relative paths the server names (a folder's path may stand for its whole subtree, e.g. a changed
inherited ACL), or ``[]`` for "something changed, rescan": the server's STATUS_NOTIFY_ENUM_DIR, and the
first arm after an outage. The watcher never raises: failures go to ``on_error``, then it reconnects.

What Samba reports (4.17, measured in the tests): names (added, deleted, renamed, saved over) at any
depth, but in-place writes, attribute and security-descriptor changes only for the root's own entries,
because those come from inotify, which Samba sets on the watched folder alone. Deeper ACL changes must
be found by the periodic permission pass.
"""

from __future__ import annotations

import contextlib
import logging
import struct
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ragwarden.connectors.smb import SmbConnector
from ragwarden.core.errors import ConfigurationError, RagwardenError, TransientError

log = logging.getLogger(__name__)

# FILE_NAME | DIR_NAME | ATTRIBUTES | SIZE | LAST_WRITE | CREATION | SECURITY (MS-SMB2 2.2.35)
_FILTER = 0x001 | 0x002 | 0x004 | 0x008 | 0x010 | 0x040 | 0x100
_WATCH_TREE = 0x1
_BUFFER = 64 * 1024
_CONNECT_TIMEOUT = 10.0
_POLL = 0.25  # how often the thread looks at stop() and the keep-alive clock while a notify is pending
_KEEPALIVE = 30.0  # a silent, half-open connection is noticed within this plus _ECHO_TIMEOUT
_ECHO_TIMEOUT = 10
_AUTH_RETRY = 300.0  # after rejected credentials: AD locks an account after a few bad logons
# WRONG_PASSWORD, LOGON_FAILURE, ACCOUNT_RESTRICTION, PASSWORD_EXPIRED, ACCOUNT_DISABLED, PASSWORD_MUST_CHANGE,
# ACCOUNT_LOCKED_OUT
_LOGON_REFUSED = frozenset({0xC000006A, 0xC000006D, 0xC000006E, 0xC0000071, 0xC0000072, 0xC0000224, 0xC0000234})


class SmbChangeWatcher:
    """Watches the connector's root folder (and everything below: WATCH_TREE) for changes."""

    def __init__(
        self,
        connector: SmbConnector,
        on_change: Callable[[Sequence[str]], None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
        retry_seconds: float = 5.0,
    ) -> None:
        self._connector, self._on_change, self._on_error = connector, on_change, on_error
        self._retry = retry_seconds
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # guards the cache and the pending watcher against stop()
        self._cache: dict[str, Any] = {}  # the watcher's own SMB connection, never the connector's
        self._watcher: Any = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"smb-watch:{self._connector.source}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Cancels the pending notify; the thread then closes the folder and ends. A server that does not
        answer within half the timeout has the connection dropped under it instead."""
        self._stopping.set()
        self._cancel()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return
        thread.join(timeout / 2)
        if thread.is_alive():
            self._abort()
            thread.join(timeout / 2)

    # -- the thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        missed = False  # changes may have gone unseen since the last failure
        while not self._stopping.is_set():
            handle, delay = None, self._retry
            try:
                handle = self._connector.open_root(self._cache, timeout=_CONNECT_TIMEOUT)
                self._watch(handle, missed)
                missed = False
            except Exception as exc:  # noqa: BLE001 - every failure is reported and retried, never raised
                if not self._stopping.is_set():
                    delay = self._report(exc, first=not missed)
                    missed = True
            finally:
                if handle is not None and self._stopping.is_set():
                    with contextlib.suppress(Exception):  # a healthy server answers at once
                        handle.close()
                self._abort()  # after a failure the server may be gone: never wait on it
            self._stopping.wait(delay)

    def _watch(self, handle: Any, missed: bool) -> None:
        from smbprotocol.change_notify import FileSystemWatcher

        pending_rescan = missed
        while not self._stopping.is_set():
            watcher = FileSystemWatcher(handle.fd)
            with self._lock:
                if self._stopping.is_set():
                    return
                watcher.start(_FILTER, flags=_WATCH_TREE, output_buffer_length=_BUFFER)
                self._watcher = watcher
            if pending_rescan:  # armed again: from here on nothing is missed
                self._deliver([])
                pending_rescan = False
            self._wait(watcher, handle)
            if self._stopping.is_set():
                return
            try:
                actions = watcher.result
            except struct.error:  # an answer that names nothing (an empty buffer): rescan
                actions = []
            if actions is None:  # no answer: the connection died under the pending request
                raise ConnectionError("the SMB connection was lost")
            self._deliver(_paths(actions))

    def _wait(self, watcher: Any, handle: Any) -> None:
        echo_due = time.monotonic() + _KEEPALIVE
        while not watcher.response_event.wait(_POLL):
            if self._stopping.is_set():
                return
            if time.monotonic() >= echo_due:
                session = handle.fd.tree_connect.session
                handle.fd.connection.echo(sid=session.session_id, timeout=_ECHO_TIMEOUT)
                echo_due = time.monotonic() + _KEEPALIVE

    def _cancel(self) -> None:
        with self._lock:
            watcher = self._watcher
        if watcher is not None and not watcher.response_event.is_set():
            with contextlib.suppress(Exception):  # the connection may be gone already
                watcher.cancel()

    def _abort(self) -> None:
        """Drop the connection at once, without waiting on the server (it releases the open with it)."""
        with self._lock:
            self._watcher = None
            connections = list(self._cache.values())
            self._cache.clear()
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.disconnect(close=False)

    def _deliver(self, paths: Sequence[str]) -> None:
        try:
            self._on_change(paths)
        except Exception as exc:  # noqa: BLE001 - a failing callback must not end the watch
            log.exception("on_change of the SMB watcher for %s failed", self._connector.source)
            self._call_on_error(exc)

    def _report(self, exc: BaseException, *, first: bool) -> float:
        """Log and pass on a failure without credentials; returns how long to wait before the next try."""
        where = f"SMB change watch on {self._connector.uri('')}"
        error: RagwardenError
        if _rejected_credentials(exc):  # retrying every few seconds would lock the account out
            error, delay = ConfigurationError(f"{where}: credentials rejected: {_why(exc)}"), _AUTH_RETRY
        else:
            error, delay = TransientError(f"{where} failed: {_why(exc)}"), self._retry
        error.__cause__ = exc
        delay = max(delay, self._retry)
        level = logging.WARNING if first else logging.DEBUG  # one warning per outage, not one per retry
        log.log(level, "%s; retrying in %g s", error, delay)
        self._call_on_error(error)
        return delay

    def _call_on_error(self, error: BaseException) -> None:
        if self._on_error is None:
            return
        try:
            self._on_error(error)
        except Exception:  # noqa: BLE001
            log.exception("on_error of the SMB watcher for %s failed", self._connector.source)


def _paths(actions: Any) -> list[str]:
    """Root-relative POSIX paths, in order, without repeats (a rename names the old and the new path)."""
    seen: dict[str, None] = {}
    for action in actions or ():
        seen.setdefault(str(action["file_name"].get_value()).replace("\\", "/"), None)
    return list(seen)


def _rejected_credentials(exc: BaseException) -> bool:
    from smbprotocol.exceptions import SMBAuthenticationError

    return isinstance(exc, SMBAuthenticationError) or getattr(exc, "status", None) in _LOGON_REFUSED


def _why(exc: BaseException) -> str:
    """A short reason without credentials (smbprotocol messages carry addresses, paths and NT status only)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
