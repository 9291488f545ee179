"""Which tokens a caller's scope can ever hold, and what a document's ACL means in their light.

A deny entry protects only if some caller can hold its token: a deny naming a principal that no
configured resolver ever emits (a file server's machine-local group, another domain's group, NETWORK,
a ``user:`` name while users resolve through AD) silently fails open. So at ingest every ACL passes
:func:`admit` against the union of what the configured resolvers can emit (:class:`Emittable`):

- a **deny** naming anything outside it: the document is not indexed (:class:`UnresolvablePrincipalError`,
  a failed item with the reason);
- an **allow** or **share** entry naming such a principal grants nothing: it is left out of what is
  indexed and reported. If no allow entry is left, nobody could read the document: not indexed. If share
  entries were given and none is left, not indexed either (an empty share set would mean "no share
  restriction", a widening).

What each resolver emits:

===================  ==========================================================================
local directory      ``user:`` / ``group:`` names the file defines, ``everyone``
Active Directory     ``sid:`` accounts of its own domain (and configured extra domains: sIDHistory,
                     other forest domains), Everyone, Authenticated Users; BUILTIN (``S-1-5-32-*``)
                     only when configured, since the file server evaluates BUILTIN per machine
Entra ID             ``entra:`` object ids, the tenant token ``entra:<tenantId>`` for enabled
                     member accounts (never guests); for hybrid users ``sid:`` accounts of the
                     on-premises domain(s), Everyone, Authenticated Users
SharePoint site      ``spgroup:<siteCollectionId>:<id>``: ``SiteGroupResolver`` (``acl.site_groups``)
groups               wraps the AD or Entra resolver and adds the site groups naming one of the
                     caller's tokens
===================  ==========================================================================

Nothing emits ``upn:`` tokens today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessControl

WELL_KNOWN_AUTHENTICATED = frozenset({tokens.SID_EVERYONE, tokens.SID_AUTHENTICATED_USERS})


class UnresolvablePrincipalError(AccessControlError):
    """An ACL that cannot be enforced as written: a deny no caller can match, or nobody left to allow."""


@dataclass(frozen=True, slots=True)
class Emittable:
    """The tokens some caller's scope can hold: whole namespaces (``kinds``), single ``exact`` tokens,
    and the accounts (a domain SID plus one RID) of ``sid_domains``."""

    kinds: frozenset[str] = frozenset()
    exact: frozenset[str] = frozenset()
    sid_domains: frozenset[str] = frozenset()

    def __contains__(self, token: object) -> bool:
        if not isinstance(token, str):
            return False
        if token in self.exact or tokens.kind_of(token) in self.kinds:
            return True
        return tokens.sid_domain(token) in self.sid_domains

    def __or__(self, other: Emittable) -> Emittable:
        return Emittable(self.kinds | other.kinds, self.exact | other.exact, self.sid_domains | other.sid_domains)

    def describe(self) -> str:
        parts = [f"{k}:*" for k in sorted(self.kinds)]
        parts += [f"sid:{d}-*" for d in sorted(self.sid_domains)]
        if self.exact:
            parts.append(f"{len(self.exact)} named tokens")
        return ", ".join(parts) or "nothing"


NOTHING = Emittable()


@runtime_checkable
class EmitsTokens(Protocol):
    """A resolver that can say what it emits (every built-in resolver can)."""

    def emittable(self) -> Emittable: ...


def emittable_of(resolvers: Iterable[object]) -> Emittable:
    """The union over ``resolvers``; one that cannot say what it emits contributes nothing (a deny only
    it could match fails the document, an allow only it could match grants nothing)."""
    out = NOTHING
    for resolver in resolvers:
        inner = getattr(resolver, "inner", None)  # the principal cache wraps the real resolver
        target = resolver if isinstance(resolver, EmitsTokens) else inner
        if isinstance(target, EmitsTokens):
            out |= target.emittable()
    return out


def entra_emittable(on_premises_domains: Iterable[str] = ()) -> Emittable:
    """Entra ID: every object id, and for hybrid users the SIDs of the synchronised domain(s)."""
    domains = frozenset(tokens.canonical_domain_sid(d) for d in on_premises_domains)
    return Emittable(kinds=frozenset({"entra"}), exact=WELL_KNOWN_AUTHENTICATED, sid_domains=domains)


@dataclass(frozen=True, slots=True)
class Admission:
    """What may be indexed of an ACL, and the grants left out because no caller can hold them."""

    acl: AccessControl
    ignored: frozenset[str] = field(default_factory=frozenset)


def admit(acl: AccessControl, emittable: Emittable) -> Admission:
    """The ACL as it can be enforced; raises :class:`UnresolvablePrincipalError` (see the module docstring)."""
    unresolvable = sorted(t for t in acl.deny if t not in emittable)
    if unresolvable:
        raise UnresolvablePrincipalError(
            f"a deny entry names {_listing(unresolvable)}, which no configured directory can put in a "
            "caller's token set: the deny could never apply (not indexed)"
        )
    allow = frozenset(t for t in acl.allow if t in emittable)
    share = frozenset(t for t in acl.share if t in emittable)
    ignored = (acl.allow - allow) | (acl.share - share)
    if not allow:
        raise UnresolvablePrincipalError(
            f"no allow entry names a principal a configured directory can emit ({_listing(sorted(acl.allow))})"
        )
    if acl.share and not share:
        raise UnresolvablePrincipalError(
            f"no share permission entry names a principal a configured directory can emit "
            f"({_listing(sorted(acl.share))})"
        )
    if not ignored:
        return Admission(acl)
    return Admission(AccessControl(allow=allow, deny=acl.deny, share=share), frozenset(ignored))


def _listing(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"
