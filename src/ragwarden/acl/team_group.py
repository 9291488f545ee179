"""A team's Microsoft 365 group as an access scope: what every member of the team holds, now and later.

Everyone who can ever read a standard or private channel is a member of the team's group: joining the
team *is* joining the group. So the tokens below are held by every future reader of the channel, and a
document is admitted for a channel only through them -- never through a roster read at answer time,
which a member added a second later escapes.

The tokens: ``entra:<groupId>``; the groups the team's group is itself nested in (their members include
every team member); and the on-premises SID of the group and of those groups where Entra knows one (group
writeback: the AD group's membership is mastered by the cloud group). Not Everyone / Authenticated Users,
nor any "all users" group: a guest added to the team holds none of them.
"""

from __future__ import annotations

from ragwarden.acl import tokens
from ragwarden.acl.graph import GraphClient, graph_object_tokens
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessScope
from ragwarden.core.ports import PrincipalResolver

_SELECT = "$select=id,displayName,onPremisesSecurityIdentifier"
GROUP_TYPE = "#microsoft.graph.group"


class TeamGroupResolver(PrincipalResolver):
    """``PrincipalResolver`` keyed by a group's object id (Graph ``/groups/{id}``, ``transitiveMemberOf``).
    An unknown or malformed id resolves to nothing (the bot then refuses to answer in the channel)."""

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph

    def resolve(self, user: str) -> AccessScope:
        principal = f"teams-group:{user}"
        try:
            own = tokens.entra(user)
        except AccessControlError:
            return AccessScope(principal=principal, tokens=frozenset())
        oid = tokens.name_of(own)
        group = self.graph.get(f"/groups/{oid}?{_SELECT}")
        if group is None or str(group.get("id", "")).lower() != oid.lower():
            return AccessScope(principal=principal, tokens=frozenset())
        found = {own, *graph_object_tokens(group)}
        for page in self.graph.pages(f"/groups/{oid}/transitiveMemberOf?{_SELECT}"):
            for item in page:
                if item.get("@odata.type", GROUP_TYPE) == GROUP_TYPE:  # not administrative units
                    found |= graph_object_tokens(item)
        return AccessScope(principal=principal, tokens=frozenset(found))

    def describe(self, token: str) -> str:
        return token
