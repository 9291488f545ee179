"""``ragwarden audit verify | who-saw DOCUMENT | what-saw USER``: the audit log from the operator's shell.

Run on the machine that holds the log and its keys (whoever can read both may link pseudonyms to people,
as administrators can over REST); nothing here opens the index or loads a model.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from ragwarden.core.errors import InvalidRequestError


def add_parser(add: Callable[..., argparse.ArgumentParser], func: Callable[[argparse.Namespace], int]) -> None:
    p = add("audit", func, "check the audit log, or ask who saw a document / what a user saw")
    p.add_argument("action", choices=["verify", "who-saw", "what-saw"])
    p.add_argument("subject", nargs="?", help="who-saw: a doc id, path or URI; what-saw: a user")
    p.add_argument("--since", help="only records from this ISO date or date-time on (UTC)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(settings: Any, args: argparse.Namespace) -> int:
    if args.action == "verify":
        return verify(settings, args.json)
    return question(settings, args.action, args.subject, args.since, args.json)


def verify(settings: Any, as_json: bool) -> int:
    from ragwarden.services.audit import verify_audit

    report = verify_audit(settings)
    if as_json:
        body = {"intact": report.intact, "records": report.records, "files": report.files,
                "problems": report.problems, "notes": report.notes,
                "checkpoints": [{"day": d, "sha256": h} for d, h in report.checkpoints]}
        print(json.dumps(body, indent=2))
        return 0 if report.intact else 1
    for day, digest in report.checkpoints:
        print(f"checkpoint {day}  {digest}")
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    state = "intact" if report.intact else f"NOT intact ({len(report.problems)} problems)"
    print(f"audit log {state}: {report.records} records in {report.files} day files ({settings.audit_path})")
    return 0 if report.intact else 1


def question(settings: Any, action: str, subject: str | None, since: str | None, as_json: bool) -> int:
    from ragwarden.ingestion.state import StateStore
    from ragwarden.services.audit import parse_since, what_saw, who_saw

    if not subject:
        raise InvalidRequestError(f"usage: ragwarden audit {action} {'DOCUMENT' if action == 'who-saw' else 'USER'}")
    when = parse_since(since)
    state = StateStore(settings.state_path)
    try:
        if action == "who-saw":
            body = who_saw(settings, state, subject, when, resolve=True)
        else:
            body = what_saw(settings, state, subject, when)
    finally:
        state.close()
    if as_json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    rows = body["seen"]
    print(f"{action} {subject}: {len(rows)} times" + (f" since {body['since']}" if body["since"] else ""))
    for row in rows:
        who = row.get("reader_principal") or row.get("reader") or body.get("user")
        share = f" + {row['share']}" if row.get("share") else ""
        title = row.get("title") or "(title unknown)"
        print(f"  {row['time']}  {row['interface']:5} {row['action']:8} {who}  {row['doc_id']} {title}  "
              f"granted by {row['allow']}{share}")
    return 0
