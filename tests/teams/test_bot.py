"""What the bot answers, and to whom: 1:1 chats by the sender's Entra identity; team channels only from
what the team's own group (every present and future reader) and the asker may both see; group and
meeting chats never get passages -- the asker gets the answer in their 1:1 chat.

Real parts: the app over HTTP with the demo corpus (ACLs in Entra object ids), the real embedder and local
LLM, Graph from FakeMicrosoft, team details, 1:1 conversations and replies through the local channel's
connector.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from ragwarden.acl import tokens
from ragwarden.api.teams.bot import _conversation_key
from ragwarden.api.teams.card import TEXTS
from ragwarden.core.models import AccessScope, JointScope
from ragwarden.demo.loader import load_manifest
from ragwarden.testing.microsoft.channel import Sent
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.teams_world import TeamsWorld
from tests.fixtures.botframework import card, card_text, cited_paths, everything_sent, may_see, may_see_with

HR_ONLY = "hr/onboarding_checklist_hr.txt"  # group:hr only


def _doc(path: str) -> dict[str, str]:
    return next(d for d in load_manifest() if d["path"] == path)


def _ask(world: TeamsWorld, text: str, sender: str, **kwargs: Any) -> tuple[dict[str, Any], Sent]:
    activity = world.activity(text, sender, **kwargs)
    response = world.post(activity)
    assert response.status_code == 202, response.text
    return activity, world.wait_answer(activity)


def _roster(world: TeamsWorld, conversation: str, members: list[str]) -> None:
    """Who is in a conversation *now* (the bot must not rely on it: people join later)."""
    world.channel.rosters[conversation] = [
        {"id": f"29:{world.tenant.users.get(m, m)}", "name": m, "aadObjectId": world.tenant.users.get(m, m)}
        for m in members
    ]


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
    key = _conversation_key(conversation, AccessScope(oid, frozenset()))
    turns = teams.services.answerer().conversations.turns(oid, key)
    assert [t.question for t in turns][-2:] == ["How much is the monthly home office allowance?",
                                               "And is it paid every month?"]


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


# --- group chats and meeting chats: no passage is ever posted into them ---------------------------------


def _group_chat_activity(world: TeamsWorld, question: str, sender: str, meeting: bool) -> dict[str, Any]:
    conversation = f"19:{uuid.uuid4().hex}@thread.v2"
    _roster(world, conversation, [sender, "clara", "eva"])
    activity = world.activity(question, sender, conversation_id=conversation, conversation_type="groupChat",
                              mention=True)
    if meeting:
        activity["channelData"]["meeting"] = {"id": f"MCM{secrets.token_hex(8)}"}
    return activity


def _only_notes(world: TeamsWorld, conversation: str, key: str) -> None:
    """Everything the group received: typing indicators and one note -- no card, title, citation or text
    from any document."""
    sent = [s.body for s in world.channel.sent if s.conversation_id.split(";")[0] == conversation]
    messages = [b for b in sent if b.get("type") == "message"]
    assert [m.get("text") for m in messages] == [TEXTS[key]["en"]], messages
    assert all(not b.get("attachments") for b in sent), sent
    assert all(b.get("type") in ("typing", "message") for b in sent), sent


def test_a_group_chat_gets_no_passage_text_and_the_asker_gets_the_answer_in_their_1to1_chat(
    teams: TeamsWorld,
) -> None:
    """A group chat's readers change (people added with history, late meeting joiners): nothing from a
    document is posted there. The asker's own answer, from their own scope, goes to their 1:1 chat."""
    doc = _doc(HR_ONLY)  # bernd (HR) may read it; clara and eva, in the chat, may not
    for meeting in (False, True):
        activity = _group_chat_activity(teams, doc["query"], "bernd", meeting)
        assert teams.post(activity).status_code == 202
        note = teams.wait_answer(activity)
        assert note.body.get("text") == TEXTS["answered_privately"]["en"]
        group = activity["conversation"]["id"]
        _only_notes(teams, group, "answered_privately")
        assert doc["canary"] not in everything_sent(teams, group)
        created = teams.channel.created[-1]
        assert created["members"] == [{"id": activity["from"]["id"]}] and created["isGroup"] is False
        private = [s for s in teams.channel.sent if s.conversation_id.startswith("a:") and s.at < note.at]
        answer = card(private[-1])
        assert HR_ONLY in cited_paths(teams, answer)
        assert all(may_see(teams, "bernd", p) for p in cited_paths(teams, answer))


