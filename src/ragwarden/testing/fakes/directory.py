"""A directory double: a :class:`~ragwarden.core.ports.PrincipalResolver` whose answers and outages the test
controls, and which counts what it was asked (for the principal cache's tests)."""

from __future__ import annotations

from ragwarden.core.models import AccessScope

ALICE_SID = "sid:S-1-5-21-1-2-3-1001"
STAFF_SID = "sid:S-1-5-21-1-2-3-2001"


class ScriptedDirectory:
    """Users and their tokens in a dictionary; ``disabled`` users and unknown names resolve to nothing,
    and while ``failure`` is set every ``resolve`` raises it (the directory is down)."""

    def __init__(self) -> None:
        self.groups: dict[str, set[str]] = {"alice": {ALICE_SID, STAFF_SID}}
        self.disabled: set[str] = set()
        self.names: dict[str, str] = {ALICE_SID: "CORP\\alice", STAFF_SID: "CORP\\staff"}
        self.calls = 0
        self.asked: list[str] = []
        self.failure: Exception | None = None

    def resolve(self, user: str) -> AccessScope:
        self.calls += 1
        self.asked.append(user)
        if self.failure is not None:
            raise self.failure
        granted = set() if user in self.disabled else self.groups.get(user, set())
        return AccessScope(principal=user, tokens=frozenset(granted))

    def describe(self, token: str) -> str:
        return self.names.get(token, f"name of {token}")
