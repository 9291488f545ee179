"""SMB2 CHANGE_NOTIFY against the real Samba share: every change Samba reports reaches ``on_change`` within
milliseconds (latencies are printed: run with ``-s``; the two strict xfails pin what Samba does not report),
and the watcher never raises, whatever the server does.

Changes are made over SMB on a connection of the test's own (files, folders) and with ``smbcacls`` (ACLs).
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import pytest

from ragwarden.connectors import smb_watch
from ragwarden.connectors.smb import SmbConnector
from ragwarden.connectors.smb_watch import SmbChangeWatcher
from ragwarden.core.errors import ConfigurationError, TransientError
from tests.fixtures.smb import EVERYONE, FULL, INHERIT, READ, SHARE, SmbServer

ROOT = "beobachtet"
EXISTING = (
    "protokoll.txt",
    "rechte.txt",
    "akten/2024/brief.txt",
    "ablage/alt/weg.txt",
    "projekte/alt/inhalt.txt",
    "tief/unten/akte.txt",
    "tief/log/tag.txt",
)
DEADLINE = 5.0  # seconds a notification may take here (the product's budget is 2 s; loopback needs far less)


class Recorder:
    """``on_change``/``on_error`` callbacks that remember when each call arrived."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, list[str]]] = []
        self.errors: list[BaseException] = []
        self.error_times: list[float] = []
        self._cond = threading.Condition()

    def __call__(self, paths: Sequence[str]) -> None:
        with self._cond:
            self.calls.append((time.monotonic(), list(paths)))
            self._cond.notify_all()

    def error(self, exc: BaseException) -> None:
        with self._cond:
            self.errors.append(exc)
            self.error_times.append(time.monotonic())
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self.calls)

    def wait_for(self, since: int, match: Callable[[list[str]], bool], timeout: float = DEADLINE) -> float | None:
        """The arrival time of the first call after ``since`` whose paths match, or None on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for at, paths in self.calls[since:]:
                    if match(paths):
                        return at
                if not self._cond.wait(max(0.0, end - time.monotonic())) and time.monotonic() >= end:
                    return None

    def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        """Wait until no call has arrived for ``quiet`` seconds: the notifications of the setup are in."""
        end = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < end:
                last = self.calls[-1][0] if self.calls else 0.0
                if time.monotonic() - last >= quiet:
                    return
                self._cond.wait(quiet - (time.monotonic() - last))
        raise AssertionError(f"changes kept arriving for {timeout} s")

    def wait_errors(self, count: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.errors) >= count, timeout)


class Share:
    """Writes to the watched folder over SMB as Administrator, on a connection of its own."""

    def __init__(self, server: SmbServer) -> None:
        import smbclient

        self.server = server
        self.cache: dict[str, Any] = {}
        smbclient.register_session(
            server.dc.ip, username="Administrator", password=server.dc.admin_password, connection_cache=self.cache
        )

    def unc(self, rel: str) -> str:
        return f"\\\\{self.server.dc.ip}\\{SHARE}\\{ROOT}\\" + rel.replace("/", "\\")

    def write(self, rel: str, text: str, mode: str = "w") -> None:
        import smbclient

        with smbclient.open_file(self.unc(rel), mode=mode, connection_cache=self.cache) as handle:
            handle.write(text)

    def call(self, name: str, *args: str) -> None:
        import smbclient

        getattr(smbclient, name)(*(self.unc(a) for a in args), connection_cache=self.cache)


def connector(server: SmbServer, host: str | None = None, port: int = 445) -> SmbConnector:
    return SmbConnector(
        host or server.dc.ip,
        SHARE,
        ROOT,
        username="Administrator",
        password=server.dc.admin_password,
        port=port,
        max_file_size=1_000_000,
        share_allow=["everyone"],
    )


_probes = itertools.count()


def _names(name: str, paths: list[str]) -> bool:
    return name in paths


def wait_armed(share: Share, rec: Recorder) -> None:
    """Touch a probe file until the watcher reports it: from then on its notify request is pending."""
    for _ in range(30):
        since, name = rec.mark(), f"probe-{next(_probes)}.tmp"
        share.write(name, "probe")
        if rec.wait_for(since, partial(_names, name), timeout=0.5) is not None:
            share.call("remove", name)
            rec.settle()  # let the probe's own notifications pass
            return
    raise AssertionError("the watcher never reported a change")


def measure(rec: Recorder, what: str, change: Callable[[], None], match: Callable[[list[str]], bool]) -> float:
    """Run ``change``; return the seconds from its start to the matching notification (printed).

    An upper bound: it includes the change itself (an SMB round trip, or starting ``smbcacls``)."""
    since = rec.mark()
    begin = time.monotonic()
    change()
    took = time.monotonic() - begin
    arrived = rec.wait_for(since, match)
    assert arrived is not None, f"{what}: no notification within {DEADLINE} s; calls: {rec.calls[since:]}"
    latency = arrived - begin
    print(f"\n{what}: notified {latency * 1000:.0f} ms after the change began (the change took {took * 1000:.0f} ms)")
    return latency


@pytest.fixture(scope="module")
def share(smb_server: SmbServer) -> Iterator[Share]:
    smb_server.mkdirs(SHARE, ROOT)
    smb_server.cacls(SHARE, ROOT, "--set", [(smb_server.admin_sid, "ALLOWED", INHERIT, FULL)])
    s = Share(smb_server)
    # Everything the tests change exists before any watcher does, so that no late notification of its
    # creation can pass for the notification of the change.
    for folder in ("akten/2024", "ablage/alt", "projekte/alt", "personal", "tief/unten", "tief/log"):
        s.call("makedirs", folder)
    for path in EXISTING:
        s.write(path, "erste Fassung")
    yield s
    import smbclient

    smbclient.reset_connection_cache(connection_cache=s.cache)


@pytest.fixture
def watched(share: Share) -> Iterator[Recorder]:
    rec = Recorder()
    watcher = SmbChangeWatcher(connector(share.server), rec, on_error=rec.error, retry_seconds=0.5)
    watcher.start()
    try:
        wait_armed(share, rec)
        yield rec
        assert rec.errors == []
    finally:
        watcher.stop()


def test_new_files_are_notified_within_seconds(share: Share, watched: Recorder) -> None:
    latencies = []
    for n in range(10):
        name = f"neu-{n}.txt"
        latencies.append(measure(watched, f"new file {n}", partial(share.write, name, "neu"), partial(_names, name)))
    p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    print(f"\nnew file: median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    assert p95 < 2.0


def test_a_file_written_in_place_is_notified(share: Share, watched: Recorder) -> None:
    measure(
        watched,
        "file appended in place",
        lambda: share.write("protokoll.txt", "\nzweite Zeile", mode="a"),
        lambda p: "protokoll.txt" in p,
    )


def test_a_file_saved_over_in_a_subfolder_is_notified_with_its_root_relative_path(
    share: Share, watched: Recorder
) -> None:
    """Saving over a file (open with overwrite, as editors and ``smbclient put`` do) is reported at any depth."""
    measure(
        watched,
        "file saved over, two folders down",
        lambda: share.write("akten/2024/brief.txt", "zweite Fassung"),
        lambda p: "akten/2024/brief.txt" in p,
    )


def test_a_deleted_file_is_notified(share: Share, watched: Recorder) -> None:
    measure(
        watched, "deleted file", lambda: share.call("remove", "ablage/alt/weg.txt"), lambda p: "ablage/alt/weg.txt" in p
    )


def test_a_renamed_folder_names_the_old_and_the_new_path(share: Share, watched: Recorder) -> None:
    measure(
        watched,
        "renamed folder",
        lambda: share.call("rename", "projekte/alt", "projekte/neu"),
        lambda p: {"projekte/alt", "projekte/neu"} <= set(p),
    )


def test_an_acl_change_by_smbcacls_on_a_file_in_the_root_folder_is_notified(share: Share, watched: Recorder) -> None:
    measure(
        watched,
        "ACL change (smbcacls --add), file in the root folder",
        lambda: share.server.cacls(SHARE, f"{ROOT}/rechte.txt", "--add", [(EVERYONE, "ALLOWED", "0x0", READ)]),
        lambda p: "rechte.txt" in p,
    )


def test_an_acl_change_on_a_folder_in_the_root_folder_is_notified(share: Share, watched: Recorder) -> None:
    measure(
        watched,
        "ACL change (smbcacls --add), folder in the root folder",
        lambda: share.server.cacls(SHARE, f"{ROOT}/personal", "--add", [(EVERYONE, "ALLOWED", INHERIT, READ)]),
        lambda p: "personal" in p,
    )


SAMBA_DEPTH = (
    "Samba reports attribute, in-place write and security changes only for the watched folder's own entries "
    "(they come from inotify, which is not recursive); below, WATCH_TREE carries name changes only"
)


@pytest.mark.xfail(strict=True, reason=SAMBA_DEPTH)
def test_an_acl_change_deeper_down_is_notified(share: Share, watched: Recorder) -> None:
    since = watched.mark()
    share.server.cacls(SHARE, f"{ROOT}/tief/unten/akte.txt", "--add", [(EVERYONE, "ALLOWED", "0x0", READ)])
    assert watched.wait_for(since, lambda p: "tief/unten/akte.txt" in p, timeout=3.0) is not None


@pytest.mark.xfail(strict=True, reason=SAMBA_DEPTH)
def test_an_in_place_write_deeper_down_is_notified(share: Share, watched: Recorder) -> None:
    since = watched.mark()
    share.write("tief/log/tag.txt", "y", mode="a")
    assert watched.wait_for(since, lambda p: "tief/log/tag.txt" in p, timeout=3.0) is not None


def test_stop_ends_the_thread_at_once_while_a_notify_is_pending(share: Share) -> None:
    rec = Recorder()
    watcher = SmbChangeWatcher(connector(share.server), rec, on_error=rec.error)
    watcher.start()
    wait_armed(share, rec)
    begin = time.monotonic()
    watcher.stop(timeout=5.0)
    took = time.monotonic() - begin
    print(f"\nstop() with a pending notify: {took * 1000:.0f} ms")
    assert not watcher.running
    assert took < 2.0
    assert rec.errors == []  # stopping is not a failure
    watcher.stop()  # idempotent


def test_an_unreachable_server_is_reported_and_retried_and_never_raises() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rec = Recorder()
    secret = "Geheim-Passw0rt!"
    gone = SmbConnector(
        "127.0.0.1", SHARE, username="svc", password=secret, port=port, max_file_size=1000, share_allow=["everyone"]
    )
    watcher = SmbChangeWatcher(gone, rec, on_error=rec.error, retry_seconds=0.2)
    watcher.start()
    try:
        assert rec.wait_errors(3, timeout=15.0), "the watcher did not keep retrying"
        assert watcher.running
        assert all(isinstance(e, TransientError) for e in rec.errors)
        assert all(secret not in str(e) for e in rec.errors)
        assert rec.calls == []
    finally:
        begin = time.monotonic()
        watcher.stop(timeout=5.0)
    assert not watcher.running
    assert time.monotonic() - begin < 2.0


def test_rejected_credentials_are_reported_without_the_password_and_not_retried_soon(share: Share) -> None:
    """A bad password retried every few seconds would lock the service account out of the domain."""
    rec = Recorder()
    secret = "Falsch-Passw0rt!"
    bad = SmbConnector(
        share.server.dc.ip,
        SHARE,
        ROOT,
        username="Administrator",
        password=secret,
        max_file_size=1000,
        share_allow=["everyone"],
    )
    watcher = SmbChangeWatcher(bad, rec, on_error=rec.error, retry_seconds=0.1)
    watcher.start()
    try:
        assert rec.wait_errors(1, timeout=10.0)
        assert not rec.wait_errors(2, timeout=1.5), "retried at once after the credentials were rejected"
        assert isinstance(rec.errors[0], ConfigurationError)
        assert secret not in str(rec.errors[0])
        assert "credentials rejected" in str(rec.errors[0])
        assert watcher.running
    finally:
        watcher.stop()
    assert not watcher.running


class Proxy:
    """A TCP relay to the Samba server that the test can cut (a network failure) or freeze (a server that
    keeps the connection open but no longer answers)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.frozen = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
                self.sockets += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if not self.frozen:
                    sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.sockets.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxy(share: Share) -> Iterator[Proxy]:
    p = Proxy((share.server.dc.ip, 445))
    yield p
    p.close()


