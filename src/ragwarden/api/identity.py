"""What support staff see of a caller: the resolved tokens, with names (``/v1/me``, ``whoami``)."""

from __future__ import annotations

from typing import Any

from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver


def describe_scope(directory: PrincipalResolver, scope: AccessScope) -> dict[str, Any]:
    return {
        "principal": scope.principal,
        "tokens": [{"token": t, "name": directory.describe(t)} for t in sorted(scope.tokens)],
    }
