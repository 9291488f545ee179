"""The PrincipalResolver contract, run on every adapter and on the fake.

Real directories where the project has them: the session's Samba AD DC (``samba_directory``) for Active
Directory, FakeMicrosoft's Graph over HTTPS (msal, the real Graph client) for Entra and team groups, a YAML
file for the local directory. The principal cache is checked twice: as a resolver in front of the real
AD resolver, and for its caching promises against the scripted directory. The SharePoint site group
resolver runs around the scripted directory and around Entra (with the tenant token), over its SQLite store.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from ragwarden.acl import tokens
from ragwarden.acl.active_directory.resolver import ActiveDirectoryResolver
from ragwarden.acl.entra import EntraResolver
from ragwarden.acl.graph import GraphClient, tls_client
from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.acl.msal_app import MsalAppToken
from ragwarden.acl.principal_cache import CachingResolver
from ragwarden.acl.site_groups import SiteGroupResolver, SiteGroupStore
from ragwarden.acl.team_group import TeamGroupResolver
from ragwarden.core.errors import DirectoryUnavailableError
from ragwarden.core.ports import PrincipalResolver
from ragwarden.testing.contracts.resolver import (
    CachingResolverContract,
    Outage,
    PrincipalResolverContract,
    Unsupported,
    World,
)
from ragwarden.testing.fakes.directory import ALICE_SID, STAFF_SID, ScriptedDirectory
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from tests.fixtures.relay import TcpRelay
from tests.fixtures.samba import NESTED, SambaDirectory

Wrap = Callable[[PrincipalResolver], PrincipalResolver]


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


# --- the fake -------------------------------------------------------------------------------------------


class TestScriptedDirectory(PrincipalResolverContract):
    @pytest.fixture
    def resolver(self) -> ScriptedDirectory:
        directory = ScriptedDirectory()
        directory.groups |= {"bob": {"sid:S-1-5-21-1-2-3-1002"}, "dave": {STAFF_SID}}
        directory.disabled.add("dave")
        return directory

    @pytest.fixture
    def world(self, resolver: ScriptedDirectory) -> World:
        @contextmanager
        def down() -> Iterator[PrincipalResolver]:
            resolver.failure = DirectoryUnavailableError("scripted outage")
            try:
                yield resolver
            finally:
                resolver.failure = None

        return World(
            known_user="alice", expected_tokens=frozenset({ALICE_SID, STAFF_SID}), unknown_user="nobody",
            disabled_user="dave", outages={"scripted failure": down},
            foreign_tokens=frozenset({"sid:S-1-5-21-1-2-3-1002"}),
        )


# --- the local directory --------------------------------------------------------------------------------

DIRECTORY_YAML = """
users:
  alice: {groups: [hr-leads], display_name: Alice Adler}
  bob:   {groups: [rnd]}
  carol: {groups: [hr], disabled: true}
groups:
  hr-leads: {member_of: [hr], display_name: HR-Leitung}
  hr: {}
  rnd: {}
