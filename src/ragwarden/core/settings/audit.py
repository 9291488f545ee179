"""The settings of the audit log: :class:`AuditFields`.

Auditing is on by default (an enterprise product must be able to say who saw what); ``RAGWARDEN_AUDIT=off``
exists for tests and benchmarks and says so in the log at start-up. Query text is not recorded unless
``RAGWARDEN_AUDIT_QUERIES`` is on: in Germany a works council must agree to it first; its text is then kept
apart from the chain, for ``RAGWARDEN_RETENTION_AUDIT_QUERIES`` (30 days unless set).

Retention (DSGVO Art. 5(1)(e), storage limitation): how long conversations, sign-in sessions and audit day
files are kept, as durations like the sources file's (``30d``, ``12h``, ``15m``); unset keeps the defaults
(conversations and sessions expire as before; audit files are kept until an operator decides).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from ragwarden.core.sources.durations import parse_duration


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
    # Retention: RAGWARDEN_RETENTION_CONVERSATIONS / _SESSIONS / _AUDIT (durations; None: no extra limit) and
    # how often the serving process enforces them (RAGWARDEN_RETENTION_SWEEP).
    retention_conversations: float | None = None
    retention_sessions: float | None = None
    retention_audit: float | None = None
    # RAGWARDEN_RETENTION_AUDIT_QUERIES: the query texts (kept apart from the chain, which holds a keyed hash of
    # each) go sooner than the records: 30 days unless the works council agreed on another period; empty keeps
    # them as long as the audit day files. Never longer than RAGWARDEN_RETENTION_AUDIT.
    retention_audit_queries: float | None = 30 * 86400.0
    retention_sweep: float = 600.0

    @field_validator(
        "retention_conversations",
        "retention_sessions",
        "retention_audit",
        "retention_audit_queries",
        "retention_sweep",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> float | None:
        if value is None or value == "":
            return None
        return parse_duration(value)
