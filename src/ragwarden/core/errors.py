"""The one exception tree of ragwarden.

    RagwardenError
    ├── ConfigurationError          settings missing, placeholder secrets, unknown modes (permanent)
    ├── InvalidRequestError         a caller's bad input: empty query, limit out of range (permanent, 4xx)
    │   └── DocumentTooLargeError
    ├── AuthenticationError         who is asking could not be established (401)
    ├── ForbiddenError              the caller is known but may not do this: administration (403)
    ├── ConflictError               not here: e.g. a sync asked of an API process that runs none (409)
    ├── NotFoundError               no such thing *for this caller* (404; also hides forbidden documents)
    ├── AccessControlError          an ACL that cannot be read or is not understood (permanent: fail closed)
    ├── ItemError                   one document could not be processed (permanent for that item)
    │   ├── ParseError
    │   └── UnsupportedFormatError
    ├── IntegrityError              a retrieval hit that does not match the caller's scope (internal, never shown)
    └── TransientError              may succeed when retried
        ├── DirectoryUnavailableError   groups cannot be resolved (503)
        ├── IndexUnavailableError
        ├── AuditUnavailableError       the audit record cannot be written: nothing is returned (503)
        ├── OverloadedError             too much work waiting already: retry after ``retry_after`` s (503)
        └── RateLimitedError            this caller has enough in flight: retry after ``retry_after`` s (429)

The HTTP mapping of these classes lives in exactly one table, in ``ragwarden.api.errors``.
"""

from __future__ import annotations


class RagwardenError(Exception):
    """Base of every error ragwarden raises on purpose."""


class ConfigurationError(RagwardenError):
    """The configuration is missing, contradictory or unsafe."""


class InvalidRequestError(RagwardenError):
    """A caller sent input that cannot be served."""


class DocumentTooLargeError(InvalidRequestError):
    """An item exceeds the configured size limit."""


class AuthenticationError(RagwardenError):
    """The caller's identity could not be established."""


class ForbiddenError(RagwardenError):
    """The caller is known but may not do this (administration without an admin token)."""


class ConflictError(RagwardenError):
    """The request is sound but this process cannot serve it (it runs no syncs)."""


class NotFoundError(RagwardenError):
    """Nothing by that name exists for this caller (forbidden things are reported the same way)."""


class AccessControlError(RagwardenError):
    """An access-control list is missing, unreadable or not understood."""


class MissingScopeError(AccessControlError, TypeError):
    """Something that reads documents was called without the caller's scope (``AccessScope`` or
    ``JointScope``): a programming error, refused the same way everywhere (a ``TypeError`` as well, since
    that is what it is)."""


class ItemError(RagwardenError):
    """One document failed; the run goes on."""


class ParseError(ItemError):
    """The document's content could not be read (corrupt, encrypted, empty)."""


class UnsupportedFormatError(ItemError):
    """The document's format is not one we parse."""


class IntegrityError(RagwardenError):
    """An internal invariant was broken (e.g. a search hit outside the caller's scope)."""


class TransientError(RagwardenError):
    """A failure that may go away when retried."""


class DirectoryUnavailableError(TransientError):
    """The identity directory cannot be reached and no fresh cached answer exists."""


class IndexUnavailableError(TransientError):
    """The vector index cannot be reached."""


class AuditUnavailableError(TransientError):
    """The audit record of a request could not be written (the log's disk is full or read-only, the key
    store is unreachable): the request fails rather than return anything unrecorded."""


class OverloadedError(TransientError):
    """The service has as much of this work waiting as it will queue; ``retry_after`` seconds is a
    fair guess of when a place frees up."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """This caller already has as much of this work in flight as one caller may."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
