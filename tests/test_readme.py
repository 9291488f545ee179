"""Every command the README shows is run here exactly as written: a fresh machine in a temporary folder
(its own HOME, data directory and files), the real CLI and real HTTP calls. A README that drifts from the
product is a bug, and so is a ```bash block that this module does not run (the first test fails).

How a block runs: its command lines go through bash as one script under ``set -euo pipefail``, from the
repository root (``.venv/bin/ragwarden`` resolves there), with the environment a newcomer's shell has (none
of ours: no ``RAGWARDEN_*``, no ``XDG_*``, HOME in the temporary machine) plus what the block's own earlier
lines ``export``; the venv is not on PATH. A command whose comment ends in ``(exit N)`` must exit with N, any
other must succeed. A block that continues another one ("from a shell on the same machine, same environment")
starts with that block's ``export`` lines. Commands that keep running (``serve``, ``worker``, ``./dev demo``)
run in the background, are checked over HTTP, then stopped with Ctrl+C. Before a block runs, the machine has
the example files the README shows above it, written where the README says (a YAML block's ``# /path``
first line, else the path in backticks just above it), and the documents an administrator already has.

Substitutions, the only changes made to what the README says (each must still apply, see
``test_the_substitutions_still_apply``):

=====================================  ========================================================
``/srv/…``, ``/etc/ragwarden/…``        the same paths under the temporary machine's folder
``--port 8000``, ``127.0.0.1:8000``      a free port (other servers may run on this machine)
``./dev demo``                           ``./dev demo --port <free port>`` (the README says it takes --port)
=====================================  ========================================================

Tested exceptions: commands that need infrastructure this machine does not have. Each runs here against a
local stand-in, with the further substitutions named (see ``EXCEPTIONS``).

``./dev test`` is what CI runs (``.ci/run``): it is the one command not run from here (it would run this
test again); ``test_the_first_screen`` asserts that CI runs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.readme_support import (
    REPO,
    Background,
    Block,
    Machine,
    Rule,
    exports,
    machine_rules,
    read_blocks,
    substitute,
)

SERVER_TIMEOUT = 240.0  # start-up and the first sync (the demo ingests 52 files)

# Which code block is which: each ```bash block must be claimed by exactly one of these.
CLAIMS: dict[str, Callable[[Block], bool]] = {
    "first-screen": lambda b: any(c.startswith("./dev demo") for c in b.commands),
    "demo-cli": lambda b: "ragwarden/demo" in b.text and "ragwarden search" in b.text,
    "service": lambda b: "export RAGWARDEN_SOURCES_FILE" in b.text and "ragwarden serve" in b.text,
    "hand-over": lambda b: "ragwarden sync " in b.text,
    "no-sources-file": lambda b: "ragwarden ingest" in b.text and "sharepoint" not in b.text,
    "sharepoint": lambda b: "ingest sharepoint://" in b.text,
    "sharepoint-server": lambda b: "ingest sharepoint+ntlm://" in b.text,
    "smb": lambda b: "_SMB_PASSWORD=" in b.text,
    "operators": lambda b: b.text.lstrip().startswith("curl "),
    "scale-out": lambda b: "ragwarden worker" in b.text,
    "benchmarks": lambda b: "ragwarden bench" in b.text,
    "licenses": lambda b: "ragwarden licenses" in b.text,
    "audit": lambda b: "ragwarden audit verify" in b.text,
    "privacy": lambda b: "ragwarden privacy erase" in b.text,
}

EXCEPTIONS = {
    "sharepoint": "contoso.sharepoint.com is a real tenant. Run against the SharePoint emulator of "
    "ragwarden.testing.microsoft.sharepoint and its Entra stand-in (FakeMicrosoft): the URL becomes the "
    "emulator's, the tenant and client ids theirs, the PEM their app certificate, and the emulator's Graph URL, "
    "authority and CA are exported beside the certificate (RAGWARDEN_SHAREPOINT_GRAPH_URL, _AUTHORITY_HOST, "
    "_CA_BUNDLE, which the README names for private authorities).",
    "sharepoint-server": "sharepoint.corp.example is a real SharePoint Server. Run against the emulator of "
    "ragwarden.testing.microsoft.sharepoint_server (NTLM with channel bindings over HTTPS) serving a site whose "
    "grants name the session's Samba AD users and groups: the host becomes the emulator's, 'CORP\\svc-ragwarden' "
    "and '…' its service account, corp-ca.pem holds both the emulator's and the DC's CA, and the AD settings "
    "become the Samba DC's (as for smb). The sources-file entry above the block is parsed as the server would.",
    "smb": "smb://fileserver is a real Windows file server. Run against the Samba file server of "
    "tests/fixtures/smb.py (ragwarden.testing.samba.share): smb://fileserver/abteilungen/ becomes "
    "smb://<its address>/abteilungen/readme-<pid>/ (an hr folder with an NTFS ACL and a file made there), "
    "the service account 'CORP\\svc-ragwarden' its Administrator, '…' its password.",
    "scale-out": "RAGWARDEN_INDEX_BACKEND=qdrant needs a Qdrant server, which no package here installs. "
    "Run on the embedded index instead (the export line dropped): `ragwarden worker` with the sources file "
    "until the source is fresh, stopped, then `serve --no-sync` on the same data directory serves what the "
    "worker recorded, and hands sync requests back to the worker.",
    "benchmarks": "Each benchmark runs for minutes to hours (bench retrieval builds a 1M-point index, bench "
    "identity and smb start Samba). Each line runs with --help appended: the benchmark exists and parses "
    "its options.",
}

# Documents the administrator already has (the README shows their permission sidecars, not the files).
DOCUMENTS = {
    "srv/documents/hr/gehaltsbaender_2026.txt": "Gehaltsbänder 2026: Stufe T3 für Teamleitungen, 68 000 bis 81 000 "
    "Euro im Jahr.\n",
    "srv/documents/allgemein/kantine.txt": "Der Speiseplan der Kantine: am Freitag Fisch, am Montag Eintopf.\n",
    "srv/documents/allgemein/.acl.json": '{"allow": ["everyone"]}\n',
    "srv/archive/protokoll_2019.txt": "Protokoll der Betriebsversammlung 2019: Umzug in das neue Gebäude.\n",
    "srv/archive/.acl.json": '{"allow": ["group:staff"]}\n',
}
HR_DOCUMENT = "hr/gehaltsbaender_2026.txt"


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    return read_blocks()


def claimed(blocks: list[Block], name: str) -> Block:
    found = [b for b in blocks if b.lang == "bash" and CLAIMS[name](b)]
    assert len(found) == 1, f"{len(found)} README bash blocks look like {name!r}"
    return found[0]


def new_machine(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs: Any) -> Machine:
    machine = Machine(tmp_path_factory.mktemp(name), **kwargs)
    for path, text in DOCUMENTS.items():
        target = machine.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return machine


def search(machine: Machine, user: str, query: str, secret: str | None) -> list[dict[str, Any]]:
    headers = {"X-Remote-User": user} | ({"X-Proxy-Secret": secret} if secret else {})
    response = httpx.post(f"{machine.url}/v1/search", json={"query": query, "limit": 20}, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def readme_secret(block: Block) -> str:
    match = re.search(r"RAGWARDEN_PROXY_SECRET='([^']+)'", block.text)
    assert match, f"{block.where()}: no proxy secret in the block"
    return match.group(1)


def ready(machine: Machine) -> bool:
    return httpx.get(f"{machine.url}/readyz", timeout=10).status_code == 200


# --- the map of blocks ------------------------------------------------------------------------------


def test_every_bash_block_is_run_by_this_test(blocks: list[Block]) -> None:
    bash = [b for b in blocks if b.lang == "bash"]
    assert bash, "the README shows no commands?"
    for block in bash:
        names = [name for name, claims in CLAIMS.items() if claims(block)]
        assert len(names) == 1, f"{block.where()}: claimed by {names or 'no test'}:\n{block.text}"
    for name in CLAIMS:
        claimed(blocks, name)
    other = {b.lang for b in blocks} - {"bash", "yaml", "json", ""}
    assert not other, f"code blocks in {other}: run them here, or write them as bash/yaml/json"


def test_every_example_file_says_where_it_goes(blocks: list[Block]) -> None:
    for block in blocks:
        if block.lang in ("yaml", "json"):
            assert block.target, f"{block.where()}: say which file this is (`# /path` or the path just above)"
            assert block.target.startswith(("/etc/ragwarden/", "/srv/")), block.target


def test_the_substitutions_still_apply(blocks: list[Block]) -> None:
    text = "".join(b.text for b in blocks if b.lang in ("bash", "yaml", "json"))
    rules = machine_rules(Path("/tmp/machine"), 1234)
    substitute(text, rules)
    assert all(rule.used for rule in rules), [rule.pattern for rule in rules if not rule.used]
    assert claimed(blocks, "first-screen").commands[0].startswith("./dev demo")


# --- the first screen and the demo -------------------------------------------------------------------


@dataclass
class DemoRun:
    machine: Machine
    alice: list[str]
    gesa: list[str]
    page: str
    ready: int


@pytest.fixture(scope="module", autouse=True)
def demo_server(
    request: pytest.FixtureRequest, blocks: list[Block], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Machine, Background] | None]:
    """``./dev demo`` starts with the module and ingests in the background while the other blocks run (the
    demo tests come last): the whole module stays within a few minutes."""
    if not any("demo" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    block = claimed(blocks, "first-screen")
    machine = new_machine(tmp_path_factory, "demo")
    machine.extra_rules.append(Rule(r"^\./dev demo(?=\s|$)", f"./dev demo --port {machine.port}"))
    (line,) = (c for c in block.commands if c.startswith("./dev demo"))
    server = machine.start([line], "demo")
    try:
        yield machine, server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def demo(demo_server: tuple[Machine, Background] | None) -> DemoRun:
    assert demo_server is not None
    machine, server = demo_server
    try:
        server.wait_until(
            lambda: httpx.get(machine.url + "/", timeout=10).status_code == 200,
            SERVER_TIMEOUT,
            "./dev demo serves the search page",
        )
        titles = {u: [r["title"] for r in search(machine, u, "Gehalt", None)] for u in ("alice", "gesa")}
        run = DemoRun(
            machine,
            titles["alice"],
            titles["gesa"],
            httpx.get(machine.url + "/", timeout=10).text,
            httpx.get(machine.url + "/readyz", timeout=10).status_code,
        )
    finally:
        status = server.stop()
    assert status in (0, 130), f"./dev demo ended with {status} on Ctrl+C:\n{server.log()[-5000:]}"
    return run


# --- your own documents: the service with a sources file --------------------------------------------


@pytest.fixture(scope="module")
def service(blocks: list[Block], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Machine, Background]]:
    block = claimed(blocks, "service")
    machine = new_machine(tmp_path_factory, "service")
    machine.write_files(blocks, upto=block)
    server = machine.start(block.commands, "serve")
    try:
        server.wait_until(lambda: ready(machine), SERVER_TIMEOUT, f"{block.where()}: serve becomes ready")
        yield machine, server
    finally:
        status = server.stop()
        assert status in (0, 130), f"serve ended with {status} on Ctrl+C:\n{server.log()[-5000:]}"


def test_the_service_block(blocks: list[Block], service: tuple[Machine, Background]) -> None:
    """``serve`` with the sources file indexes the folder; each user finds what the sidecars allow."""
    machine, _ = service
    secret = readme_secret(claimed(blocks, "service"))
    paths = {u: {r["path"] for r in search(machine, u, "Gehaltsbänder Kantine", secret)} for u in ("alice", "bob")}
    assert HR_DOCUMENT in paths["alice"] and "allgemein/kantine.txt" in paths["alice"], paths
    assert HR_DOCUMENT not in paths["bob"] and "allgemein/kantine.txt" in paths["bob"], paths


def test_the_hand_over_block(blocks: list[Block], service: tuple[Machine, Background]) -> None:
    """From a second shell, sources / sync / verify go through the running server."""
    machine, _ = service
    block = claimed(blocks, "hand-over")
    run = machine.run([*exports(claimed(blocks, "service")), *block.commands])
    assert run.status == 0, run.failure(block.where())
    assert re.search(r"^shared-drive\s+(idle|syncing)\s+2\s", run.of(".venv/bin/ragwarden sources"), re.MULTILINE), (
        run.output
    )
    assert json.loads(run.of("sources --json"))["sources"][0]["name"] == "shared-drive"
    synced = run.of("sync shared-drive --acl")
    assert "the running server syncs shared-drive" in synced and "shared-drive:" in synced, run.output
    assert "verified 2 documents in 1 sources: 0 drift" in run.of("verify"), run.output


def test_the_operators_block(blocks: list[Block], service: tuple[Machine, Background]) -> None:
    """readyz, metrics and the admin endpoints answer as the README says."""
    machine, _ = service
    block = claimed(blocks, "operators")
    run = machine.run([*exports(claimed(blocks, "service")), *block.commands])
    assert run.status == 0, run.failure(block.where())
    assert json.loads(run.of("/readyz")) == {"ready": True, "reasons": []}
    assert re.search(r'ragwarden_source_permissions_age_seconds\{source="shared-drive"\} \d', run.of("/metrics"))
    listing = json.loads(run.of("/v1/admin/sources -H"))
    assert [s["name"] for s in listing["sources"]] == ["shared-drive"], listing
    queued = json.loads(run.of("-X POST"))
    assert queued["source"] == "shared-drive" and queued["kind"] == "acl", queued


def test_the_audit_block(blocks: list[Block], service: tuple[Machine, Background]) -> None:
    """After alice's search, the log verifies, who-saw names her and the token that granted the HR file (she
    holds group:hr and user:alice: the smaller is named) on the CLI and, for an administrator, over REST, and
    what-saw lists it; never a word of the document."""
    machine, _ = service
    secret = readme_secret(claimed(blocks, "service"))
    assert HR_DOCUMENT in {r["path"] for r in search(machine, "alice", "Gehaltsbänder", secret)}
    block = claimed(blocks, "audit")
    run = machine.run([*exports(claimed(blocks, "service")), *block.commands])
    assert run.status == 0, run.failure(block.where())
    assert re.search(r"^audit log intact: \d+ records in 1 day files", run.of("audit verify"), re.MULTILINE), run.output
    who = run.of("audit who-saw")
    assert re.search(r"rest\s+search\s+alice\s+\S+ .*granted by group:hr", who), who
    assert "granted by group:hr" in run.of("audit what-saw alice"), run.output
    seen = json.loads(run.of("/v1/audit/who-saw"))["seen"]
    assert seen and {r["reader_principal"] for r in seen} >= {"alice"}, seen
    assert "68 000" not in run.output  # the HR file's text is never shown


def test_the_privacy_block(blocks: list[Block], service: tuple[Machine, Background]) -> None:
    """Runs after the audit block (alice's searches are in the log): the export holds her audit records from the
    running server, erase destroys her key and says so, the forgotten file leaves search at once, retention runs,
    and an administrator exports bob over REST; the log still verifies."""
    machine, _ = service
    secret = readme_secret(claimed(blocks, "service"))
    assert "allgemein/kantine.txt" in {r["path"] for r in search(machine, "bob", "Speiseplan Kantine", secret)}
    block = claimed(blocks, "privacy")
    run = machine.run([*exports(claimed(blocks, "service")), *block.commands])
    assert run.status == 0, run.failure(block.where())
    exported = json.loads(machine.path("/srv/alice-export.json").read_text())
    assert exported["from"] == "running server" and exported["audit"]["records"], exported
    assert "1 pseudonym keys destroyed" in run.of("privacy erase alice"), run.output
    assert "tombstone: " in run.of("privacy forget-document"), run.output
    assert "allgemein/kantine.txt" not in {r["path"] for r in search(machine, "bob", "Speiseplan Kantine", secret)}
    assert run.of("privacy retention").startswith("retention: "), run.output
    assert json.loads(run.of("/v1/admin/privacy"))["subject"] == "bob"
    verified = machine.run([*exports(claimed(blocks, "service")), ".venv/bin/ragwarden audit verify"])
    assert verified.status == 0 and "intact" in verified.output, verified.output


# --- without a sources file ---------------------------------------------------------------------------


def test_the_no_sources_file_block(blocks: list[Block], tmp_path_factory: pytest.TempPathFactory) -> None:
    """``ingest`` records the folder under its derived name (or --name); search, sources, remove work."""
    block = claimed(blocks, "no-sources-file")
    machine = new_machine(tmp_path_factory, "ingest")
    machine.write_files(blocks, upto=block)
    run = machine.run(block.commands)
    assert run.status == 0, run.failure(block.where())
    assert re.search(r"^documents-[0-9a-f]{8}: 2 added", run.of("ingest /srv/documents"), re.MULTILINE), run.output
    assert re.search(r"^archive: 1 added", run.of("--name archive"), re.MULTILINE), run.output
    listing = run.of(".venv/bin/ragwarden sources")
    assert re.search(r"^documents-[0-9a-f]{8}\s+idle\s+2\s", listing, re.MULTILINE), listing
    assert re.search(r"^archive\s+idle\s+1\s", listing, re.MULTILINE), listing
    assert HR_DOCUMENT in run.of("search --as alice"), run.output
    assert "removed source archive and its 1 documents" in run.of("sources remove archive"), run.output


# --- tested exceptions ----------------------------------------------------------------------------------


def test_the_sharepoint_block_against_the_emulator(
    blocks: list[Block], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``ingest sharepoint://…`` with the settings the block exports: every file of the site, then listed."""
    from ragwarden.testing.microsoft.entra import FakeMicrosoft
    from tests.sharepoint.emulator_site import Site

    assert "sharepoint" in EXCEPTIONS
    block = claimed(blocks, "sharepoint")
    ms = FakeMicrosoft(tmp_path_factory.mktemp("readme-sp-entra"))
    site = Site(ms, tmp_path_factory.mktemp("readme-sp"))
    try:
        machine = new_machine(tmp_path_factory, "sharepoint")
        em = site.em
        machine.extra_rules += [
            Rule(r"sharepoint://contoso\.sharepoint\.com/sites/hr", em.source_url),
            Rule(r"2f6c4f0e-8b9a-4c71-9d35-0a1b2c3d4e5f", ms.tenant_id),
            Rule(r"7d1e2a4b-3c5d-4e6f-8a9b-0c1d2e3f4a5b", ms.client_id),
            Rule(
                r"export RAGWARDEN_SHAREPOINT_CERTIFICATE=",
                f"export RAGWARDEN_SHAREPOINT_GRAPH_URL={em.graph_url} RAGWARDEN_SHAREPOINT_AUTHORITY_HOST="
                f"{ms.authority_host} RAGWARDEN_SHAREPOINT_CA_BUNDLE={em.ca_file} RAGWARDEN_SHAREPOINT_CERTIFICATE=",
            ),
        ]
        machine.write_files(blocks, upto=block)
        target = machine.path("/etc/ragwarden/sharepoint-app.pem")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ms.client_cert_file, target)
        run = machine.run(block.commands)
        assert run.status == 0, run.failure(block.where())
        files = len(site.files())
        assert re.search(rf"^hr-portal: {files} added", run.of("--name hr-portal"), re.MULTILINE), run.output
        listing = run.of(".venv/bin/ragwarden sources")
        assert re.search(rf"^hr-portal\s+idle\s+{files}\s", listing, re.MULTILINE), listing
    finally:
        site.close()
        ms.stop()