"""


class TestLocalDirectory(PrincipalResolverContract):
    @pytest.fixture
    def resolver(self, tmp_path: Path) -> LocalDirectory:
        path = tmp_path / "directory.yaml"
        path.write_text(DIRECTORY_YAML, encoding="utf-8")
        return LocalDirectory.from_file(path)

    @pytest.fixture
    def world(self) -> World:
        return World(
            known_user="alice",
            expected_tokens=frozenset({"user:alice", "group:hr-leads", "group:hr", "everyone"}),
            foreign_tokens=frozenset({"user:bob", "group:rnd"}),
            unknown_user="nobody", disabled_user="carol",
            outages=Unsupported(
                "the local directory is read into memory once; an unreadable file is a ConfigurationError "
                "at start-up, and after that there is nothing left to go down"
            ),
        )


# --- Active Directory: the session's Samba DC -----------------------------------------------------------


def ad_world(d: SambaDirectory, wrap: Wrap) -> World:
    @contextmanager
    def port_closed() -> Iterator[PrincipalResolver]:
        yield wrap(d.resolver(host="127.0.0.1", port=closed_port()))

    @contextmanager
    def connection_lost() -> Iterator[PrincipalResolver]:
        """The DC goes away mid-session: the resolver had a working connection a moment ago."""
        relay = TcpRelay((d.dc.ip, d.config().effective_port))
        try:
            resolver = wrap(d.resolver(host="127.0.0.1", port=relay.port))
            assert not resolver.resolve("bob").is_empty  # connected (and only bob could be cached)
            relay.close()
            yield resolver
        finally:
            relay.close()

    return World(
        known_user="alice",
        expected_tokens=frozenset(
            tokens.sid(d.sid_of(n)) for n in ("alice", NESTED[0], NESTED[2], "RW-Primary")
        ) | {tokens.SID_EVERYONE},
        foreign_tokens=frozenset(tokens.sid(d.sid_of(n)) for n in ("bob", "RW-Unrelated")),
        unknown_user="nobody-here", disabled_user="dave",
        outages={"closed port": port_closed, "connection lost": connection_lost},
    )


class TestActiveDirectory(PrincipalResolverContract):
    @pytest.fixture(scope="class")
    @classmethod
    def resolver(cls, samba_directory: SambaDirectory) -> Iterator[ActiveDirectoryResolver]:
        resolver = samba_directory.resolver()
        yield resolver
        resolver.close()

    @pytest.fixture
    def world(self, samba_directory: SambaDirectory) -> World:
        return ad_world(samba_directory, lambda r: r)


class TestCachingResolverOverActiveDirectory(PrincipalResolverContract):
    @pytest.fixture
    def resolver(self, samba_directory: SambaDirectory) -> Iterator[CachingResolver]:
        resolver = CachingResolver(samba_directory.resolver(), ttl=60)
        yield resolver
        resolver.close()

    @pytest.fixture
    def world(self, samba_directory: SambaDirectory) -> World:
        return ad_world(samba_directory, lambda r: CachingResolver(r, ttl=60))


class TestCachingResolverCaches(CachingResolverContract):
    @pytest.fixture
    def make_cache(self) -> Callable[..., PrincipalResolver]:
        return lambda inner, ttl, clock: CachingResolver(inner, ttl=ttl, clock=clock)


# --- Entra ID and team groups: FakeMicrosoft's Graph ----------------------------------------------------

SYNCED_SID = "S-1-5-21-1004336348-1177238915-682003330-1105"
GROUP_SID = "S-1-5-21-1004336348-1177238915-682003330-4101"


@pytest.fixture(scope="module")
def ms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeMicrosoft]:
    server = FakeMicrosoft(tmp_path_factory.mktemp("resolver-contract-entra"))
    yield server
    server.stop()


def graph(ms: FakeMicrosoft, graph_url: str | None = None) -> GraphClient:
    provider = MsalAppToken(
        ms.tenant_id, ms.client_id, f"{ms.base_url}/.default", client_secret=ms.client_secret,
        authority_host=ms.authority_host, verify=str(ms.ca_file),
    )
    http = tls_client(ms.ca_file, timeout=5)
    return GraphClient(provider, http, graph_url or ms.graph_url, max_retries=2, sleep=lambda _: None)


def graph_outages(ms: FakeMicrosoft, make: Callable[[GraphClient], PrincipalResolver]) -> Mapping[str, Outage]:
    @contextmanager
    def faulted(**faults: object) -> Iterator[PrincipalResolver]:
        saved = {k: getattr(ms.faults, k) for k in faults}
        for key, value in faults.items():
            setattr(ms.faults, key, value)
        try:
            yield make(graph(ms))
        finally:
            for key, value in saved.items():
                setattr(ms.faults, key, value)

    @contextmanager
    def port_closed() -> Iterator[PrincipalResolver]:
        yield make(graph(ms, f"https://127.0.0.1:{closed_port()}/v1.0"))

    return {
        "Graph answers 503": lambda: faulted(down=True),
        # the object is read, its group listing is not: a partial scope is the thing to refuse
        "group listing throttled": lambda: faulted(throttle=1000, throttle_path="transitiveMemberOf"),
        "Graph at a closed port": port_closed,
    }


class TestEntra(PrincipalResolverContract):
    @pytest.fixture
    def resolver(self, ms: FakeMicrosoft) -> EntraResolver:
        return EntraResolver(graph(ms))

    @pytest.fixture(scope="class")
    @classmethod
    def world(cls, ms: FakeMicrosoft) -> World:
        alice = ms.add_user(sid=SYNCED_SID, name="alice")
        synced = ms.add_group("HR", sid=GROUP_SID, members=(alice,))
        cloud = ms.add_group("Projekt Nordlicht", members=(alice,))
        other = ms.add_group("Vorstand", members=(ms.add_user(name="bob"),))
        disabled = ms.add_user(enabled=False, name="dave")
        ms.add_group("Dave's team", members=(disabled,))
        return World(
            known_user=alice,
            expected_tokens=frozenset({
                tokens.entra(alice), tokens.sid(SYNCED_SID), tokens.entra(synced), tokens.sid(GROUP_SID),
                tokens.entra(cloud), tokens.SID_EVERYONE,
            }),
            foreign_tokens=frozenset({tokens.entra(other)}),
            unknown_user=str(uuid.uuid4()), disabled_user=disabled,
            outages=graph_outages(ms, EntraResolver),
        )


class TestTeamGroup(PrincipalResolverContract):
    """A team's group as a scope: the "user" is the group's object id, the principal ``teams-group:<id>``."""

    @pytest.fixture
    def resolver(self, ms: FakeMicrosoft) -> TeamGroupResolver:
        return TeamGroupResolver(graph(ms))

    @pytest.fixture(scope="class")
    @classmethod
    def world(cls, ms: FakeMicrosoft) -> World:
        outer = ms.add_group("Projekte", sid=GROUP_SID)
        team = ms.add_group("Team Nordlicht")
        ms.group_member_of[team] = [outer]
        other = ms.add_group("Team Süd")
        ms.group_member_of[other] = [ms.add_group("Vertrieb")]
        return World(
            known_user=team,
            expected_tokens=frozenset({tokens.entra(team), tokens.entra(outer), tokens.sid(GROUP_SID)}),
            foreign_tokens=frozenset({tokens.entra(other), *(tokens.entra(g) for g in ms.group_member_of[other])}),
            unknown_user=str(uuid.uuid4()),
            disabled_user=Unsupported("an Entra group cannot be disabled, only deleted (an unknown id)"),
            outages=graph_outages(ms, TeamGroupResolver),
            principal_prefix="teams-group:",
        )


# --- SharePoint site groups: around the fake, and around Entra --------------------------------------------

SITE = "e1b7a6f8-3c1d-4e5a-9b2c-7d8e9f0a1b2c"
BOB_SID = "sid:S-1-5-21-1-2-3-1002"


@contextmanager
def corrupt_store(inner: PrincipalResolver, tmp_path: Path) -> Iterator[PrincipalResolver]:
    """The site group store's file is damaged: the directory answers, the expansion cannot."""
    path = tmp_path / f"corrupt-{uuid.uuid4().hex}.sqlite"
    path.write_bytes(b"not a SQLite database " * 200)
    broken = SiteGroupResolver(inner, SiteGroupStore(path))
    try:
        yield broken
    finally:
        broken.store.close()


