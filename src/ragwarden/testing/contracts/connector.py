"""The contract of :class:`ragwarden.core.ports.Connector`, run against every adapter and fake.

A test module subclasses :class:`ConnectorContract` once per connector and provides a ``world`` fixture: a
:class:`ConnectorWorld`, i.e. a fresh, empty place the connector reads from (a folder, a share, a dict) that
the tests fill and change. Paths are root-relative with ``/`` separators, and a document's
:attr:`~ragwarden.core.models.SourceDocument.path` is the path the world created it at, after the world's
optional ``path_prefix`` (what the source puts in front of every path, e.g. a SharePoint library's title)::

    class TestMyConnector(ConnectorContract):
        @pytest.fixture
        def world(self, tmp_path: Path) -> ConnectorWorld:
            return MyWorld(tmp_path)
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Protocol

import pytest

from ragwarden.core.errors import ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument
from ragwarden.core.ports import Connector

TEXT = "Gehaltsbänder 2024\n".encode()
BINARY = b"\x00\xff\xfe binary \x80\x81 bytes"


class ConnectorWorld(Protocol):
    """A source a test can change, and the connector that reads it."""

    @property
    def principals(self) -> Sequence[str]:
        """At least three distinct tokens this source can grant or deny access to (``user:…``, ``sid:…``)."""

    def create(self, path: str, content: bytes, acl: AccessControl) -> None:
        """A new file at ``path`` (parent folders made as needed) that grants exactly ``acl``."""

    def rewrite(self, path: str, content: bytes) -> None:
        """Replace an existing file's content in place; its ACL stays as it is."""

    def set_acl(self, path: str, acl: AccessControl) -> None:
        """Change an existing file's ACL; its content stays untouched."""

    def delete(self, path: str) -> None: ...

    def create_unindexable(self, path: str) -> None:
        """A file whose ACL cannot be read or mapped: the connector must report it as a failed item in
        both :meth:`~Connector.scan` and :meth:`~Connector.scan_acls`, and go on."""

    def reported_acl(self, acl: AccessControl) -> AccessControl:
        """The ACL the connector reports for a file created with ``acl``: ``acl`` itself, plus what the
        source always adds (e.g. the entry that lets the connector's own account read the file)."""

    def connector(self) -> Connector:
        """A new connector instance over this world."""

    def content_unreadable(self) -> contextlib.AbstractContextManager[None]:
        """While entered, no file's content can be read by the connector (a read fails), while its
        listing, metadata and ACL still can. It must really block reads: the contract checks that."""


def documents(connector: Connector, world: ConnectorWorld | None = None) -> dict[str, SourceDocument]:
    """The scan's documents by path (without the world's ``path_prefix``); a failed item here fails the test."""
    items = list(connector.scan())
    failed = [i for i in items if isinstance(i, FailedItem)]
    assert not failed, f"unexpected failed items: {failed}"
    docs = {_in_world(d.path, world): d for d in items if isinstance(d, SourceDocument)}
    assert len(docs) == len(items), f"two documents share a path, or an item is neither: {items}"
    return docs


def _in_world(path: str, world: ConnectorWorld | None) -> str:
    """``path`` as the world created it: a source that puts a prefix in front of every path (a SharePoint
    library's title) names it in ``path_prefix``, and it must be there."""
    prefix = getattr(world, "path_prefix", "")
    assert path.startswith(prefix), f"{path!r} lacks the source's prefix {prefix!r}"
    return path[len(prefix) :]


def acl_items(connector: Connector) -> tuple[dict[str, tuple[AccessControl, str | None]], list[FailedItem]]:
    """What the permission-only pass yields: ``doc_id -> (acl, version or None)``, and its failures."""
    found: dict[str, tuple[AccessControl, str | None]] = {}
    failed: list[FailedItem] = []
    for item in connector.scan_acls():
        if isinstance(item, FailedItem):
            failed.append(item)
            continue
        assert isinstance(item, tuple) and len(item) in (2, 3), f"not an AclItem: {item!r}"
        assert item[0] not in found, f"doc id {item[0]} yielded twice"
        found[item[0]] = (item[1], item[2] if len(item) == 3 else None)
    return found, failed


def _agrees(docs: dict[str, SourceDocument], acls: dict[str, tuple[AccessControl, str | None]]) -> None:
    assert set(acls) == {d.doc_id for d in docs.values()}
    for doc in docs.values():
        acl, version = acls[doc.doc_id]
        assert acl == doc.acl, doc.path
        assert version is None or version == doc.version, f"{doc.path}: scan_acls version is not scan's"


