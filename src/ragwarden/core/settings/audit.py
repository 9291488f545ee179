"""The settings of the audit log: :class:`AuditFields`.

Auditing is on by default (an enterprise product must be able to say who saw what); ``RAGWARDEN_AUDIT=off``
exists for tests and benchmarks and says so in the log at start-up. Query text is not recorded unless
``RAGWARDEN_AUDIT_QUERIES`` is on: in Germany a works council must agree to it first.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class AuditFields(BaseModel):
    """Where the audit log and its pseudonym keys live, and who may ask it questions."""

    audit: bool = True  # RAGWARDEN_AUDIT: on | off
    audit_dir: Path | None = None  # default: <data dir>/audit
    # The per-person pseudonym keys, kept apart from the log (default: <data dir>/audit-keys): whoever holds
    # the log alone cannot tell whose records they are, and erasing a key makes that person's records
    # unlinkable while the chain still verifies.
    audit_key_dir: Path | None = None
    audit_queries: bool = False  # record the query text (a works council must agree first)
    # Principal tokens that may ask the audit log (who-saw, what-saw) without administering anything else.
    auditor_tokens: list[str] = Field(default_factory=list)
