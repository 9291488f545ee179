"""What the bot answers, and to whom: 1:1 chats by the sender's Entra identity, group chats and channels
only from what every member may see (or not at all).

Real parts: the app over HTTP with the demo corpus (ACLs in Entra object ids), the real embedder and local
LLM, Graph from FakeMicrosoft, rosters and replies through the local channel's connector.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from microsoft_agents.activity import Activity

from ragwarden.api.teams.bot import _conversation_key
from ragwarden.api.teams.card import TEXTS
from ragwarden.api.teams.local_channel import Sent
from ragwarden.api.teams.world import TeamsWorld
from ragwarden.core.models import AccessScope, JointScope
from ragwarden.evaluation.demo_corpus import load_manifest
from tests.fixtures.botframework import card, card_text, cited_paths, everything_sent, may_see

HR_ONLY = "hr/onboarding_checklist_hr.txt"  # group:hr only


def _doc(path: str) -> dict[str, str]:
    return next(d for d in load_manifest() if d["path"] == path)


def _ask(world: TeamsWorld, text: str, sender: str, **kwargs: Any) -> tuple[dict[str, Any], Sent]:
    activity = world.activity(text, sender, **kwargs)
    response = world.post(activity)
    assert response.status_code == 202, response.text
    return activity, world.wait_answer(activity)


def _group(world: TeamsWorld, members: list[str], kind: str = "groupChat") -> str:
    conversation = f"19:{uuid.uuid4().hex}@thread.v2"
    world.channel.rosters[conversation] = [
        {"id": f"29:{world.tenant.users.get(m, m)}", "name": m, "aadObjectId": world.tenant.users.get(m, m)}
        for m in members
    ]
    return conversation


# --- 1:1 ---------------------------------------------------------------------------------------------------


def test_a_question_is_answered_with_a_card_citing_only_documents_the_user_may_see(teams: TeamsWorld) -> None:
    activity, sent = _ask(teams, "How much is the monthly home office allowance?", "clara")
    body = card(sent)
    assert TEXTS["not_found"]["en"] not in card_text(body)
    paths = cited_paths(teams, body)
    assert paths and all(may_see(teams, "clara", p) for p in paths), paths


def test_the_typing_indicator_is_the_first_thing_sent(teams: TeamsWorld) -> None:
    activity, sent = _ask(teams, "Wie viel kostet das Jobticket pro Monat?", "gesa")
    replies = teams.replies(activity)
    assert replies[0].body["type"] == "typing"
    assert replies[0].at < sent.at


def test_a_restricted_documents_canary_never_reaches_a_user_who_may_not_see_it(teams: TeamsWorld) -> None:
    for path, user in [("hr/gehaltsbaender_2026.xlsx", "clara"), ("finance/budget_2026.xlsx", "hans"),
                       ("rnd/erfindungsmeldung_telematik.docx", "clara"), (HR_ONLY, "eva")]:
        assert not may_see(teams, user, path)
        doc = _doc(path)
        activity, sent = _ask(teams, doc["query"], user)
        conversation = activity["conversation"]["id"]
        assert doc["canary"] not in everything_sent(teams, conversation), path
        assert not any(p == path for p in cited_paths(teams, card(sent))), path


def test_a_follow_up_in_the_same_conversation_continues_it(teams: TeamsWorld) -> None:
    conversation = f"a:{uuid.uuid4().hex}"
    _ask(teams, "How much is the monthly home office allowance?", "clara", conversation_id=conversation)
    activity, _ = _ask(teams, "And is it paid every month?", "clara", conversation_id=conversation)
    oid = teams.tenant.users["clara"]
    key = _conversation_key(_as(activity), AccessScope(oid, frozenset()))
    turns = teams.services.answerer().conversations.turns(oid, key)
    assert [t.question for t in turns][-2:] == ["How much is the monthly home office allowance?",
                                               "And is it paid every month?"]


def _as(activity: dict[str, Any]) -> Activity:
    return Activity.model_validate(activity)


def test_nothing_found_says_so_in_the_users_language(teams: TeamsWorld) -> None:
    _, sent = _ask(teams, "What is the quorvandel zentiphor coefficient?", "clara")
    assert TEXTS["not_found"]["en"] in card_text(card(sent))
    _, sent = _ask(teams, "Was ist der Quorvandel-Zentiphor-Beiwert und wer hat ihn eingeführt?", "clara")
    assert TEXTS["not_found"]["de"] in card_text(card(sent))


def test_someone_unknown_to_the_directory_gets_a_polite_refusal(teams: TeamsWorld) -> None:
    _, sent = _ask(teams, "How much is the monthly home office allowance?", str(uuid.uuid4()))
    assert sent.body["text"] == TEXTS["unknown_user"]["en"]


def test_bad_input_gets_a_short_helpful_reply(teams: TeamsWorld) -> None:
    _, sent = _ask(teams, "", "clara")
    assert sent.body["text"] == TEXTS["empty"]["en"]
    image = [{"contentType": "image/png", "contentUrl": "https://example.invalid/x.png"}]
    _, sent = _ask(teams, "", "clara", attachments=image)
    assert sent.body["text"] == TEXTS["attachments_only"]["en"]
    _, sent = _ask(teams, "vacation " * 400, "clara")
    assert sent.body["text"].startswith("Your question is too long")


# --- group chats and channels -------------------------------------------------------------------------


def test_in_a_group_an_hr_only_document_is_not_used_even_when_an_hr_member_asks(teams: TeamsWorld) -> None:
    doc = _doc(HR_ONLY)
    _, alone = _ask(teams, doc["query"], "bernd")  # bernd (HR) alone: the document is his to read
    assert HR_ONLY in cited_paths(teams, card(alone))
    conversation = _group(teams, ["bernd", "clara", "eva"])
    activity, sent = _ask(teams, doc["query"], "bernd", conversation_id=conversation,
                          conversation_type="groupChat", mention=True)
    paths = cited_paths(teams, card(sent))
    assert all(not p.startswith("hr/") for p in paths), paths
    assert all(may_see(teams, m, p) for m in ("bernd", "clara", "eva") for p in paths), paths
    assert doc["canary"] not in everything_sent(teams, conversation)


def test_a_channel_reads_the_team_roster_too(teams: TeamsWorld) -> None:
    """A standard channel is read by its whole team: a team member from finance narrows the answer."""
    team = _group(teams, ["alice", "bernd", "eva"])  # the team's roster
    channel = f"19:{secrets.token_hex(8)}@thread.tacv2"
    teams.channel.rosters[channel] = teams.channel.rosters[team][:2]  # the channel's own: alice, bernd
    doc = _doc(HR_ONLY)
    _, sent = _ask(teams, doc["query"], "alice", conversation_id=f"{channel};messageid=1700000000000",
                   conversation_type="channel", mention=True, team_id=team)
    assert all(not p.startswith("hr/") for p in cited_paths(teams, card(sent))), sent
    assert {channel, team} <= set(teams.channel.roster_reads)


def _refused_in_group(teams: TeamsWorld, conversation: str, sender: str = "bernd") -> None:
    activity, sent = _ask(teams, "How much is the monthly home office allowance?", sender,
                          conversation_id=conversation, conversation_type="groupChat", mention=True)
    assert sent.body.get("text") == TEXTS["ask_private"]["en"], sent
    assert not sent.body.get("attachments")


def test_a_group_with_a_member_the_directory_does_not_know_is_asked_to_use_a_1to1_chat(teams: TeamsWorld) -> None:
    _refused_in_group(teams, _group(teams, ["bernd", "clara", str(uuid.uuid4())]))


def test_a_group_over_the_member_cap_is_asked_to_use_a_1to1_chat(teams: TeamsWorld) -> None:
    cap = teams.services.settings.teams_max_group_members
    _refused_in_group(teams, _group(teams, ["bernd", *[str(uuid.uuid4()) for _ in range(cap)]]))


def test_a_group_whose_roster_cannot_be_read_is_asked_to_use_a_1to1_chat(teams: TeamsWorld) -> None:
    conversation = _group(teams, ["bernd", "clara"])
    teams.channel.roster_status[conversation] = 403
    _refused_in_group(teams, conversation)


def test_a_member_without_an_entra_identity_makes_the_group_refuse(teams: TeamsWorld) -> None:
    conversation = _group(teams, ["bernd", "clara"])
    teams.channel.rosters[conversation].append({"id": "28:some-other-bot", "name": "bot"})
    _refused_in_group(teams, conversation)


def test_the_joint_scope_is_keyed_by_the_conversation_and_its_members(teams: TeamsWorld) -> None:
    """A follow-up after the roster changed starts afresh: no history answered for other readers."""
    activity = _as(teams.activity("x", "bernd", conversation_id="19:abc@thread.v2", conversation_type="groupChat"))
    a = JointScope("teams-chat:19:abc@thread.v2", (AccessScope("x", frozenset({"t"})),))
    b = JointScope("teams-chat:19:abc@thread.v2", (AccessScope("x", frozenset({"t"})), AccessScope("y", frozenset())))
    assert _conversation_key(activity, a) != _conversation_key(activity, b)
    assert json.dumps(_conversation_key(activity, a)).isascii()
