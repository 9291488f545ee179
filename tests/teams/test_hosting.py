"""``POST /api/messages`` runs a bounded number of turns at once: beyond the cap an activity is refused at
once with 503 and ``Retry-After`` (the channel may redeliver it), and no work is started for it.

Real parts: the app over HTTP and the local channel's connector, which holds the first turn at its typing
indicator so that the cap is reached deterministically.
"""

from __future__ import annotations

import time

from ragwarden.api.teams.hosting import TeamsEndpoint
from ragwarden.testing.microsoft.teams_world import TeamsWorld


def _endpoint(world: TeamsWorld) -> TeamsEndpoint:
    endpoint = world.server.config.app.state.teams
    assert isinstance(endpoint, TeamsEndpoint)
    return endpoint


def _idle(endpoint: TeamsEndpoint, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while endpoint.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    assert endpoint.in_flight == 0


def test_turns_beyond_the_cap_get_503_with_retry_after_at_once_and_start_no_work(teams: TeamsWorld) -> None:
    endpoint = _endpoint(teams)
    saved, refused = endpoint.max_turns, endpoint.refused_busy
    _idle(endpoint)
    endpoint.max_turns = 1
    teams.channel.hold.clear()  # the first turn waits at its typing indicator
    try:
        first = teams.activity("How much is the monthly home office allowance?", "clara")
        assert teams.post(first).status_code == 202
        second = teams.activity("Wie viel kostet das Jobticket pro Monat?", "gesa")
        started = time.perf_counter()
        busy = teams.post(second)
        assert busy.status_code == 503, busy.text
        assert int(busy.headers["Retry-After"]) > 0
        assert time.perf_counter() - started < 2.0
        assert endpoint.in_flight == 1 and endpoint.refused_busy == refused + 1
        teams.channel.hold.set()
        teams.wait_answer(first)
        _idle(endpoint)
        assert not teams.replies(second)  # nothing was done for the refused activity
        third = teams.activity("Wie viel kostet das Jobticket pro Monat?", "gesa")
        assert teams.post(third).status_code == 202  # the slot is free again once the turn is done
        teams.wait_answer(third)
    finally:
        teams.channel.hold.set()
        endpoint.max_turns = saved