def test_a_lost_connection_is_reported_then_rewatched_with_one_rescan(share: Share, proxy: Proxy) -> None:
    """After a reconnect, on_change([]) says "changes may have been missed"; then paths flow again."""
    rec = Recorder()
    watcher = SmbChangeWatcher(
        connector(share.server, "127.0.0.1", proxy.port), rec, on_error=rec.error, retry_seconds=0.5
    )
    watcher.start()
    try:
        wait_armed(share, rec)
        since, cut = rec.mark(), time.monotonic()
        proxy.cut()
        assert rec.wait_errors(1, timeout=5.0)
        assert isinstance(rec.errors[0], TransientError)
        rescan = rec.wait_for(since, lambda p: True, timeout=10.0)
        assert rescan is not None, "no rescan after the reconnect"
        assert rec.calls[since][1] == [] and rescan > rec.error_times[0]  # nothing in between: no stale paths
        print(
            f"\nreported the cut {(rec.error_times[0] - cut) * 1000:.0f} ms after it; rewatched, asked for a rescan"
            f" {(rescan - cut) * 1000:.0f} ms after it (retry_seconds=0.5)"
        )
        assert watcher.running
        measure(rec, "new file after reconnect", lambda: share.write("danach.txt", "x"), lambda p: "danach.txt" in p)
    finally:
        watcher.stop()
    assert not watcher.running


