"""The world of the identity API tests: documents whose ACL sidecars grant groups of the real Samba DC
(and of the local Entra stand-in), synced into a real Qdrant Edge index, served by apps whose
directory is built from settings exactly as ``ragwarden serve`` builds it.

The embedder is the ``CountingEmbedder`` fake: embeddings are not under test here, and the
retriever runs in ``sparse`` (BM25) mode so that a made-up keyword finds exactly its document.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ragwarden.acl import tokens
from ragwarden.acl.principals import entra_emittable
from ragwarden.api.app import create_app
from ragwarden.core.settings import Settings, load_settings
from ragwarden.retrieval.retriever import Retriever
from ragwarden.services import Services, build_directory, build_index, build_services
from ragwarden.testing.fakes.embedding import CountingEmbedder
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.keys import rsa_key
from tests.fixtures.relay import TcpRelay  # noqa: F401 (re-exported for the API tests)
from tests.fixtures.samba import NESTED, PASSWORD, SERVICE_USER, SambaDirectory

PROXY_SECRET = "identity-api-proxy-secret-42"
AUDIENCE = "api://ragwarden"
TTL = 2.0  # the principal cache TTL of these apps: the revocation-latency budget under test

# label -> (distinctive made-up keyword, folder/file)
KEYWORDS = {
    "nested": ("quorvandel", "staff/handbook.txt"),
    "revoked": ("brimstaffel", "project/plan.txt"),
    "public": ("lumenkorb", "all/notice.txt"),
    "denied": ("ferrozinth", "all/restricted.txt"),
    "cloud": ("zentiphor", "cloud/roadmap.txt"),
    "sitegroup": ("velmarquist", "sharepoint/minutes.txt"),
}
SP_SITE = "e1b7a6f8-3c1d-4e5a-9b2c-7d8e9f0a1b2c"  # a SharePoint site collection: its group 3 grants "sitegroup"


@dataclass
class IdentityWorld:
    services: Services  # trusted-header, Active Directory, principal cache TTL = TTL
    directory: SambaDirectory
    ms: FakeMicrosoft
    base: dict[str, Any]  # the settings every app here starts from
    sids: dict[str, str]  # AD group/user name -> SID
    rev: dict[str, str]  # the dedicated revocation user and groups: user, team, mid, top
    entra: dict[str, str] = field(default_factory=dict)  # member, outsider, cloud (object ids)

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(**{**self.base, **overrides})

    def services_with(self, **overrides: Any) -> Services:
        """The same index and state, a directory built from other settings (the wiring under test)."""
        settings = self.settings(**overrides)
        return dataclasses.replace(self.services, settings=settings, directory=build_directory(settings))

    def entra_settings(self) -> dict[str, Any]:
        ms = self.ms
        return {
            "entra_tenant_id": ms.tenant_id,
            "entra_audience": [AUDIENCE],
            "entra_client_id": ms.client_id,
            "entra_client_secret": ms.client_secret,
            "entra_authority_host": ms.authority_host,
            "entra_graph_url": ms.graph_url,
            "entra_ca_bundle": ms.ca_file,
        }


def ad_settings(d: SambaDirectory) -> dict[str, Any]:
    return {
        "ad_host": d.dc.ip,
        "ad_bind_user": f"{SERVICE_USER}@{d.dc.realm.lower()}",
        "ad_bind_password": PASSWORD,
        "ad_security": "ldaps",
        "ad_ca_cert": d.dc.ca_file,
        "ad_tls_server_name": d.dc.tls_server_name,
        "ad_connect_timeout": 3.0,
        "ad_timeout": 5.0,
    }


def _write_doc(root: Path, rel: str, keyword: str, allow: list[str], deny: list[str] | None = None) -> None:
    file = root / rel
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(
        f"{file.stem.title()}\n\nThis page describes the {keyword} procedure. "
        f"Everything about {keyword} is written down here for the people allowed to read it.\n",
        encoding="utf-8",
    )
    acl = {"allow": allow, "deny": deny or []}
    (root / f"{rel}.acl.json").write_text(json.dumps(acl), encoding="utf-8")


def _revocation_accounts(d: SambaDirectory) -> dict[str, str]:
    """A user of its own three levels deep (team in mid in top): the test may change its groups."""
    tag = secrets.token_hex(3)
    rev = {"user": f"rev{tag}", "team": f"RwRevTeam{tag}", "mid": f"RwRevMid{tag}", "top": f"RwRevTop{tag}"}
    d.add_group(rev["top"])
    d.add_group(rev["mid"])
    d.add_group(rev["team"])
    d.dc.samba_tool("group", "addmembers", rev["top"], rev["mid"])
    d.dc.samba_tool("group", "addmembers", rev["mid"], rev["team"])
    d.add_user(rev["user"], rev["team"])
    return rev


def _entra_accounts(ms: FakeMicrosoft, d: SambaDirectory) -> dict[str, str]:
    """A hybrid user (synced from AD) in a synced group that carries the DC's SID of the nested group,
    and in a cloud-only group; and a cloud user in no group."""
    member = ms.add_user(sid=f"{d.domain_sid}-{90000 + secrets.randbelow(9999)}", name="erika")
    ms.add_group(NESTED[2], sid=d.sid_of(NESTED[2]), members=(member,))
    cloud = ms.add_group("Cloud Roadmap Team", members=(member,))
    outsider = ms.add_user(name="otto")
    return {"member": member, "outsider": outsider, "cloud": cloud}


def build_world(d: SambaDirectory, ms: FakeMicrosoft, tmp: Path) -> IdentityWorld:
    rev = _revocation_accounts(d)
    entra = _entra_accounts(ms, d)
    sids = {name: d.sid_of(name) for name in (*NESTED, "RW-Unrelated", rev["top"], rev["team"])}
    corpus = tmp / "corpus"
    kw = {label: word for label, (word, _) in KEYWORDS.items()}
    path = {label: rel for label, (_, rel) in KEYWORDS.items()}
    _write_doc(corpus, path["nested"], kw["nested"], [tokens.sid(sids[NESTED[2]])])
    _write_doc(corpus, path["revoked"], kw["revoked"], [tokens.sid(sids[rev["top"]])])
    _write_doc(corpus, path["public"], kw["public"], [tokens.SID_AUTHENTICATED_USERS])
    # a deny for a group reached only through nesting (alice: L1 in L2) beats the allow
    _write_doc(corpus, path["denied"], kw["denied"], [tokens.SID_AUTHENTICATED_USERS], [tokens.sid(sids[NESTED[1]])])
    _write_doc(corpus, path["cloud"], kw["cloud"], [tokens.entra(entra["cloud"])])
    _write_doc(corpus, path["sitegroup"], kw["sitegroup"], [tokens.spgroup(SP_SITE, "3")])  # members: per test

    base: dict[str, Any] = {
        "data_dir": tmp / "data",
        "auth_mode": "trusted-header",
        "proxy_secret": PROXY_SECRET,
        "principal_cache_ttl": TTL,
        **ad_settings(d),
    }
    settings = load_settings(**base)
    index, embedder = build_index(settings), CountingEmbedder()
    services = build_services(
        settings, index=index, embedder=embedder, retriever=Retriever(index, embedder, mode="sparse")
    )
    # Callers come through AD and through Entra (the apps built below): ingest admits what either can emit.
    services.extras["principals"] = services.principals() | entra_emittable()
    report = services.sync(services.folder_connector(corpus, source="identity"))
    assert not report.failed and report.added == len(KEYWORDS), report.summary
    return IdentityWorld(services, d, ms, base, sids, rev, entra)


@contextmanager
def running_world(d: SambaDirectory, tmp_path_factory: Any, name: str) -> Iterator[IdentityWorld]:
    """A world with its own Entra stand-in, closed and stopped afterwards (a module fixture's body)."""
    ms = FakeMicrosoft(tmp_path_factory.mktemp(f"{name}-entra"))
    try:
        world = build_world(d, ms, tmp_path_factory.mktemp(name))
        yield world
        world.services.close()
    finally:
        ms.stop()


# --- talking to an app -----------------------------------------------------------------------------------


def client(services: Services) -> TestClient:
    return TestClient(create_app(services), raise_server_exceptions=False)


def proxy(user: str) -> dict[str, str]:
    return {"X-Remote-User": user, "X-Proxy-Secret": PROXY_SECRET}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def found_paths(c: TestClient, headers: dict[str, str], label: str) -> set[str]:
    """The paths a search for ``label``'s keyword returns (the request must succeed)."""
    r = c.post("/v1/search", json={"query": KEYWORDS[label][0], "limit": 10}, headers=headers)
    assert r.status_code == 200, r.text
    return {hit["path"] for hit in r.json()["results"]}


def finds(c: TestClient, headers: dict[str, str], label: str) -> bool:
    return KEYWORDS[label][1] in found_paths(c, headers, label)


def assert_refused(r: Any, status: int) -> None:
    """An error with a message and never a result."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"], body


def close_directory(services: Services) -> None:
    """Drop the LDAP connection of an app's own directory (the shared index stays open)."""
    close = getattr(services.directory, "close", None)
    if callable(close):
        close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def new_oid() -> str:
    return str(uuid.uuid4())


# --- bearer tokens that must never authenticate --------------------------------------------------------


def _alg_none(ms: FakeMicrosoft, oid: str) -> str:
    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    body = {"aud": AUDIENCE, "iss": ms.issuer, "tid": ms.tenant_id, "oid": oid, "exp": int(time.time()) + 600}
    return f"{b64({'alg': 'none', 'kid': ms.current_kid, 'typ': 'JWT'})}.{b64(body)}."


def _tampered(ms: FakeMicrosoft, outsider_token: str, oid: str) -> str:
    """An outsider's genuine token with the member's object id pasted in (signature unchanged)."""
    header, body, signature = outsider_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["oid"] = oid
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


BAD_TOKENS = [
    "expired", "wrong audience", "wrong issuer", "other key", "tampered", "alg none", "garbage", "id token", "no scope"
]


def bad_token(world: IdentityWorld, kind: str) -> str:
    ms, member = world.ms, world.entra["member"]
    now = int(time.time())
    return {
        "expired": lambda: ms.issue(oid=member, exp=now - 3600, iat=now - 7200, nbf=now - 7200),
        "wrong audience": lambda: ms.issue(oid=member, aud="api://someone-else"),
        "wrong issuer": lambda: ms.issue(oid=member, iss=f"https://login.example.net/{ms.tenant_id}/v2.0"),
        "other key": lambda: ms.issue(oid=member, key=rsa_key(), kid=ms.current_kid),
        "tampered": lambda: _tampered(ms, ms.issue(oid=world.entra["outsider"]), member),
        "alg none": lambda: _alg_none(ms, member),
        "garbage": lambda: "not.a.jwt",
        # signed by the tenant for the right audience, but proof of a sign-in, not an access token
        "id token": lambda: ms.issue(oid=member, nonce="n-0S6", scp=None, azp=None),
        "no scope": lambda: ms.issue(oid=member, scp=None),
    }[kind]()
