"""Authorization as one pure function: may a caller with these tokens see a document with this ACL?

The same rule is expressed as an index filter in ``ragwarden.retrieval``; this is the reference it is
checked against (every hit is re-checked here) and the source of ``ragwarden explain``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ragwarden.core.models import AccessControl, AccessScope, Scope, member_scopes


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    deciding_tokens: tuple[str, ...] = ()


def decide(acl: AccessControl, scope: AccessScope) -> Decision:
    """``allow ∩ T ≠ ∅`` and (``share`` empty or ``share ∩ T ≠ ∅``) and ``deny ∩ T = ∅``.

    Any matching deny wins, stricter than Windows: it may hide a document, never leak one.
    """
    tokens = scope.tokens
    denied = sorted(acl.deny & tokens)
    if denied:
        return Decision(False, "denied by an explicit deny entry", tuple(denied))
    allowed = sorted(acl.allow & tokens)
    if not allowed:
        return Decision(False, "no allow entry matches any of the caller's tokens")
    if acl.share:
        share = sorted(acl.share & tokens)
        if not share:
            return Decision(False, "the share permission does not include the caller")
        return Decision(True, "allowed by the ACL and the share permission", tuple(allowed + share))
    return Decision(True, "allowed by an allow entry", tuple(allowed))


def is_allowed(acl: AccessControl, scope: Scope) -> bool:
    """For a joint scope (a group chat): only when every member is allowed."""
    return all(decide(acl, member).allowed for member in member_scopes(scope))


def is_admin(scope: AccessScope, admin_tokens: frozenset[str]) -> bool:
    """May this caller administer (see sources, start syncs)? Only by an explicitly configured token;
    nobody by default. Administration never widens what the caller can search."""
    return bool(admin_tokens) and bool(scope.tokens & admin_tokens)
