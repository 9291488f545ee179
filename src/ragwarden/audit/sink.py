"""The :class:`~ragwarden.core.ports.AuditSink` adapters: the hash-chained log, and "off" for tests and
benchmarks (which says so in the log, once, so that nobody runs it unknowingly)."""

from __future__ import annotations

import logging
from pathlib import Path

from ragwarden.audit.keys import PseudonymKeys
from ragwarden.audit.log import ChainedLog
from ragwarden.audit.query_texts import QueryTexts
from ragwarden.audit.records import event_body
from ragwarden.core.audit import AuditEvent
from ragwarden.core.errors import ConfigurationError

log = logging.getLogger(__name__)


class AuditLog:
    """Writes each event to the chain, callers as pseudonyms; the query only when ``record_queries``, its text
    first into the text store (its own retention) and a keyed hash of it into the record."""

    def __init__(self, chain: ChainedLog, keys: PseudonymKeys, *, record_queries: bool = False) -> None:
        self.chain = chain
        self.keys = keys
        self.record_queries = record_queries
        self.texts = QueryTexts(chain.directory, durable=chain.durable)

    def record(self, event: AuditEvent) -> None:
        query = None
        if self.record_queries and event.query is not None:
            query = self.texts.write(event.time, self.keys.pseudonym(event.principal), event.query)
        self.chain.append(event_body(event, self.keys.pseudonym, query), event.time)

    def close(self) -> None:
        self.keys.close()


class AuditOff:
    """No record at all (``RAGWARDEN_AUDIT=off``)."""

    def __init__(self) -> None:
        log.warning("auditing is OFF (RAGWARDEN_AUDIT=off): searches, document reads and answers are not recorded")

    def record(self, event: AuditEvent) -> None:
        return None

    def close(self) -> None:
        return None


def open_audit_log(log_dir: Path, key_dir: Path, *, record_queries: bool, durable: bool = True) -> AuditLog:
    """The log in ``log_dir`` with its keys in ``key_dir``, which must lie outside it (else the log would
    carry the means to undo its own pseudonyms)."""
    log_dir, key_dir = log_dir.resolve(), key_dir.resolve()
    if key_dir == log_dir or log_dir in key_dir.parents:
        raise ConfigurationError("RAGWARDEN_AUDIT_KEY_DIR must not be inside RAGWARDEN_AUDIT_DIR")
    return AuditLog(ChainedLog(log_dir, durable=durable), PseudonymKeys(key_dir), record_queries=record_queries)