def test_the_sharepoint_server_block_against_the_emulator_and_samba_ad(
    blocks: list[Block], tmp_path_factory: pytest.TempPathFactory, samba_directory: Any
) -> None:
    """``ingest sharepoint+ntlm://…`` with the account the block exports: the site's files, each user's ACL
    resolved through the real AD; the sources-file entry above it parses."""
    from ragwarden.connectors import registry
    from ragwarden.core.sources import parse_sources
    from ragwarden.testing.microsoft.sharepoint_server import EVERYONE, SharePointServerEmulator, World
    from tests.fixtures.samba import NESTED, PASSWORD, SERVICE_USER

    assert "sharepoint-server" in EXCEPTIONS
    block = claimed(blocks, "sharepoint-server")
    d = samba_directory
    world = World(site_path="/sites/hr", domain_sid=d.domain_sid)
    team = world.add_group(NESTED[0], world.add_user("alice", sid=d.sid_of("alice")), sid=d.sid_of(NESTED[0]))
    library = world.add_library("Dokumente")
    for name, grantee in (("Urlaubsregeln.txt", EVERYONE), ("Teamplan.txt", team)):
        folder = world.add_folder(library, name.removesuffix(".txt"))
        world.break_inheritance(folder, copy=False)
        world.grant(folder, grantee, "Read")
        world.add_file(folder, name, f"{name}: Urlaub bis zu fünf Tage ins Folgejahr.".encode())
    em = SharePointServerEmulator(tmp_path_factory.mktemp("readme-sps"), world)
    try:
        machine = new_machine(tmp_path_factory, "sharepoint-server")
        dc = d.dc
        machine.extra_rules += [
            Rule(r"sharepoint\.corp\.example", em.host),
            Rule(r"'CORP\\svc-ragwarden'", f"'{em.service_login}'"),
            Rule(r"_SERVER_PASSWORD='…'", f"_SERVER_PASSWORD='{em.service_password}'"),
            Rule(r"AD_HOST=dc1\.corp\.example", f"AD_HOST={dc.ip} RAGWARDEN_AD_TLS_SERVER_NAME={dc.tls_server_name}"),
            Rule(r"'svc-ragwarden@corp\.example'", f"'{SERVICE_USER}@{dc.realm.lower()}'"),
            Rule(r"_BIND_PASSWORD='…'", f"_BIND_PASSWORD='{PASSWORD}'"),
        ]
        machine.write_files(blocks, upto=block)
        corp_ca = machine.path("/etc/ragwarden/corp-ca.pem")
        corp_ca.write_text(em.ca_file.read_text() + Path(dc.ca_file).read_text())
        environ = {"RAGWARDEN_INTRANET_USER": em.service_login, "RAGWARDEN_INTRANET_PASSWORD": "x" * 16}
        text = machine.path("/etc/ragwarden/sources.yaml").read_text(encoding="utf-8")
        (spec,) = parse_sources(text, origin="README", schemes=registry.scheme_options(), environ=environ)
        assert spec.scheme == "sharepoint+ntlm" and spec.options["ca_bundle"] == str(corp_ca)
        run = machine.run(block.commands)
        assert run.status == 0, run.failure(block.where())
        assert re.search(r"^intranet-hr: 2 added", run.of("--name intranet-hr"), re.MULTILINE), run.output
        listing = run.of(".venv/bin/ragwarden sources")
        assert re.search(r"^intranet-hr\s+idle\s+2\s", listing, re.MULTILINE), listing
        assert em.signed_in and set(em.signed_in) == {em.service_login}
    finally:
        em.stop()
    assert all(rule.used for rule in machine.extra_rules), [r.pattern for r in machine.extra_rules if not r.used]


