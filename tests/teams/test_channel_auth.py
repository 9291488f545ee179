"""Only the channel may talk to the bot: every activity's token is checked as the Bot Framework requires.

Real HTTP throughout: the app under uvicorn, tokens signed with the local channel's keys (or forged), the
keys published through the channel's OpenID metadata, and a recording connector that shows whether the
bot sent anything at all.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx
import pytest

from ragwarden.api.teams.channel_auth import BotFrameworkValidator, channel_keys
from ragwarden.core.errors import AuthenticationError
from ragwarden.testing.microsoft.channel import LocalChannel
from ragwarden.testing.microsoft.keys import rsa_key
from ragwarden.testing.microsoft.teams_world import TeamsWorld

QUIET = 1.5  # seconds without any reply that show a refused activity was not processed


def _forged(world: TeamsWorld, activity: dict[str, Any], kind: str) -> str | None:
    ch, now = world.channel, int(time.time())
    service_url = activity["serviceUrl"]
    return {
        "expired": lambda: ch.sign(service_url, exp=now - 600, nbf=now - 4000),  # beyond the 5 min skew
        "not yet valid": lambda: ch.sign(service_url, nbf=now + 900),
        "no expiry": lambda: ch.sign(service_url, exp=None),
        "wrong audience": lambda: ch.sign(service_url, aud="00000000-0000-0000-0000-000000000000"),
        "wrong issuer": lambda: ch.sign(service_url, iss="https://sts.windows.net/attacker/"),
        "forged signature": lambda: ch.sign(service_url, key=rsa_key(), kid=ch.current_kid),
        "unknown kid": lambda: ch.sign(service_url, key=rsa_key(), kid="never-published"),
        "serviceurl elsewhere": lambda: ch.sign("https://attacker.example/teams/"),
        "no serviceurl claim": lambda: ch.sign(service_url, serviceurl=None),
        "missing": lambda: None,
        "not a jwt": lambda: "not.a.jwt",
    }[kind]()


@pytest.mark.parametrize(
    "kind",
    ["expired", "not yet valid", "no expiry", "wrong audience", "wrong issuer", "forged signature",
     "unknown kid", "serviceurl elsewhere", "no serviceurl claim", "missing", "not a jwt"],
)
def test_an_activity_without_a_valid_channel_token_is_refused_and_nothing_is_sent(teams: TeamsWorld, kind: str) -> None:
    activity = teams.activity("How much is the monthly home office allowance?", "clara")
    response = teams.post(activity, token=_forged(teams, activity, kind))
    assert response.status_code == 401, response.text
    assert set(response.json()) == {"error"}
    time.sleep(QUIET)
    assert teams.replies(activity) == []


def test_a_token_for_the_channel_cannot_redirect_replies_to_another_service_url(teams: TeamsWorld) -> None:
    """The activity names a serviceUrl the token was not issued for (a captured token, replayed)."""
    activity = teams.activity("How much is the monthly home office allowance?", "clara",
                              serviceUrl="https://attacker.example/teams/")
    response = teams.post(activity, token=teams.channel.sign(teams.channel.service_url))
    assert response.status_code == 401, response.text
    time.sleep(QUIET)
    assert teams.channel.refused == [] and teams.replies(activity) == []


def test_a_key_endorsed_for_teams_does_not_authenticate_another_channel(teams: TeamsWorld) -> None:
    activity = teams.activity("How much is the monthly home office allowance?", "clara", channelId="webchat")
    response = teams.post(activity)
    assert response.status_code == 401, response.text
    time.sleep(QUIET)
    assert teams.replies(activity) == []


def test_a_valid_activity_is_acknowledged_and_answered(teams: TeamsWorld) -> None:
    activity = teams.activity("How much is the monthly home office allowance?", "clara")
    response = teams.post(activity)
    assert response.status_code == 202, response.text
    teams.wait_answer(activity)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b""])
def test_a_body_that_is_not_an_activity_is_refused(teams: TeamsWorld, body: bytes) -> None:
    response = teams.http.post(f"{teams.base_url}/api/messages", content=body,
                               headers={"Authorization": f"Bearer {teams.channel.sign()}"})
    assert response.status_code == 401, response.text


# --- the key cache, against the channel's real metadata endpoint ------------------------------------------


def _validator(channel: LocalChannel, clock: Any) -> BotFrameworkValidator:
    http = httpx.Client(verify=ssl.create_default_context(cafile=str(channel.ca_file)))
    keys = channel_keys(channel.metadata_url, http, min_refresh_interval=30.0, clock=clock)
    return BotFrameworkValidator(channel.app_id, keys, "https://api.botframework.com")


def test_a_rotated_key_is_fetched_again_but_not_more_than_every_30_seconds(tmp_path: Any) -> None:
    channel = LocalChannel(tmp_path)
    now = [1000.0]
    try:
        validator = _validator(channel, lambda: now[0])
        activity = {"channelId": "msteams", "serviceUrl": channel.service_url}
        validator.validate(f"Bearer {channel.sign()}", activity)
        new_kid = channel.rotate_key()
        now[0] += 5
        with pytest.raises(AuthenticationError):  # too soon to ask the channel again
            validator.validate(f"Bearer {channel.sign(kid=new_kid)}", activity)
        now[0] += 30
        claims = validator.validate(f"Bearer {channel.sign(kid=new_kid)}", activity)
        assert claims["aud"] == channel.app_id
        assert channel.counts["keys"] == 2
    finally:
        channel.stop()


def test_a_key_without_endorsements_in_the_metadata_is_accepted_for_any_channel(tmp_path: Any) -> None:
    channel = LocalChannel(tmp_path, endorsements=None)
    try:
        validator = _validator(channel, time.monotonic)
        validator.validate(f"Bearer {channel.sign()}", {"channelId": "msteams", "serviceUrl": channel.service_url})
    finally:
        channel.stop()
