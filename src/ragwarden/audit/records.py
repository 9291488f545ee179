"""The shape of a record on disk: one line of canonical JSON that starts with the previous record's hash.

``{"prev":"<64 hex>","seq":N,...}``: the hash and sequence number come first and at fixed places, so that
``verify`` checks a million records without parsing each one as JSON. A record's hash is the SHA-256 of its
line (without the newline); the first record of the log follows :data:`GENESIS`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ragwarden.core.audit import AuditEvent

GENESIS = "0" * 64
FILE_PATTERN = re.compile(r"^audit-(\d{4}-\d{2}-\d{2})\.jsonl$")
HEAD_FILE = "audit-head.json"
HEAD_BYTES = 512  # the head is rewritten in place at this width
LOCK_FILE = ".audit.lock"
ANCHOR_FILE = "audit-anchor.json"  # where the chain starts after retention removed its oldest day files
_PREFIX = re.compile(rb'^\{"prev":"([0-9a-f]{64})","seq":(\d+),')


def day_file(day: date) -> str:
    return f"audit-{day.isoformat()}.jsonl"


def day_of(name: str) -> date | None:
    match = FILE_PATTERN.match(name)
    return date.fromisoformat(match.group(1)) if match else None


def digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def encode(prev: str, seq: int, body: dict[str, Any]) -> bytes:
    """One record's line (no newline): the chain fields first, then ``body`` in its own order."""
    record = {"prev": prev, "seq": seq, **body}
    return json.dumps(record, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def chain_fields(line: bytes) -> tuple[str, int] | None:
    """``(prev, seq)`` of a line, or None when the line does not start like a record."""
    match = _PREFIX.match(line)
    return (match.group(1).decode(), int(match.group(2))) if match else None


def timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def event_body(
    event: AuditEvent, pseudonym: Callable[[str], str], query: dict[str, str] | None = None
) -> dict[str, Any]:
    """The record of ``event``: principals replaced by their pseudonyms; of the query, when recorded at all,
    only the reference to its text kept apart (:mod:`ragwarden.audit.query_texts`)."""
    body: dict[str, Any] = {
        "type": "access",
        "time": timestamp(event.time),
        "interface": event.interface,
        "action": event.action,
        "caller": pseudonym(event.principal),
        "documents": [
            {
                "doc_id": d.doc_id,
                "points": list(d.points),
                "acl_version": d.acl_version,
                "grants": [{"reader": pseudonym(g.reader), "allow": g.allow, "share": g.share} for g in d.grants],
            }
            for d in event.documents
        ],
    }
    if event.answer is not None:
        a = event.answer
        body["answer"] = {"model": a.model, "prompt_sha256": a.prompt_sha256, "refused": a.refused}
        if a.cached:
            body["answer"]["cached"] = True
    if query is not None:
        body["query"] = query
    return body


def privacy_body(action: str, when: datetime, facts: dict[str, Any]) -> dict[str, Any]:
    """A DSGVO action (``erase``, ``forget-document``, ``retention``): what was done and how much, never whose
    data it was (the record outlives the person's key)."""
    return {"type": "privacy", "time": timestamp(when), "action": action, **facts}


def checkpoint_body(day: date, records: int, last: str, next_day: date, when: datetime) -> dict[str, Any]:
    """The record that closes ``day``: how many records it held and the hash of its last one, and which day
    file the chain continues in (so that a missing file is named, not merely noticed)."""
    return {
        "type": "checkpoint",
        "time": timestamp(when),
        "day": day.isoformat(),
        "records": records,
        "last": last,
        "next": day_file(next_day),
    }


def read_head(directory: Path) -> dict[str, Any] | None:
    path = directory / HEAD_FILE
    try:
        head: dict[str, Any] = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ValueError(f"{path} is not readable: {exc}") from exc
    return head


def replace_synced(path: Path, data: bytes) -> None:
    """``path`` replaced whole by ``data``: written to a temporary file beside it, synced, renamed over it, so a
    crash leaves the old content or the new, never half of either."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
