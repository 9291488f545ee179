"""The part of ``audit verify`` that checks the query texts against the records that name them.

While the chain is walked, each record's query reference (``"query":{"id":…,"sha256":…}``, found in the line's
bytes without parsing it) is noted with its place, and so are the ``privacy`` records that delete texts on
purpose: ``query-retention`` (whole day files) and ``erase`` (one person's entries). Then every kept text is
hashed again: an edited text, a text removed outside retention and erasure, a day file of texts deleted behind
retention's back and an unreadable line are problems; a text no record names (its request failed after the
text was written, or the server stopped between the two) is a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragwarden.audit.query_texts import QueryTexts, query_file, text_hash
from ragwarden.audit.records import day_of

_REF = re.compile(rb'"query":\{"id":"([0-9a-f]{16})","sha256":"([0-9a-f]{64})"\}')


@dataclass
class QueryCheck:
    refs: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id → (hash, where, day's text file)
    removed: set[str] = field(default_factory=set)  # text day files deleted by retention
    erased: set[str] = field(default_factory=set)  # ids deleted by erasure

    def record(self, line: bytes, where: str, audit_file: str) -> None:
        if line.find(b'"query":{') < 0:
            return
        match = _REF.search(line)
        day = day_of(audit_file)
        if match and day is not None:
            self.refs[match.group(1).decode()] = (match.group(2).decode(), where, query_file(day))

    def privacy(self, body: dict[str, Any]) -> None:
        if body.get("action") == "query-retention":
            self.removed.update(str(n) for n in body.get("removed") or [])
        elif body.get("action") == "erase":
            self.erased.update(str(i) for i in body.get("query_texts_erased") or [])

    def finish(self, audit_dir: Path, problems: list[str], notes: list[str]) -> None:
        store = QueryTexts(audit_dir)
        kept: dict[str, tuple[str, int, dict[str, Any]]] = {}
        for name, lineno, entry in store.entries():
            if entry is None or not isinstance(entry.get("id"), str):
                problems.append(f"{store.directory.name}/{name}:{lineno}: not a valid query text (edited or damaged)")
                continue
            kept[entry["id"]] = (name, lineno, entry)
        files = {p.name for p in store.files()}
        for ref_id, (digest, where, text_file) in self.refs.items():
            found = kept.pop(ref_id, None)
            if found is None:
                if ref_id not in self.erased and text_file not in self.removed:
                    what = "its day file is missing" if text_file not in files else "it was removed"
                    problems.append(f"{where}: the query text {ref_id} is gone but no retention or erasure "
                                    f"record deleted it ({what})")
                continue
            name, lineno, entry = found
            try:
                same = text_hash(str(entry.get("nonce")), str(entry.get("text"))) == digest
            except ValueError:
                same = False
            if not same:
                problems.append(f"{store.directory.name}/{name}:{lineno}: the query text of the record at {where} "
                                f"was edited (its hash is not what the record carries)")
        if kept:
            notes.append(f"{len(kept)} query texts are named by no record (a request that failed after its text "
                         f"was written, or a record not yet verified)")
