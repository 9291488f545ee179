"""Query text, when a works council agreed to record it (``RAGWARDEN_AUDIT_QUERIES``), kept apart from the chain
so that it can go on its own, shorter schedule (``RAGWARDEN_RETENTION_AUDIT_QUERIES``) and per person (erasure)
while every record still verifies.

The text lives in ``<audit dir>/queries/queries-YYYY-MM-DD.jsonl``, one entry a line, appended (and fsynced)
before the record that names it: ``{"id", "time", "caller", "nonce", "text"}``. The chained record carries only
``{"id", "sha256"}``, the HMAC-SHA256 of the text under the entry's own random nonce: the chain stays whole when
the text goes, ``audit verify`` still detects an edited or removed text while it is kept (:mod:`.query_check`),
and once the entry is gone with its nonce, the hash left in the chain cannot be tested against guessed queries
("Gehalt Müller"), as a bare SHA-256 could. Whole day files go by retention, single entries by erasure; both are
named in the chain first, so that neither looks like tampering.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ragwarden.audit.records import replace_synced, timestamp
from ragwarden.core.errors import AuditUnavailableError

QUERY_DIR = "queries"
_FILE = re.compile(r"^queries-(\d{4}-\d{2}-\d{2})\.jsonl$")
_LOCK = ".queries.lock"


def query_file(day: date) -> str:
    return f"queries-{day.isoformat()}.jsonl"


def query_day(name: str) -> date | None:
    match = _FILE.match(name)
    return date.fromisoformat(match.group(1)) if match else None


def text_hash(nonce_hex: str, text: str) -> str:
    return hmac.new(bytes.fromhex(nonce_hex), text.encode("utf-8"), hashlib.sha256).hexdigest()


class QueryTexts:
    """The text store beside one audit log (``audit_dir/queries``); made on the first text written."""

    def __init__(self, audit_dir: Path, *, durable: bool = True) -> None:
        self.directory = audit_dir / QUERY_DIR
        self.durable = durable

    def write(self, when: datetime, caller: str, text: str) -> dict[str, str]:
        """Keep ``text`` of ``caller`` (a pseudonym); the reference the chained record carries."""
        entry = {"id": secrets.token_hex(8), "time": timestamp(when), "caller": caller,
                 "nonce": secrets.token_hex(16), "text": text}
        line = json.dumps(entry, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            with self._locked():
                fd = os.open(self.directory / query_file(when.astimezone(UTC).date()),
                             os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    if os.write(fd, line) != len(line):
                        raise OSError("short write")
                    if self.durable:
                        os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise AuditUnavailableError(f"the audit query text cannot be written: {exc}") from exc
        return {"id": entry["id"], "sha256": text_hash(entry["nonce"], text)}

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if query_day(p.name))

    def entries(self) -> Iterator[tuple[str, int, dict[str, Any] | None]]:
        """``(file name, line number, entry)`` of every line kept; the entry is None for an unreadable line."""
        for path in self.files():
            with path.open("rb") as f:
                for lineno, raw in enumerate(f, 1):
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        entry = None
                    yield path.name, lineno, entry if isinstance(entry, dict) else None

    def texts(self, ids: set[str]) -> dict[str, str]:
        """id → text of those still kept (the others went by retention or erasure)."""
        if not ids:
            return {}
        return {e["id"]: e["text"] for _, _, e in self.entries() if e and e.get("id") in ids}

    def of(self, pseudonyms: set[str]) -> list[dict[str, Any]]:
        """The texts kept of these callers (a DSGVO export), oldest first."""
        return [{"id": e["id"], "time": e["time"], "text": e["text"]}
                for _, _, e in self.entries() if e and e.get("caller") in pseudonyms]

    def erased_ids(self, pseudonyms: set[str]) -> list[str]:
        return [e["id"] for _, _, e in self.entries() if e and e.get("caller") in pseudonyms]

    def erase(self, ids: set[str]) -> int:
        """Delete these entries (each day file rewritten without them, replaced whole); how many went."""
        if not ids:
            return 0
        gone = 0
        with self._locked():
            for path in self.files():
                kept, dropped = _without(path, ids)
                if dropped:
                    replace_synced(path, b"".join(kept))
                    gone += dropped
        return gone

    def expired(self, retention: float, now: datetime) -> list[Path]:
        """Day files whose whole day ended more than ``retention`` seconds before ``now``."""
        cutoff = (now - timedelta(seconds=retention)).date()
        return [p for p in self.files() if (query_day(p.name) or cutoff) + timedelta(days=1) <= cutoff]

    def remove(self, paths: list[Path]) -> None:
        with self._locked():
            for path in paths:
                path.unlink(missing_ok=True)

    def _locked(self) -> _Flock:
        return _Flock(self.directory / _LOCK)


def _without(path: Path, ids: set[str]) -> tuple[list[bytes], int]:
    kept, dropped = [], 0
    with path.open("rb") as f:
        for raw in f:
            try:
                found = json.loads(raw).get("id") in ids
            except (ValueError, AttributeError):
                found = False  # an unreadable line stays: verify names it
            if found:
                dropped += 1
            else:
                kept.append(raw)
    return kept, dropped


class _Flock:
    """The text store's writers' lock (a server appending while ``privacy erase`` rewrites a day file)."""

    def __init__(self, path: Path) -> None:
        self.path, self.fd = path, -1

    def __enter__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
