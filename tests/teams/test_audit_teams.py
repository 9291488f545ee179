"""The Teams bot's answers are audited like every other interface's: one record per answer, written before
the card is sent, naming the asker's pseudonym, every document the answer could quote, and for each the
asker's granting token (the same one every time).

Real parts: the app over HTTP, the local channel stand-in, Entra via FakeMicrosoft (see tests/teams/test_bot.py).
"""

from __future__ import annotations

import json
from typing import Any

from ragwarden.testing.microsoft.teams_world import TeamsWorld
from tests.fixtures.botframework import card, cited_paths

QUESTION = "How much is the monthly home office allowance?"


def _teams_records(world: TeamsWorld) -> list[dict[str, Any]]:
    audit_dir = world.services.settings.audit_path
    rows = []
    for path in sorted(audit_dir.glob("audit-*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if '"interface":"teams"' in line]
    return rows


def _ask(world: TeamsWorld, sender: str) -> tuple[dict[str, Any], dict[str, Any]]:
    before = len(_teams_records(world))
    activity = world.activity(QUESTION, sender)
    assert world.post(activity).status_code == 202
    sent = world.wait_answer(activity)
    (record,) = _teams_records(world)[before:]  # the card is sent after its record: it is there already
    return record, card(sent)


def test_a_teams_answer_is_recorded_with_the_askers_granting_tokens(teams: TeamsWorld) -> None:
    record, body = _ask(teams, "clara")
    assert record["action"] == "answer" and record["answer"]["refused"] is False
    keys = teams.services.audit.keys  # type: ignore[union-attr]
    principal = keys.principals({record["caller"]})[record["caller"]]
    assert teams.tenant.users["clara"] in principal
    recorded = {}
    for doc in record["documents"]:
        state = teams.services.state.get(doc["doc_id"])
        assert state is not None
        (grant,) = doc["grants"]
        assert grant["reader"] == record["caller"] and grant["allow"] in state.acl.allow, (grant, state.acl)
        recorded[state.path] = grant["allow"]
    assert set(cited_paths(teams, body)) <= set(recorded), (cited_paths(teams, body), recorded)
    again, _ = _ask(teams, "clara")  # the same question: the same documents on the same grounds
    assert {d["doc_id"]: d["grants"] for d in again["documents"]} == {
        d["doc_id"]: d["grants"] for d in record["documents"]
    }
