"""``ragwarden search`` and ``ragwarden ask``: a user's search and question from the shell, with that user's
permissions (out of ``cli/__init__.py`` to keep it short)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def search(services: Any, args: argparse.Namespace) -> int:
    """``ragwarden search --as USER QUERY``: through the choke point, recorded in the audit as the CLI."""
    from ragwarden.retrieval.documents import search_documents

    try:
        scope = services.directory.resolve(args.as_user)
        results = search_documents(
            services.retriever, scope, args.query, args.limit, audit=services.audit_trail("cli")
        )
        withheld = sorted(services.retriever.withheld())
    finally:
        services.close()
    if withheld:
        print(
            f"ragwarden: withheld until their permissions are re-read: {', '.join(withheld)} "
            "(run `ragwarden sync NAME --acl`, or start the server)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({"results": [r.as_dict() for r in results]}, ensure_ascii=False, indent=2))
        return 0
    if not results:
        print("No documents found that you can access.")
    for n, r in enumerate(results, 1):
        print(f"{n:2}. {r.title}  [{r.score:.3f}]\n    {r.source_uri}\n    {r.snippet}\n")
    return 0


def ask(services: Any, args: argparse.Namespace) -> int:
    """``ragwarden ask --as USER QUESTION``: the answer streamed, then its sources."""
    from ragwarden.generation import AnswerComplete, AnswerToken

    try:
        scope = services.directory.resolve(args.as_user)
        for event in services.answerer().answer_stream(scope, args.question, audit=services.audit_trail("cli")):
            if isinstance(event, AnswerToken):
                print(event.text, end="", flush=True)
            elif isinstance(event, AnswerComplete):
                print()
                cited = [c for c in event.result.citations if c.cited] or list(event.result.citations)
                for c in cited:
                    print(f"  [{c.number}] {c.title}  {c.source_uri}")
    finally:
        services.close()
    return 0
