"""The SMB connector against a real Samba file server; the file server itself is the oracle.

For every test user × every file, the user opens the file over SMB with their own credentials; ragwarden
(after a real sync into Qdrant Edge, through the index's ACL filter) must never show a file the server
refuses, and must show every file the server allows unless a matching deny entry explains the difference
("any deny wins" is documented as stricter than Windows).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ragwarden.acl.decision import decide
from ragwarden.connectors.smb import SmbConnector
from ragwarden.core.models import AccessScope, SourceDocument
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.testing.fakes.embedding import CountingEmbedder
from tests.fixtures.smb import (
    ADMINISTRATORS,
    AUTHENTICATED_USERS,
    EVERYONE,
    FULL,
    INHERIT,
    MODIFY,
    READ,
    RESTRICTED_SHARE,
    SHARE,
    USERS,
    WRITE_ONLY,
    SmbServer,
)

FILES = {
    "daten/hr/gehalt.txt": "Gehaltsbaender inherited from the hr folder",
    "daten/hr/praktikum.txt": "Praktikum: HR allowed, interns denied",
    "daten/privat/otto.txt": "Ottos Notizen: a single user allowed",
    "daten/dept/plan.txt": "Abteilungsplan: nested group grant",
    "daten/dept/sub/deep.txt": "Tief: inherited over two folder levels",
    "daten/dept/sub/geheim/notiz.txt": "Geheim: inheritance broken below dept",
    "daten/finanzen/dropbox.txt": "Abgabe: write-only grant for finance",
    "daten/finanzen/bericht.txt": "Bericht: finance may read",
    "daten/finanzen/budget.txt": "Budget: finance may modify",
    "daten/alle/news.txt": "News for Everyone",
    "daten/alle/handbuch.txt": "Handbuch for Authenticated Users",
}


def _build_tree(s: SmbServer) -> None:
    adm = s.admin_sid
    s.mkdirs(SHARE, "daten", *sorted({str(Path(p).parent) for p in FILES if p.count("/") == 2}), "widerruf")
    s.cacls(SHARE, "daten/hr", "--set", [(adm, "ALLOWED", INHERIT, FULL), (s.sid("SMB-HR"), "ALLOWED", INHERIT, READ)])
    s.cacls(SHARE, "daten/privat", "--set", [(adm, "ALLOWED", INHERIT, FULL)])
    s.cacls(
        SHARE, "daten/dept", "--set", [(adm, "ALLOWED", INHERIT, FULL), (s.sid("SMB-Dept"), "ALLOWED", INHERIT, READ)]
    )
    s.cacls(SHARE, "daten/finanzen", "--set", [(adm, "ALLOWED", INHERIT, FULL)])
    s.cacls(SHARE, "daten/alle", "--set", [(adm, "ALLOWED", INHERIT, FULL)])
    s.cacls(SHARE, "widerruf", "--set", [(adm, "ALLOWED", INHERIT, FULL), (s.sid("SMB-HR"), "ALLOWED", INHERIT, READ)])
    s.mkdirs(SHARE, "daten/dept/sub", "daten/dept/sub/geheim")  # after dept/ has its ACL: they inherit it
    # broken inheritance: the folder's own ACL replaces what it inherited from dept/
    s.cacls(
        SHARE,
        "daten/dept/sub/geheim",
        "--set",
        [(adm, "ALLOWED", INHERIT, FULL), (s.sid("SMB-HR"), "ALLOWED", INHERIT, READ)],
    )
    s.write_files(SHARE, FILES | {"widerruf/akte.txt": "Personalakte Widerruf"})
    s.cacls(
        SHARE,
        "daten/hr/praktikum.txt",
        "--set",
        [
            (adm, "ALLOWED", "0x0", FULL),
            (s.sid("SMB-HR"), "ALLOWED", "0x0", READ),
            (s.sid("SMB-Interns"), "DENIED", "0x0", READ),
        ],
    )
    s.cacls(SHARE, "daten/privat/otto.txt", "--add", [(s.sid("otto"), "ALLOWED", "0x0", READ)])
    s.cacls(SHARE, "daten/finanzen/dropbox.txt", "--add", [(s.sid("SMB-Finance"), "ALLOWED", "0x0", WRITE_ONLY)])
    s.cacls(SHARE, "daten/finanzen/bericht.txt", "--add", [(s.sid("SMB-Finance"), "ALLOWED", "0x0", READ)])
    s.cacls(SHARE, "daten/finanzen/budget.txt", "--add", [(s.sid("SMB-Finance"), "ALLOWED", "0x0", MODIFY)])
    s.cacls(SHARE, "daten/alle/news.txt", "--add", [(EVERYONE, "ALLOWED", "0x0", READ)])
    s.cacls(SHARE, "daten/alle/handbuch.txt", "--add", [(AUTHENTICATED_USERS, "ALLOWED", "0x0", READ)])
    s.cacls(RESTRICTED_SHARE, "", "--set", [(adm, "ALLOWED", INHERIT, FULL), (EVERYONE, "ALLOWED", INHERIT, READ)])
    s.write_files(RESTRICTED_SHARE, {"vorstand.txt": "Vorstandsvorlage: NTFS Everyone, share HR only"})


class World:
    def __init__(self, server: SmbServer, tmp: Path) -> None:
        self.server = server
        self.embedder = CountingEmbedder()
        self.index = QdrantEdgeIndex(tmp / "index")
        self.state = StateStore(tmp / "state.sqlite3")
        self.engine = SyncEngine(self.index, self.embedder, self.state, DocumentProcessor(Chunker(120, 10), 1_000_000))
        resolver = server.directory.resolver()
        self.scopes = {u: resolver.resolve(u) for u in USERS}

    def connector(self, share: str = SHARE, root: str = "daten", **options: object) -> SmbConnector:
        options.setdefault("share_allow", ["everyone"])  # the test share's own permissions admit Everyone
        return SmbConnector(
            self.server.dc.ip,
            share,
            root,
            username="Administrator",
            password=self.server.dc.admin_password,
            max_file_size=1_000_000,
            **options,  # type: ignore[arg-type]
        )

    def restricted(self) -> SmbConnector:
        return self.connector(RESTRICTED_SHARE, "", share_allow=[ADMINISTRATORS, self.server.sid("SMB-HR")])

    def visible(self, scope: AccessScope, doc: SourceDocument) -> bool:
        return bool(self.index.document_chunks(scope, doc.doc_id))


@pytest.fixture(scope="module")
def world(smb_server: SmbServer, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    _build_tree(smb_server)
    w = World(smb_server, tmp_path_factory.mktemp("smb-world"))
    yield w
    w.index.close()
    w.state.close()


def test_every_file_is_indexed_with_full_sids_and_the_write_only_grant_ignored(world: World) -> None:
    docs = {d.path: d for d in world.connector().scan() if isinstance(d, SourceDocument)}
    assert set(docs) == {p.removeprefix("daten/") for p in FILES}
    finance = f"sid:{world.server.sid('SMB-Finance')}"
    assert finance not in docs["finanzen/dropbox.txt"].acl.allow
    assert finance in docs["finanzen/budget.txt"].acl.allow
    assert f"sid:{world.server.sid('SMB-Interns')}" in docs["hr/praktikum.txt"].acl.deny
    assert "sid:S-1-1-0" in docs["alle/news.txt"].acl.allow
    assert all(t.startswith("sid:S-1-") for d in docs.values() for t in d.acl.allow)


def test_the_file_server_is_the_oracle_never_a_leak(world: World) -> None:
    """For every user × file: ragwarden (through the index filter) never allows what the server refuses,
    and allows everything the server allows unless a matching deny entry explains it."""
    cases = [(world.connector(), SHARE, "daten/"), (world.restricted(), RESTRICTED_SHARE, "")]
    rows, leaks, missed = [], [], []
    for connector, share, prefix in cases:
        report = world.engine.sync(connector)
        assert report.failed == []
        for doc in connector.scan():
            assert isinstance(doc, SourceDocument)
            cells = []
            for user, scope in world.scopes.items():
                server = world.server.can_read(user, share, prefix + doc.path)
                ours = world.visible(scope, doc)
                assert ours == decide(doc.acl, scope).allowed
                if ours and not server:
                    leaks.append((user, doc.path))
                if server and not ours and not (doc.acl.deny & scope.tokens):
                    missed.append((user, doc.path))
                cells.append(f"{'Y' if server else '-'}{'Y' if ours else '-'}")
            rows.append(f"{share + '/' + doc.path:45} " + " ".join(f"{c:>5}" for c in cells))
    print("\nserver/ragwarden  " + " ".join(f"{u:>5}" for u in world.scopes))
    print("\n".join(rows))
    assert leaks == [], f"ragwarden allowed what the file server refuses: {leaks}"
    assert missed == [], f"ragwarden refused what the file server allows: {missed}"


def test_revocation_on_the_share_hides_the_file_after_an_acl_only_sync(world: World) -> None:
    """smbcacls adds a deny; the incremental sync re-stamps without embedding; the file is gone for hanna."""
    connector = world.connector(root="widerruf")
    world.engine.sync(connector)
    doc = next(d for d in connector.scan() if isinstance(d, SourceDocument))
    hanna, ingo = world.scopes["hanna"], world.scopes["ingo"]
    assert world.visible(hanna, doc) and world.server.can_read("hanna", SHARE, "widerruf/akte.txt")
    calls = world.embedder.calls
    world.server.cacls(SHARE, "widerruf/akte.txt", "--add", [(world.server.sid("hanna"), "DENIED", "0x0", READ)])
    report = world.engine.sync(connector)
    assert (report.restamped, report.added, report.updated) == (1, 0, 0)
    assert world.embedder.calls == calls
    assert not world.server.can_read("hanna", SHARE, "widerruf/akte.txt")
    assert not world.visible(hanna, doc)
    assert world.visible(ingo, doc)


def test_content_change_move_and_delete_are_synced(world: World) -> None:
    s = world.server
    s.mkdirs(SHARE, "wechsel")
    s.cacls(SHARE, "wechsel", "--set", [(s.admin_sid, "ALLOWED", INHERIT, FULL), (EVERYONE, "ALLOWED", INHERIT, READ)])
    s.write_files(SHARE, {"wechsel/a.txt": "eins", "wechsel/b.txt": "zwei", "wechsel/c.txt": "drei"})
    connector = world.connector(root="wechsel")
    assert world.engine.sync(connector).added == 3
    assert world.engine.sync(connector).unchanged == 3
    s.write_files(SHARE, {"wechsel/a.txt": "eins, jetzt laenger geaendert"})
    s.smbclient(SHARE, ['rename "wechsel/b.txt" "wechsel/b2.txt"', 'del "wechsel/c.txt"'])
    report = world.engine.sync(connector)
    assert (report.updated, report.added, report.deleted, report.unchanged) == (1, 1, 2, 0)


def test_an_unreadable_folder_is_a_failed_item_and_the_scan_goes_on(world: World) -> None:
    """A service account that may not list a folder gets a failed item for it, the rest is still synced."""
    s = world.server
    s.mkdirs(SHARE, "gesperrt", "gesperrt/zu", "gesperrt/offen")
    s.cacls(SHARE, "gesperrt", "--set", [(s.admin_sid, "ALLOWED", INHERIT, FULL), (EVERYONE, "ALLOWED", INHERIT, READ)])
    s.write_files(SHARE, {"gesperrt/offen/x.txt": "offen", "gesperrt/zu/y.txt": "zu"})
    s.cacls(SHARE, "gesperrt/zu", "--set", [(s.admin_sid, "ALLOWED", INHERIT, FULL)])
    connector = SmbConnector(
        s.dc.ip,
        SHARE,
        "gesperrt",
        username="hanna",
        password="Us3r-Passw0rd!x",
        max_file_size=1_000_000,
        share_allow=["everyone"],
    )
    items = list(connector.scan())
    failed = [i for i in items if not isinstance(i, SourceDocument)]
    assert [d.path for d in items if isinstance(d, SourceDocument)] == ["offen/x.txt"]
    assert [f.kind for f in failed] == ["folder"] and failed[0].source_uri.endswith("gesperrt/zu")


def test_a_sync_within_notified_paths_touches_only_them_and_equals_a_full_sync(world: World) -> None:
    """What a change notification names is synced alone (a folder with everything below it); what is
    indexed there and gone is removed; the rest of the share is neither listed nor touched."""
    s = world.server
    s.mkdirs(SHARE, "teil", "teil/a", "teil/b", "teil/b/c")
    s.cacls(SHARE, "teil", "--set", [(s.admin_sid, "ALLOWED", INHERIT, FULL), (EVERYONE, "ALLOWED", INHERIT, READ)])
    s.write_files(SHARE, {"teil/a/1.txt": "eins", "teil/a/2.txt": "zwei", "teil/b/c/3.txt": "drei", "teil/4.txt": "v"})
    connector = world.connector(root="teil")
    assert world.engine.sync(connector).added == 4
    s.write_files(SHARE, {"teil/a/1.txt": "eins, jetzt laenger geaendert", "teil/b/c/5.txt": "fuenf"})
    s.smbclient(SHARE, ['del "teil/a/2.txt"', 'del "teil/4.txt"'])
    s.cacls(SHARE, "teil/b/c/3.txt", "--set", [(s.admin_sid, "ALLOWED", "0x0", FULL)])
    report = world.engine.sync(connector, within=["a/1.txt", "a/2.txt", "b", "b/c/3.txt", "gibts/nicht.txt"])
    # 4.txt was deleted but not named: a scoped pass leaves it for the full passes
    assert (report.updated, report.added, report.deleted, report.restamped) == (1, 1, 1, 1), report.summary
    assert not report.failed
    full = world.engine.sync(connector)
    assert (full.deleted, full.added, full.updated, full.restamped) == (1, 0, 0, 0), full.summary
    assert sorted(d.path for d in connector.scan() if isinstance(d, SourceDocument)) == [
        "a/1.txt",
        "b/c/3.txt",
        "b/c/5.txt",
    ]
    # a strange name means the whole share
    assert world.engine.sync(connector, within=["a/../b"]).unchanged == 3