class TestSiteGroupsAroundScriptedDirectory(PrincipalResolverContract):
    """The directory's scope plus the site groups naming one of its tokens, from a SQLite store on disk."""

    @pytest.fixture
    def resolver(self, tmp_path: Path) -> Iterator[SiteGroupResolver]:
        directory = ScriptedDirectory()
        directory.groups |= {"bob": {BOB_SID}, "dave": {STAFF_SID}}
        directory.disabled.add("dave")
        store = SiteGroupStore(tmp_path / "site_groups.sqlite")
        store.replace(SITE, {tokens.spgroup(SITE, "3"): frozenset({STAFF_SID}),
                             tokens.spgroup(SITE, "4"): frozenset({BOB_SID})})
        resolver = SiteGroupResolver(directory, store)
        yield resolver
        resolver.close()

    @pytest.fixture
    def world(self, resolver: SiteGroupResolver, tmp_path: Path) -> World:
        directory = resolver.inner
        assert isinstance(directory, ScriptedDirectory)

        @contextmanager
        def directory_down() -> Iterator[PrincipalResolver]:
            directory.failure = DirectoryUnavailableError("scripted outage")
            try:
                yield resolver
            finally:
                directory.failure = None

        return World(
            known_user="alice", unknown_user="nobody", disabled_user="dave",
            expected_tokens=frozenset({ALICE_SID, STAFF_SID, tokens.spgroup(SITE, "3")}),
            foreign_tokens=frozenset({BOB_SID, tokens.spgroup(SITE, "4")}),
            outages={"directory down": directory_down, "store corrupt": lambda: corrupt_store(directory, tmp_path)},
        )


class TestSiteGroupsAroundEntra(PrincipalResolverContract):
    """Entra over FakeMicrosoft's Graph with the tenant token: a site group granted to "Everyone except
    external users" (the tenant token) reaches an enabled member, never a disabled account."""

    @pytest.fixture(scope="class")
    @classmethod
    def store(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteGroupStore]:
        store = SiteGroupStore(tmp_path_factory.mktemp("site-groups") / "site_groups.sqlite")
        yield store
        store.close()

    @pytest.fixture
    def resolver(self, ms: FakeMicrosoft, store: SiteGroupStore) -> SiteGroupResolver:
        return SiteGroupResolver(EntraResolver(graph(ms), tenant_id=ms.tenant_id), store)

    @pytest.fixture(scope="class")
    @classmethod
    def world(cls, ms: FakeMicrosoft, store: SiteGroupStore, tmp_path_factory: pytest.TempPathFactory) -> World:
        alice = ms.add_user(sid=SYNCED_SID, name="alice")
        synced = ms.add_group("HR", sid=GROUP_SID, members=(alice,))
        bob = ms.add_user(name="bob")
        disabled = ms.add_user(enabled=False, name="dave")
        visitors, hr, bobs = (tokens.spgroup(SITE, n) for n in ("5", "6", "7"))
        store.replace(SITE, {
            visitors: frozenset({tokens.entra(ms.tenant_id)}),
            hr: frozenset({tokens.sid(GROUP_SID)}),
            bobs: frozenset({tokens.entra(bob), tokens.entra(disabled)}),
        })

        def make(client: GraphClient) -> PrincipalResolver:
            return SiteGroupResolver(EntraResolver(client, tenant_id=ms.tenant_id), store)

        tmp = tmp_path_factory.mktemp("site-groups-outages")
        outages = {**graph_outages(ms, make), "store corrupt": lambda: corrupt_store(EntraResolver(graph(ms)), tmp)}
        return World(
            known_user=alice, unknown_user=str(uuid.uuid4()), disabled_user=disabled,
            expected_tokens=frozenset({tokens.entra(alice), tokens.entra(synced), tokens.entra(ms.tenant_id),
                                       visitors, hr}),
            foreign_tokens=frozenset({bobs, tokens.entra(bob)}),
            outages=outages,
        )