class ConnectorContract:
    """What every connector does. Subclasses provide the ``world`` fixture (a :class:`ConnectorWorld`)."""

    @pytest.fixture
    def world(self) -> ConnectorWorld:
        raise NotImplementedError("a ConnectorContract subclass provides the `world` fixture")

    @staticmethod
    def _acls(world: ConnectorWorld) -> tuple[AccessControl, AccessControl]:
        a, b, c = world.principals[:3]
        return AccessControl(frozenset({a})), AccessControl(frozenset({b, c}), deny=frozenset({a}))

    def test_scan_yields_one_document_per_file_with_the_acl_it_grants(self, world: ConnectorWorld) -> None:
        one, two = self._acls(world)
        world.create("a.txt", TEXT, one)
        world.create("sub/b.bin", BINARY, two)
        docs = documents(world.connector(), world)
        assert set(docs) == {"a.txt", "sub/b.bin"}
        assert docs["a.txt"].acl == world.reported_acl(one)
        assert docs["sub/b.bin"].acl == world.reported_acl(two)
        assert all(d.content_hash and d.source_uri for d in docs.values())

    def test_doc_ids_are_stable_across_scans_and_connectors_and_differ_per_path(self, world: ConnectorWorld) -> None:
        one, _ = self._acls(world)
        for path in ("a.txt", "sub/a.txt", "sub/deeper/a.txt"):
            world.create(path, TEXT, one)
        connector = world.connector()
        ids = {p: d.doc_id for p, d in documents(connector, world).items()}
        assert len(set(ids.values())) == 3, "the same id for different paths"
        assert {p: d.doc_id for p, d in documents(connector, world).items()} == ids
        assert {p: d.doc_id for p, d in documents(world.connector(), world).items()} == ids

    def test_read_returns_the_files_bytes(self, world: ConnectorWorld) -> None:
        one, two = self._acls(world)
        world.create("a.txt", TEXT, one)
        world.create("sub/b.bin", BINARY, two)
        connector = world.connector()
        docs = documents(connector, world)
        assert connector.read(docs["a.txt"]) == TEXT
        assert connector.read(docs["sub/b.bin"]) == BINARY

    def test_a_deleted_file_is_absent_from_the_next_scan(self, world: ConnectorWorld) -> None:
        one, _ = self._acls(world)
        world.create("a.txt", TEXT, one)
        world.create("b.txt", TEXT, one)
        connector = world.connector()
        gone = documents(connector, world)["b.txt"].doc_id
        world.delete("b.txt")
        assert set(documents(connector, world)) == {"a.txt"}
        assert gone not in acl_items(connector)[0]

    def test_a_content_change_moves_the_content_hash_and_keeps_the_acl(self, world: ConnectorWorld) -> None:
        one, _ = self._acls(world)
        world.create("a.txt", b"version one", one)
        connector = world.connector()
        before = documents(connector, world)["a.txt"]
        world.rewrite("a.txt", b"version two")  # the same size: a size alone must not decide
        after = documents(connector, world)["a.txt"]
        assert after.doc_id == before.doc_id
        assert after.content_hash != before.content_hash
        if before.version or after.version:
            assert after.version != before.version
        assert after.acl == before.acl
        assert connector.read(after) == b"version two"

    def test_an_acl_change_shows_in_both_passes_without_moving_the_content_hash(self, world: ConnectorWorld) -> None:
        one, two = self._acls(world)
        world.create("a.txt", TEXT, one)
        connector = world.connector()
        before = documents(connector, world)["a.txt"]
        world.set_acl("a.txt", two)
        after = documents(connector, world)["a.txt"]
        assert after.acl == world.reported_acl(two) != before.acl
        assert after.content_hash == before.content_hash
        assert acl_items(world.connector())[0][after.doc_id][0] == world.reported_acl(two)

    def test_scan_acls_yields_the_same_ids_and_acls_as_scan(self, world: ConnectorWorld) -> None:
        one, two = self._acls(world)
        world.create("a.txt", TEXT, one)
        world.create("sub/b.bin", BINARY, two)
        world.create("sub/c.txt", TEXT, two)
        connector = world.connector()
        acls, failed = acl_items(connector)
        assert not failed
        _agrees(documents(connector, world), acls)

    def test_scan_acls_reads_no_content(self, world: ConnectorWorld) -> None:
        """With every file's content unreadable, the permission-only pass still yields every document
        (and the world really blocks reads: the same connector's read fails meanwhile)."""
        one, two = self._acls(world)
        world.create("a.txt", TEXT, one)
        world.create("sub/b.bin", BINARY, two)
        connector = world.connector()
        docs = documents(connector, world)
        with world.content_unreadable():
            acls, failed = acl_items(connector)
            with pytest.raises(ItemError):
                connector.read(docs["a.txt"])
        assert not failed, f"the permission-only pass read content: {failed}"
        assert set(acls) == {d.doc_id for d in docs.values()}
        assert connector.read(docs["a.txt"]) == TEXT  # readable again after the block

    def test_one_bad_item_is_a_failed_item_and_the_scan_goes_on(self, world: ConnectorWorld) -> None:
        one, _ = self._acls(world)
        world.create_unindexable("0-bad.txt")
        world.create("1-good.txt", TEXT, one)
        world.create("sub/2-good.txt", TEXT, one)
        connector = world.connector()
        items = list(connector.scan())
        failed = [i for i in items if isinstance(i, FailedItem)]
        docs = {_in_world(d.path, world): d for d in items if isinstance(d, SourceDocument)}
        assert len(failed) == 1 and failed[0].reason, items
        assert set(docs) == {"1-good.txt", "sub/2-good.txt"}
        acls, acl_failed = acl_items(connector)
        assert len(acl_failed) == 1
        _agrees(docs, acls)

    def test_source_is_stable_and_on_every_document(self, world: ConnectorWorld) -> None:
        one, _ = self._acls(world)
        world.create("a.txt", TEXT, one)
        connector = world.connector()
        source = connector.source
        assert source and source == world.connector().source
        assert [d.source for d in documents(connector, world).values()] == [source]
        assert connector.source == source  # a scan does not change it

