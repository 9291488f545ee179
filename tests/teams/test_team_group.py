"""A team's group as a scope: exactly what every member of the group holds, now and after joining later.

Real parts: the Graph client and msal against FakeMicrosoft's Graph (``/groups/{id}``,
``/groups/{id}/transitiveMemberOf``).
"""

from __future__ import annotations

import uuid

from ragwarden.acl import tokens
from ragwarden.acl.entra import build_entra_resolver
from ragwarden.core.ports import PrincipalResolver
from ragwarden.services.identity import team_groups
from ragwarden.testing.microsoft.entra import FakeMicrosoft

SID = "S-1-5-21-1004336348-1177238915-682003330-4101"


def _groups(ms: FakeMicrosoft) -> PrincipalResolver:
    people = build_entra_resolver(tenant_id=ms.tenant_id, client_id=ms.client_id, client_secret=ms.client_secret,
                                  authority_host=ms.authority_host, graph_url=ms.graph_url, ca_bundle=ms.ca_file)
    return team_groups(people, ttl=None)


def test_a_team_group_holds_its_own_token_its_written_back_sid_and_the_groups_it_is_nested_in(
    teams_entra: FakeMicrosoft,
) -> None:
    outer = teams_entra.add_group("Projekte", sid=SID)
    team = teams_entra.add_group("Team Nordlicht")
    teams_entra.group_member_of[team] = [outer]
    scope = _groups(teams_entra).resolve(team)
    assert scope.tokens == {tokens.entra(team), tokens.entra(outer), tokens.sid(SID)}


def test_nothing_everyone_holds_is_given_to_a_team_group(teams_entra: FakeMicrosoft) -> None:
    """A guest added to the team is in the group and nothing else: no Everyone, no Authenticated Users."""
    team = teams_entra.add_group("Team Gäste", sid=SID)
    scope = _groups(teams_entra).resolve(team)
    assert tokens.SID_EVERYONE not in scope.tokens and tokens.SID_AUTHENTICATED_USERS not in scope.tokens


def test_an_unknown_or_malformed_group_resolves_to_nothing(teams_entra: FakeMicrosoft) -> None:
    groups = _groups(teams_entra)
    assert groups.resolve(str(uuid.uuid4())).is_empty
    assert groups.resolve("../users/x").is_empty