@pytest.fixture(scope="module")
def file_server() -> Iterator[Any]:
    """The Samba file server of tests/fixtures/smb.py without its test users (the source reads as the
    service account): the running one when the session already has it."""
    from ragwarden.testing.samba import share as samba_share
    from ragwarden.testing.samba.provision import samba_installed

    if not samba_installed():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Samba is not installed; the README's share source must be run in CI")
        pytest.skip("Samba is not installed (scripts/install-system-deps.sh): the README's share source is not run")
    with samba_share.file_server() as server:
        yield server


def test_the_smb_block_against_the_samba_file_server(
    blocks: list[Block], tmp_path_factory: pytest.TempPathFactory, file_server: Any
) -> None:
    """The share source of the sources file, served with the credentials from the environment."""
    from ragwarden.testing.samba.share import ADMINISTRATORS, AUTHENTICATED_USERS, FULL, INHERIT, READ, SHARE

    assert "smb" in EXCEPTIONS
    block = claimed(blocks, "smb")
    folder = f"readme-{os.getpid()}"  # the server may be shared with other tests of this session
    file_server.mkdirs(SHARE, folder, f"{folder}/hr")
    file_server.cacls(
        SHARE,
        f"{folder}/hr",
        "--set",
        [(ADMINISTRATORS, "ALLOWED", INHERIT, FULL), (AUTHENTICATED_USERS, "ALLOWED", INHERIT, READ)],
    )
    file_server.write_files(SHARE, {f"{folder}/hr/urlaub.txt": "Urlaubstage: bis zu fünf Tage ins Folgejahr.\n"})
    machine = new_machine(tmp_path_factory, "smb")
    dc = file_server.dc
    machine.extra_rules += [
        Rule(r"smb://fileserver/abteilungen/", f"smb://{file_server.dc.ip}/{SHARE}/{folder}/"),
        Rule(r"'CORP\\svc-ragwarden'", "'Administrator'"),
        Rule(r"_SMB_PASSWORD='…'", f"_SMB_PASSWORD='{file_server.dc.admin_password}'"),
        # users resolve through the same Samba DC (its certificate names the DC, not the loopback address)
        Rule(r"AD_HOST=dc1\.corp\.example", f"AD_HOST={dc.ip} RAGWARDEN_AD_TLS_SERVER_NAME={dc.tls_server_name}"),
        Rule(r"'svc-ragwarden@corp\.example'", f"'Administrator@{dc.realm.lower()}'"),
        Rule(r"_BIND_PASSWORD='…'", f"_BIND_PASSWORD='{dc.admin_password}'"),
        Rule(r"S-1-5-21-1111111111-2222222222-3333333333-1105", f"{file_server.domain_sid}-513"),  # Domain Users
    ]
    machine.write_files(blocks, upto=block)
    shutil.copy(dc.ca_file, machine.path("/etc/ragwarden/corp-ca.pem"))  # the DC's CA, where the README has it
    server = machine.start([*exports(claimed(blocks, "service")), *block.commands], "serve-smb")
    try:
        server.wait_until(lambda: ready(machine), SERVER_TIMEOUT, f"{block.where()}: serve with the share is ready")
        run = machine.run([*exports(claimed(blocks, "service")), ".venv/bin/ragwarden sources --json"])
        assert run.status == 0, run.failure("sources --json")
        rows = {s["name"]: s for s in json.loads(run.of("sources --json"))["sources"]}
        assert rows["hr-share"]["documents"] == 1 and rows["hr-share"]["location"].startswith("smb://"), rows
        # The folder's sidecars name the local directory's group: tokens, which nobody resolved through AD holds.
        assert rows["shared-drive"]["documents"] == 0 and rows["shared-drive"]["failures"]["items"] == 2, rows
    finally:
        status = server.stop()
    assert all(rule.used for rule in machine.extra_rules), [r.pattern for r in machine.extra_rules if not r.used]
    assert status in (0, 130), server.log()[-5000:]


