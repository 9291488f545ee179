"""``ragwarden explain``: may this user see this document, and which token decided (and ``whoami``).

A support tool on the server: it reads the sync checkpoint's copy of the document's ACL and the
directory's view of the user; it shows a decision, never document content.
"""

from __future__ import annotations

import json
from typing import Any

from ragwarden.acl.decision import decide
from ragwarden.core.errors import NotFoundError
from ragwarden.services import Services


def explain(services: Services, user: str, document: str) -> tuple[str, bool]:
    matches = list(services.state.find(document))
    if not matches:
        raise NotFoundError(f"no indexed document matches {document!r} (give a doc id, a path or a file:// URI)")
    scope = services.directory.resolve(user)
    lines = [f"user {user}: " + (", ".join(sorted(scope.tokens)) or "unknown or disabled: no tokens")]
    all_allowed = True
    for doc in matches:
        decision = decide(doc.acl, scope)
        all_allowed &= decision.allowed
        verdict = "ALLOWED" if decision.allowed else "DENIED"
        lines.append(f"{verdict}: {doc.path or doc.source_uri} (doc {doc.doc_id})")
        lines.append(f"  reason: {decision.reason}")
        if decision.deciding_tokens:
            names = ", ".join(f"{t} ({services.directory.describe(t)})" for t in decision.deciding_tokens)
            lines.append(f"  decided by: {names}")
        lines.append(
            f"  acl: allow={sorted(doc.acl.allow)} deny={sorted(doc.acl.deny)}"
            + (f" share={sorted(doc.acl.share)}" if doc.acl.share else "")
        )
    return "\n".join(lines), all_allowed


def whoami(settings: Any, user: str, as_json: bool) -> int:
    """``ragwarden whoami --as USER``: the principal tokens a user resolves to, with their names."""
    from ragwarden.api.identity import describe_scope
    from ragwarden.services import build_directory

    directory = build_directory(settings)
    try:
        info = describe_scope(directory, directory.resolve(user))
    finally:
        close = getattr(directory, "close", None)
        if close is not None:
            close()
    if as_json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    print(f"{info['principal']}: {len(info['tokens'])} tokens" + ("" if info["tokens"] else " (unknown or disabled)"))
    for t in info["tokens"]:
        print(f"  {t['token']:50} {t['name']}")
    return 0