def test_a_group_chat_asker_who_cannot_be_reached_privately_gets_only_the_ask_private_note(
    teams: TeamsWorld,
) -> None:
    activity = _group_chat_activity(teams, "How much is the monthly home office allowance?", "gesa", False)
    teams.channel.private_status[activity["from"]["id"]] = 403  # the bot is not installed for gesa
    try:
        assert teams.post(activity).status_code == 202
        assert teams.wait_answer(activity).body.get("text") == TEXTS["ask_private"]["en"]
    finally:
        del teams.channel.private_status[activity["from"]["id"]]
    _only_notes(teams, activity["conversation"]["id"], "ask_private")


# --- team channels: only what the team's own group may see --------------------------------------------


def _team(world: TeamsWorld, group: str | None, channel_type: str | None = "standard") -> tuple[str, str]:
    """A team whose Microsoft 365 group is the demo group ``group`` (None: the connector does not know the
    team), with one channel; (team id, channel conversation id)."""
    team = f"19:{secrets.token_hex(8)}@thread.tacv2"
    channel = f"19:{secrets.token_hex(8)}@thread.tacv2"
    if group is not None:
        listed = {"id": channel, "name": "Allgemein", **({"type": channel_type} if channel_type else {})}
        world.channel.teams[team] = {"id": team, "name": group, "aadGroupId": world.tenant.groups[group],
                                     "conversations": [listed]}
    return team, f"{channel};messageid={secrets.randbelow(10**12)}"


def _ask_channel(world: TeamsWorld, question: str, sender: str, team: str, channel: str) -> Sent:
    return _ask(world, question, sender, conversation_id=channel, conversation_type="channel", mention=True,
                team_id=team)[1]


def test_a_member_who_joins_the_team_after_the_answer_can_read_nothing_in_it_the_team_group_may_not(
    teams: TeamsWorld, teams_entra: FakeMicrosoft
) -> None:
    """The channel's future readers are the team group's future members. Everything the channel was told
    must be readable by a guest who joins the team afterwards, whatever the roster was at answer time."""
    team, channel = _team(teams, "hr")
    for roster in (team, channel.split(";")[0]):  # today's members both see the 'everyone' documents
        _roster(teams, roster, ["alice", "bernd"])
    everyone_doc = _doc("all-staff/fire_safety_and_evacuation.txt")
    sent = [_ask_channel(teams, q, "bernd", team, channel) for q in (everyone_doc["query"], _doc(HR_ONLY)["query"])]
    assert HR_ONLY in cited_paths(teams, card(sent[1]))  # what the team's group may read is answered
    guest = teams_entra.add_user(name="gast")  # joins the team later: a member of its group, nothing else
    hr = teams.tenant.groups["hr"]
    teams_entra.member_of[guest] = [hr, *teams.tenant.group_member_of[hr]]
    mine = {tokens.entra(guest), *(tokens.entra(g) for g in teams_entra.member_of[guest])}
    said = everything_sent(teams, channel.split(";")[0])
    assert everyone_doc["canary"] not in said
    for reply in sent:
        assert all(may_see_with(teams, mine, p) for p in cited_paths(teams, card(reply))), reply


def test_in_a_channel_the_asker_never_gets_more_than_they_may_see(teams: TeamsWorld) -> None:
    team, channel = _team(teams, "hr")
    doc = _doc(HR_ONLY)
    sent = _ask_channel(teams, doc["query"], "clara", team, channel)  # clara (R&D) asks in the HR team
    assert HR_ONLY not in cited_paths(teams, card(sent))
    assert doc["canary"] not in everything_sent(teams, channel.split(";")[0])


def test_a_channel_outside_the_teams_group_or_of_unknown_kind_is_asked_to_use_a_1to1_chat(
    teams: TeamsWorld,
) -> None:
    """Shared channels have members outside the team's group; an unknown team or channel type leaves the
    future readers unknown. Either way: the ask-private note, nothing else."""
    for group, kind in (("hr", "shared"), ("hr", None), (None, "standard")):
        team, channel = _team(teams, group, kind)
        sent = _ask_channel(teams, "How much is the monthly home office allowance?", "bernd", team, channel)
        assert sent.body.get("text") == TEXTS["ask_private"]["en"], (group, kind, sent)
        assert not sent.body.get("attachments")


def test_a_channel_conversation_is_keyed_by_the_team_group_and_the_asker() -> None:
    """A follow-up by another asker in the same channel thread starts afresh: no history answered for
    someone else's scope."""
    team = AccessScope("teams-group:g", frozenset({"entra:g"}))
    a = JointScope("teams-channel:19:abc@thread.tacv2", (team, AccessScope("x", frozenset({"t"}))))
    b = JointScope("teams-channel:19:abc@thread.tacv2", (team, AccessScope("y", frozenset({"t"}))))
    assert _conversation_key("19:abc@thread.tacv2", a) != _conversation_key("19:abc@thread.tacv2", b)
    assert json.dumps(_conversation_key("19:abc@thread.tacv2", a)).isascii()
