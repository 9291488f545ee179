"""What support staff see of a caller: the resolved tokens, with names (``/v1/me``, ``whoami``)."""

from __future__ import annotations

from typing import Any

from ragwarden.acl import tokens
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver


def describe_scope(directory: PrincipalResolver, scope: AccessScope) -> dict[str, Any]:
    """``principal`` is the stable name (``entra:<object id>`` for Entra callers); ``display_name``,
    when the directory knows one, is for people to read."""
    body: dict[str, Any] = {
        "principal": scope.principal,
        "tokens": [{"token": t, "name": directory.describe(t)} for t in sorted(scope.tokens)],
    }
    if tokens.kind_of(scope.principal) == "entra":  # other principals are already what people call them
        name = directory.describe(scope.principal)
        if name != scope.principal:
            body["display_name"] = name
    return body