def test_a_silent_server_is_noticed_by_the_keepalive_echo(
    share: Share, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection that stays open but gets no answers (a hung server, a dropped route) is reported and
    watched again once the server answers, rather than waiting on a notify forever."""
    monkeypatch.setattr(smb_watch, "_KEEPALIVE", 0.3)
    monkeypatch.setattr(smb_watch, "_ECHO_TIMEOUT", 1)
    rec = Recorder()
    watcher = SmbChangeWatcher(
        connector(share.server, "127.0.0.1", proxy.port), rec, on_error=rec.error, retry_seconds=0.5
    )
    watcher.start()
    try:
        wait_armed(share, rec)
        since, frozen = rec.mark(), time.monotonic()
        proxy.frozen = True
        assert rec.wait_errors(1, timeout=5.0), "the silent server was not noticed"
        print(f"\nsilent server reported {(rec.error_times[0] - frozen) * 1000:.0f} ms after it fell silent")
        proxy.frozen = False
        proxy.cut()
        assert rec.wait_for(since, lambda p: p == [], timeout=10.0) is not None
        measure(
            rec,
            "new file after the server answers again",
            lambda: share.write("wach.txt", "x"),
            partial(_names, "wach.txt"),
        )
    finally:
        watcher.stop()


def test_stop_ends_the_thread_even_when_the_server_does_not_answer(share: Share, proxy: Proxy) -> None:
    rec = Recorder()
    watcher = SmbChangeWatcher(connector(share.server, "127.0.0.1", proxy.port), rec, on_error=rec.error)
    watcher.start()
    wait_armed(share, rec)
    proxy.frozen = True
    begin = time.monotonic()
    watcher.stop(timeout=1.0)
    took = time.monotonic() - begin
    print(f"\nstop() with a silent server: {took * 1000:.0f} ms (timeout 1 s)")
    assert not watcher.running
    assert took < 1.5
    assert rec.errors == []


def test_keepalive_echoes_leave_the_pending_notify_alone(share: Share, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smb_watch, "_KEEPALIVE", 0.2)
    rec = Recorder()
    watcher = SmbChangeWatcher(connector(share.server), rec, on_error=rec.error)
    watcher.start()
    try:
        wait_armed(share, rec)
        time.sleep(1.5)  # several echoes beside the pending notify
        measure(
            rec, "new file after keep-alive echoes", lambda: share.write("echo.txt", "x"), partial(_names, "echo.txt")
        )
        assert rec.errors == []
    finally:
        watcher.stop()
