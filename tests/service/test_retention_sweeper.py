"""The serving process enforces retention on its own (``RAGWARDEN_RETENTION_SWEEP``): expired conversation
turns and sessions go, audit day files older than ``RAGWARDEN_RETENTION_AUDIT`` are deleted with their anchor,
and what is younger stays; ``audit verify`` passes afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from ragwarden.api.service import RetentionSweeper
from ragwarden.api.signin import SessionStore
from ragwarden.audit.keys import PseudonymKeys
from ragwarden.audit.log import ChainedLog
from ragwarden.audit.sink import AuditLog
from ragwarden.audit.verify import verify_log
from ragwarden.generation.conversations import InMemoryConversationStore, Turn
from ragwarden.testing.live_server import wait_for


def test_the_sweeper_enforces_retention_while_the_process_serves(tmp_path: Path) -> None:
    chain = ChainedLog(tmp_path / "audit", durable=False)
    today = datetime.now(UTC)
    for days_ago in (10, 9, 2, 1, 0):
        chain.append({"type": "access", "days_ago": days_ago}, today - timedelta(days=days_ago))
    now = [0.0]
    conversations = InMemoryConversationStore(clock=lambda: now[0], retention=30.0)
    conversations.append("hanna", "c", Turn("q", "q", "a", "de"))
    sessions = SessionStore(ttl=30.0, clock=lambda: now[0])
    sessions.create("6f1c2c8e-1a7b-4a53-9d52-0c1f0f6b9a10", "erika@example.org")
    settings = SimpleNamespace(retention_sweep=0.05, retention_audit=timedelta(days=5).total_seconds(), audit=True,
                               retention_audit_queries=None, audit_path=tmp_path / "audit")
    services = SimpleNamespace(settings=settings, audit=AuditLog(chain, PseudonymKeys(tmp_path / "keys")),
                               extras={"answerer": SimpleNamespace(conversations=conversations), "sessions": sessions})
    now[0] = 31.0
    sweeper = RetentionSweeper(services)  # type: ignore[arg-type]
    sweeper.start()
    try:
        wait_for(lambda: len(list((tmp_path / "audit").glob("audit-*.jsonl"))) == 3 and len(conversations) == 0, 10)
        wait_for(lambda: sessions.of("erika@example.org") == [] and not sessions._sessions, 10)
    finally:
        sweeper.stop()
    kept = sorted(p.name for p in (tmp_path / "audit").glob("audit-*.jsonl"))
    assert kept == [f"audit-{(today - timedelta(days=d)).date().isoformat()}.jsonl" for d in (2, 1, 0)]
    report = verify_log(tmp_path / "audit")
    assert report.intact, report.problems
