"""Per-person pseudonym keys: the caller in the log is ``HMAC-SHA256(key of that person, principal)``.

The keys live in a SQLite file outside the log directory (``RAGWARDEN_AUDIT_KEY_DIR``). Whoever holds the log
alone cannot tell whose records they are; whoever holds both can (who-saw, for administrators). Destroying
one person's key (DSGVO erasure) makes their records unlinkable -- nothing can recompute the pseudonym --
while every record and the chain stay as they were.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
from pathlib import Path

from ragwarden.core.errors import AuditUnavailableError

KEY_FILE = "audit-keys.sqlite3"


class PseudonymKeys:
    def __init__(self, directory: Path) -> None:
        self.path = directory / KEY_FILE
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}
        self._version = -1
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS pseudonym_keys "
                "(principal TEXT PRIMARY KEY, key BLOB NOT NULL, pseudonym TEXT NOT NULL UNIQUE)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise AuditUnavailableError(f"the audit key store {self.path} cannot be opened: {exc}") from exc

    def pseudonym(self, principal: str) -> str:
        """The principal's pseudonym; a key is made (random, 256 bits) the first time a person is seen."""
        with self._lock:
            self._notice_erasures()
            known = self._known.get(principal)
            if known is not None:
                return known
            key = os.urandom(32)
            mine = _hmac(key, principal)
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO pseudonym_keys (principal, key, pseudonym) VALUES (?, ?, ?)",
                    (principal, key, mine),
                )
                row = self._db.execute(
                    "SELECT pseudonym FROM pseudonym_keys WHERE principal = ?", (principal,)
                ).fetchone()
            except sqlite3.Error as exc:
                raise AuditUnavailableError(f"the audit key store cannot be written: {exc}") from exc
            pseudonym = str(row[0])  # another process may have made this person's key first
            self._known[principal] = pseudonym
            return pseudonym

    def _notice_erasures(self) -> None:
        """Forget the cache when another process changed the key store (``privacy erase`` run from the data
        directory beside a serving process): SQLite's ``data_version`` moves on another connection's commit,
        so a destroyed key is never served from memory again. One pragma per record (a few microseconds)."""
        try:
            version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise AuditUnavailableError(f"the audit key store cannot be read: {exc}") from exc
        if version != self._version:
            self._known.clear()
            self._version = version

    def existing(self, principal: str) -> str | None:
        """The pseudonym of a person with a key, None otherwise (never makes a key: a question is not a visit)."""
        with self._lock:
            row = self._db.execute("SELECT key FROM pseudonym_keys WHERE principal = ?", (principal,)).fetchone()
        return _hmac(bytes(row[0]), principal) if row else None

    def principals(self, pseudonyms: set[str]) -> dict[str, str]:
        """pseudonym → principal for those whose key still exists (each recomputed from its key)."""
        found: dict[str, str] = {}
        with self._lock:
            rows = self._db.execute("SELECT principal, key, pseudonym FROM pseudonym_keys").fetchall()
        for principal, key, pseudonym in rows:
            if pseudonym in pseudonyms and _hmac(bytes(key), principal) == pseudonym:
                found[pseudonym] = principal
        return found

    def forget(self, principal: str) -> bool:
        """Destroy the person's key (DSGVO erasure): their records stay, and nothing can link them to the person
        any more. A process that serves must be told too (its cache); the next visit makes a new, unrelated key."""
        with self._lock:
            self._known.pop(principal, None)
            try:
                deleted = self._db.execute("DELETE FROM pseudonym_keys WHERE principal = ?", (principal,)).rowcount
            except sqlite3.Error as exc:
                raise AuditUnavailableError(f"the audit key store cannot be written: {exc}") from exc
        return bool(deleted)

    def close(self) -> None:
        self._db.close()


def _hmac(key: bytes, principal: str) -> str:
    return hmac.new(key, principal.encode("utf-8"), hashlib.sha256).hexdigest()
