"""The questions auditors ask of the log: who saw a document, and what a person saw.

Answers are audit facts only (times, interfaces, actions, document ids, granting tokens, ACL versions):
the log holds no document text, so none can leak from here. People appear as pseudonyms; resolving them
is the caller's business (administrators only, through the key store).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ragwarden.audit.records import day_of, parse_time


def access_records(directory: Path, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every access record (checkpoints skipped) at or after ``since``, oldest first."""
    files = sorted(p for p in directory.iterdir() if day_of(p.name)) if directory.is_dir() else []
    for path in files:
        day = day_of(path.name)
        if since is not None and day is not None and day < since.date():
            continue
        with path.open("rb") as f:
            for raw in f:
                if not raw.endswith(b"\n") or raw.find(b'"type":"access"', 0, 120) < 0:
                    continue
                record: dict[str, Any] = json.loads(raw)
                if since is None or parse_time(record["time"]) >= since:
                    yield record


def who_saw(directory: Path, doc_ids: set[str], since: datetime | None = None) -> list[dict[str, Any]]:
    """One row per reader per record that returned one of ``doc_ids``."""
    rows = []
    for record in access_records(directory, since):
        for doc in record["documents"]:
            if doc["doc_id"] not in doc_ids:
                continue
            for grant in doc["grants"]:
                rows.append(_row(record, doc) | {"reader": grant["reader"], "allow": grant["allow"],
                                                 "share": grant["share"]})
    return rows


def what_saw(directory: Path, pseudonym: str, since: datetime | None = None) -> list[dict[str, Any]]:
    """One row per document returned to ``pseudonym`` (as the caller, or as a reader of a shared reply)."""
    rows = []
    for record in access_records(directory, since):
        for doc in record["documents"]:
            for grant in doc["grants"]:
                if grant["reader"] == pseudonym:
                    rows.append(_row(record, doc) | {"allow": grant["allow"], "share": grant["share"]})
    return rows


def _row(record: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    row = {
        "time": record["time"],
        "interface": record["interface"],
        "action": record["action"],
        "caller": record["caller"],
        "doc_id": doc["doc_id"],
        "acl_version": doc["acl_version"],
    }
    if "answer" in record:
        row["model"] = record["answer"]["model"]
    if isinstance(record.get("query"), dict):
        row["query_id"] = record["query"]["id"]  # its text, while kept, is looked up by the caller
    return row