def test_the_scale_out_block_on_the_embedded_index(
    blocks: list[Block], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The worker keeps the sources fresh; ``serve --no-sync`` serves its records and leaves syncs to it."""
    assert "scale-out" in EXCEPTIONS
    block = claimed(blocks, "scale-out")
    service = claimed(blocks, "service")
    worker_line, serve_line = (c for c in block.commands if not c.startswith("export "))
    assert "ragwarden worker" in worker_line and "serve --no-sync" in serve_line
    assert [c for c in block.commands if c.startswith("export ")] == [
        next(c for c in block.commands if "RAGWARDEN_INDEX_BACKEND=qdrant" in c)
    ]
    machine = new_machine(tmp_path_factory, "scale")
    machine.write_files(blocks, upto=service)  # the sources file of the service block (a folder)
    env = exports(service)
    worker = machine.start([*env, worker_line], "worker")
    try:

        def fresh() -> bool:
            run = machine.run([*env, ".venv/bin/ragwarden sources --json"])
            rows = json.loads(run.of("sources --json"))["sources"] if run.status == 0 else []
            return bool(rows) and all(r["state"] == "idle" and r["documents"] == 2 for r in rows)

        worker.wait_until(fresh, SERVER_TIMEOUT, "the worker syncs the sources")
    finally:
        assert worker.stop() in (0, 130), worker.log()[-5000:]
    api = machine.start([*env, serve_line], "serve-no-sync")
    try:
        api.wait_until(lambda: ready(machine), SERVER_TIMEOUT, "serve --no-sync serves the worker's records")
        secret = readme_secret(service)
        assert HR_DOCUMENT in {r["path"] for r in search(machine, "alice", "Gehaltsbänder", secret)}
        refused = httpx.post(
            f"{machine.url}/v1/admin/sources/shared-drive/sync",
            headers={"X-Remote-User": "frank", "X-Proxy-Secret": secret},
            timeout=30,
        )
        assert refused.status_code == 409 and "worker" in refused.text, refused.text  # syncs are the worker's
    finally:
        assert api.stop() in (0, 130), api.log()[-5000:]


def test_the_benchmark_block(blocks: list[Block], tmp_path_factory: pytest.TempPathFactory) -> None:
    assert "benchmarks" in EXCEPTIONS
    block = claimed(blocks, "benchmarks")
    machine = new_machine(tmp_path_factory, "bench")
    helps = [re.sub(r"^(\S+ bench [\w-]+)", r"\1 --help", c) for c in block.commands]
    assert all("--help" in c for c in helps) and len(helps) >= 10, helps
    run = machine.run(helps)
    assert run.status == 0, run.failure(block.where())


def test_the_licenses_block(blocks: list[Block], tmp_path_factory: pytest.TempPathFactory) -> None:
    """The inventory names the shipped models with their licences, and the repository's allow-list passes."""
    block = claimed(blocks, "licenses")
    machine = new_machine(tmp_path_factory, "licenses")
    run = machine.run(block.commands)
    assert run.status == 0, run.failure(block.where())
    listing = run.of(".venv/bin/ragwarden licenses")
    assert re.search(r"^model\s+sentence-transformers/all-MiniLM-L6-v2\s+\S+\s+Apache-2.0$", listing, re.MULTILINE)
    assert re.search(r"^package\s+qdrant-edge-py\s+0\.9\.0\s+Apache-2.0$", listing, re.MULTILINE), listing
    report = json.loads(run.of("--check licenses.yaml"))
    assert report["outside_allow_list"] == []
    models = {c["name"]: c["licence"] for c in report["components"] if c["kind"] == "model"}
    assert models == {"sentence-transformers/all-MiniLM-L6-v2": "Apache-2.0",
                      "SmolLM2-135M-Instruct.Q4_1": "Apache-2.0"}  # fmt: skip


# --- the demo, started with the module (see demo_server) ----------------------------------------------


def test_the_first_screen(blocks: list[Block], demo: DemoRun) -> None:
    """``./dev demo`` serves the page and the API, with each user's own results; ``./dev test`` is CI."""
    block = claimed(blocks, "first-screen")
    assert [c.split("#")[0].split() for c in block.commands] == [["./dev", "demo"], ["./dev", "test"]]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^\./dev test\b", ci, re.MULTILINE), ".ci/run must run the README's ./dev test"
    assert "<html" in demo.page.lower()
    assert demo.ready == 200
    assert "Gehaltsbaender 2026" in demo.alice, demo.alice
    assert demo.gesa and "Gehaltsbaender 2026" not in demo.gesa, demo.gesa


def test_the_demo_cli_block(blocks: list[Block], demo: DemoRun) -> None:
    """With the demo stopped, the CLI searches the demo's index as anyone, and explains a denial."""
    block = claimed(blocks, "demo-cli")
    machine = demo.machine
    run = machine.run(block.commands)
    assert run.status == 0, run.failure(block.where())
    assert "Gehaltsbaender 2026" in run.of("--as alice"), run.output
    gesa = run.of("--as gesa")
    assert "Benefits" in gesa and "Gehaltsbaender 2026" not in gesa, run.output
    assert "DENIED: hr/gespraechsnotiz_becker_fehlzeiten.docx" in run.of("ragwarden explain"), run.output
    assert "withheld" not in run.output, run.output  # the demo's permissions are fresh
