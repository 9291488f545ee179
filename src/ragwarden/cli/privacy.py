"""``ragwarden privacy export USER | erase USER | forget-document DOCUMENT | retention``: DSGVO from the shell.

Each action runs where the data lives: in the running server when one owns this data directory (through
its admin channel: conversations and sign-in sessions live only in its memory, and the embedded index has
one owner), otherwise from the data directory alone (the audit log, its keys, the sync state and the index).
API processes started with ``serve --no-sync`` hold their own conversations: ask each of them over REST
(``POST /v1/admin/privacy``, the same actions).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragwarden.core.errors import InvalidRequestError

USAGE = {"export": "USER", "erase": "USER", "forget-document": "DOCUMENT", "retention": ""}


def add_parser(add: Callable[..., argparse.ArgumentParser], func: Callable[[argparse.Namespace], int]) -> None:
    p = add("privacy", func, "DSGVO: export or erase what is held about a person, forget a document, retention")
    p.add_argument("action", choices=sorted(USAGE))
    p.add_argument("subject", nargs="?", help="export/erase: a user; forget-document: a doc id, path or URI")
    p.add_argument("--out", help="export: write the JSON here (created 0600) instead of printing it")
    p.add_argument("--json", action="store_true", help="machine-readable report")


def run(settings: Any, args: argparse.Namespace) -> int:
    action, subject = args.action, args.subject
    if action != "retention" and not subject:
        raise InvalidRequestError(f"usage: ragwarden privacy {action} {USAGE[action]}")
    body: dict[str, Any] = {"action": action}
    if action in ("export", "erase"):
        body["user"] = subject
    elif action == "forget-document":
        body["document"] = subject
    result = _run_where_the_data_is(settings, body)
    if action == "export":
        return _write_export(result, args.out)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_report(action, result)
    return 0


def _run_where_the_data_is(settings: Any, body: dict[str, Any]) -> dict[str, Any]:
    from ragwarden.cli.operations import _client

    client = _client(settings)
    if client is not None:
        return client.privacy(body)
    from ragwarden.services import privacy

    action = body["action"]
    if action == "export":
        return privacy.export(settings, body["user"])
    if action == "erase":
        return privacy.erase(settings, body["user"])
    if action == "retention":
        return privacy.retention(settings)
    from ragwarden.cli.operations import _services

    services = _services(settings)  # forgetting touches the index: open it (no server owns it)
    try:
        return privacy.forget_document(services, body["document"])
    finally:
        services.close()


def _write_export(result: dict[str, Any], out: str | None) -> int:
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if not out:
        print(text, end="")
        return 0
    path = Path(out)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: for the requester only
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"exported {result['subject']} ({result['from']}): {len(result['conversations'])} conversations, "
          f"{len(result['sessions'])} sessions, {len(result['audit']['records'])} audit records -> {path}",
          file=sys.stderr)
    return 0


def _print_report(action: str, r: dict[str, Any]) -> None:
    if action == "erase":
        print(f"erased {r['subject']} in the {r['where']}:")
        print(f"  conversations: {r['conversations_turns']} turns deleted")
        print(f"  sign-in sessions: {r['sessions']} ended")
        print(f"  audit log: {r['pseudonym_keys']} pseudonym keys destroyed; {r['records_unlinked']} records "
              "kept but no longer linkable to the person")
        print(f"  audit query texts: {r.get('query_texts', 0)} deleted")
    elif action == "forget-document":
        print(f"forgot {r['document']}: {len(r['doc_ids'])} documents removed from the index and the sync state "
              f"({', '.join(r['doc_ids'])}); {r['conversations_dropped']} conversations that cited them dropped")
        for stone in r["tombstones"]:
            print(f"  tombstone: {stone['source']} {stone['source_uri']} (kept out until it changes at the source)")
    else:
        print(f"retention: {r['conversations_turns']} conversation turns and {r['sessions']} sessions expired; "
              f"audit day files deleted: {', '.join(r['audit_files']) or 'none'}; "
              f"query text day files deleted: {', '.join(r.get('audit_query_files', [])) or 'none'}")
    record = r.get("audit_record")
    if action != "retention":
        print(f"  recorded in the audit log: {record}" if record else "  not recorded: auditing is off")
    for note in r.get("notes", []):
        print(f"  note: {note}")
