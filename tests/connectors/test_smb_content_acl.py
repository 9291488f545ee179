"""Content and ACL describe the same file (issue 11, finding 1, SMB): against the real Samba file server.

The scan is lazy and the engine reads each document before it asks for the next, so a file can be renamed,
replaced, rewritten or re-permissioned between the scan that read its ACL and the read that takes its bytes.
Whatever happens there, the bytes that come out must be those of the file whose ACL the document carries.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from ragwarden.connectors.smb import SmbConnector
from ragwarden.core.errors import ItemError
from ragwarden.core.models import AccessScope, FailedItem, SourceDocument
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.processing import DocumentProcessor
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.retrieval.edge_index import QdrantEdgeIndex
from ragwarden.testing.fakes.embedding import CountingEmbedder
from tests.fixtures.smb import EVERYONE, FULL, INHERIT, READ, SHARE, SmbServer

SECRET = "Gehaltsliste: nur fuer HR"
PUBLIC = "Kantinenplan fuer alle"
_runs = itertools.count()


class Case:
    """A fresh folder ``moment-N`` with ``public/`` (Everyone may read) and ``hr/`` (SMB-HR only)."""

    def __init__(self, server: SmbServer) -> None:
        self.s = server
        self.root = f"moment-{next(_runs)}"
        adm = server.admin_sid
        server.mkdirs(SHARE, self.root, f"{self.root}/public", f"{self.root}/hr")
        server.cacls(
            SHARE,
            f"{self.root}/public",
            "--set",
            [(adm, "ALLOWED", INHERIT, FULL), (EVERYONE, "ALLOWED", INHERIT, READ)],
        )
        hr = [(adm, "ALLOWED", INHERIT, FULL), (server.sid("SMB-HR"), "ALLOWED", INHERIT, READ)]
        server.cacls(SHARE, f"{self.root}/hr", "--set", hr)
        server.write_files(SHARE, {f"{self.root}/public/a.txt": PUBLIC, f"{self.root}/hr/gehalt.txt": SECRET})

    def connector(self) -> SmbConnector:
        return SmbConnector(
            self.s.dc.ip,
            SHARE,
            f"{self.root}/public",
            username="Administrator",
            password=self.s.dc.admin_password,
            max_file_size=1_000_000,
            share_allow=["everyone"],
        )

    def first_document(self, connector: SmbConnector) -> SourceDocument:
        """Drive the lazy scan by hand: the document of public/a.txt, its ACL read, its bytes not yet."""
        doc = next(iter(connector.scan()))
        assert isinstance(doc, SourceDocument) and doc.path == "a.txt"
        assert "sid:S-1-1-0" in doc.acl.allow
        return doc

    def swap_in_the_secret(self) -> None:
        """public/a.txt is moved away and hr/gehalt.txt (keeping its own HR-only ACL) takes its name."""
        r = self.root
        self.s.smbclient(
            SHARE,
            [f'rename "{r}/public/a.txt" "{r}/public/a-alt.txt"', f'rename "{r}/hr/gehalt.txt" "{r}/public/a.txt"'],
        )


@pytest.fixture
def case(smb_server: SmbServer) -> Case:
    return Case(smb_server)


def test_a_file_replaced_between_scan_and_read_never_yields_its_bytes_under_the_old_acl(case: Case) -> None:
    """The scan read a.txt's ACL (Everyone); then an HR-only file took its name. The read refuses the
    replacement (another file id) instead of returning HR's bytes for the Everyone ACL."""
    connector = case.connector()
    doc = case.first_document(connector)
    case.swap_in_the_secret()
    with pytest.raises(ItemError, match="replaced by another file") as caught:
        connector.read(doc)
    assert SECRET not in str(caught.value)


def test_content_rewritten_between_scan_and_read_fails_the_file_for_this_run(case: Case) -> None:
    connector = case.connector()
    doc = case.first_document(connector)
    case.s.write_files(SHARE, {f"{case.root}/public/a.txt": "Kantinenplan, neu und laenger als vorher"})
    with pytest.raises(ItemError, match="content changed"):
        connector.read(doc)


def test_an_acl_narrowed_between_scan_and_read_fails_the_file_for_this_run(case: Case) -> None:
    """The bytes come with the descriptor read through the same handle; if that is no longer the ACL the
    document carries, the bytes are not handed out under the old one."""
    connector = case.connector()
    doc = case.first_document(connector)
    case.s.cacls(SHARE, f"{case.root}/public/a.txt", "--add", [(case.s.sid("otto"), "DENIED", "0x0", READ)])
    with pytest.raises(ItemError, match="ACL changed"):
        connector.read(doc)


def test_an_unchanged_file_reads_as_before(case: Case) -> None:
    connector = case.connector()
    doc = case.first_document(connector)
    assert connector.read(doc) == PUBLIC.encode()


Items = Iterable[SourceDocument | FailedItem]


def _swap_before_first_yield(case: Case) -> Callable[[Items], Iterator[SourceDocument | FailedItem]]:
    def wrap(items: Items) -> Iterator[SourceDocument | FailedItem]:
        swapped = False
        for item in items:
            if isinstance(item, SourceDocument) and item.path == "a.txt" and not swapped:
                case.swap_in_the_secret()  # after the scan read the ACL, before the engine reads the bytes
                swapped = True
            yield item

    return wrap


class _SwapMidScan:
    """The connector, whose scan swaps the file after reading its ACL; the engine reads a document's bytes before
    it takes the next item of the scan (progress counts what is done, so it can no longer be the hook)."""

    def __init__(self, case: Case) -> None:
        self.inner, self.case = case.connector(), case

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def scan(self) -> Iterator[SourceDocument | FailedItem]:
        return iter(_swap_before_first_yield(self.case)(self.inner.scan()))


def test_a_sync_with_a_swap_mid_scan_reports_the_file_and_indexes_no_secret_bytes(case: Case, tmp_path: Path) -> None:
    """End to end through the engine and the real index: the swapped file is a failed item with its reason,
    the sync goes on, and nobody allowed by the old (Everyone) ACL can find HR's text."""
    index = QdrantEdgeIndex(tmp_path / "index")
    state = StateStore(tmp_path / "state.sqlite3")
    try:
        engine = SyncEngine(
            index,
            CountingEmbedder(),
            state,
            DocumentProcessor(Chunker(120, 10), 1_000_000),
        )
        report = engine.sync(_SwapMidScan(case))  # type: ignore[arg-type]
        assert [f.source_uri.rsplit("/", 1)[-1] for f in report.failed] == ["a.txt"]
        assert "replaced by another file" in report.failed[0].reason
        reader = AccessScope("anyone", frozenset({"sid:S-1-1-0", "sid:S-1-5-11"}))
        hits = index.document_chunks(reader, case.connector().doc_id("a.txt"))
        assert [h.text for h in hits if SECRET in h.text] == [] and hits == []
    finally:
        index.close()
        state.close()
