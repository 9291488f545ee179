"""The local folder connector: ACLs from sidecars, inherited from folders, and fail closed."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ragwarden.connectors.local_folder import (
    KIND_ACL,
    KIND_ORPHAN_SIDECAR,
    KIND_SYMLINK,
    KIND_TOO_LARGE,
    KIND_UNREADABLE,
    LocalFolderConnector,
    explain_acl_source,
    prettify_title,
)
from ragwarden.core.errors import ConfigurationError, InvalidRequestError, ItemError
from ragwarden.core.models import AccessControl, FailedItem, SourceDocument

HR = {"allow": ["group:hr"], "deny": ["user:bob"]}
ALL = {"allow": ["everyone"]}


def put(root: Path, rel: str, content: str | bytes = "text", acl: Any = None) -> Path:
    """Write a file; ``acl`` (a dict, or raw text) becomes its own sidecar."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    if acl is not None:
        sidecar = path.with_name(path.name + ".acl.json")
        sidecar.write_text(acl if isinstance(acl, str) else json.dumps(acl), encoding="utf-8")
    return path


def folder_acl(root: Path, folder: str, acl: Any) -> None:
    path = root / folder / ".acl.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(acl if isinstance(acl, str) else json.dumps(acl), encoding="utf-8")


def connector(root: Path, **kwargs: Any) -> LocalFolderConnector:
    kwargs.setdefault("max_file_size", 1_000_000)
    return LocalFolderConnector(root, **kwargs)


def scan(root: Path, **kwargs: Any) -> tuple[dict[str, SourceDocument], dict[str, FailedItem]]:
    """Documents and failures by root-relative path."""
    docs: dict[str, SourceDocument] = {}
    failed: dict[str, FailedItem] = {}
    for item in connector(root, **kwargs).scan():
        if isinstance(item, FailedItem):
            failed[Path(item.source_uri.removeprefix("file://")).relative_to(root).as_posix()] = item
        else:
            docs[item.path] = item
    return docs, failed


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "corpus"
    base.mkdir()
    return base


def test_a_file_inherits_its_folders_acl(root: Path) -> None:
    folder_acl(root, "hr", HR)
    put(root, "hr/gehalt.txt")
    docs, failed = scan(root)
    assert docs["hr/gehalt.txt"].acl == AccessControl(frozenset({"group:hr"}), frozenset({"user:bob"}))
    assert not failed


def test_a_file_inherits_from_a_grandparent_folder_up_to_the_root(root: Path) -> None:
    folder_acl(root, ".", ALL)
    folder_acl(root, "hr", HR)
    put(root, "hr/2024/q1/bericht.txt")
    put(root, "it/notes/readme.md")
    docs, _ = scan(root)
    assert docs["hr/2024/q1/bericht.txt"].acl.allow == {"group:hr"}
    assert docs["it/notes/readme.md"].acl.allow == {"everyone"}


def test_an_acl_above_the_root_is_never_used(tmp_path: Path) -> None:
    folder_acl(tmp_path, ".", ALL)
    inner = tmp_path / "inner"
    put(inner, "doc.txt")
    docs, failed = scan(inner)
    assert not docs
    assert failed["doc.txt"].kind == KIND_ACL
    assert explain_acl_source(inner, "doc.txt") is None


def test_a_files_own_sidecar_replaces_its_folders_allow_list_but_keeps_its_denies(root: Path) -> None:
    """The sidecar names the file's readers explicitly (it may name more than the folder does); the
    folder's deny still applies: a sidecar's author cannot drop it without noticing."""
    folder_acl(root, "hr", HR)
    put(root, "hr/aushang.txt", acl={"allow": ["everyone"], "deny": ["group:interns"]})
    put(root, "hr/gehalt.txt")
    docs, _ = scan(root)
    assert docs["hr/aushang.txt"].acl == AccessControl(
        frozenset({"everyone"}), frozenset({"group:interns", "user:bob"})
    )
    assert docs["hr/gehalt.txt"].acl.allow == {"group:hr"}
    assert explain_acl_source(root, "hr/aushang.txt") == root / "hr/aushang.txt.acl.json"
    assert explain_acl_source(root, root / "hr/gehalt.txt") == root / "hr/.acl.json"


def test_a_file_without_any_acl_is_a_failed_item_and_never_a_document(root: Path) -> None:
    put(root, "orphan.txt")
    put(root, "misc/also.txt")
    docs, failed = scan(root)
    assert not docs
    assert set(failed) == {"orphan.txt", "misc/also.txt"}
    assert failed["orphan.txt"].kind == KIND_ACL
    assert "no ACL" in failed["orphan.txt"].reason
    assert failed["orphan.txt"].source_uri == (root / "orphan.txt").as_uri()


@pytest.mark.parametrize(
    ("sidecar", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('{"allow": ["group:hr"], "allow": ["everyone"]}', "duplicate key 'allow'"),
        ('{"allow": ["role:admin"]}', "unknown token type 'role'"),
        ('{"allow": ["hr"]}', "without a type prefix"),
        ('{"allow": []}', "at least one principal"),
        ('{"deny": ["user:bob"]}', "missing 'allow'"),
        ('{"allow": "group:hr"}', "'allow' must be a list"),
        ('{"allow": ["group:hr"], "deny": {"user:bob": 1}}', "'deny' must be a list"),
        ('{"allow": ["group:hr"], "inherit": true}', "unknown keys ['inherit']"),
        ('["group:hr"]', "expected a JSON object"),
        ('{"allow": [42]}', "must be a string"),
        ('{"allow": ["group:h r"]}', "invalid group name"),
        ("", "not valid JSON"),
    ],
)
def test_an_invalid_sidecar_fails_its_file_closed(root: Path, sidecar: str, fragment: str) -> None:
    """Even with a valid folder ACL to fall back to, a broken own sidecar is never skipped over."""
    folder_acl(root, ".", ALL)
    put(root, "doc.txt", acl=sidecar)
    docs, failed = scan(root)
    assert not docs
    assert failed["doc.txt"].kind == KIND_ACL
    assert failed["doc.txt"].reason.startswith("invalid ACL sidecar doc.txt.acl.json: ")
    assert fragment in failed["doc.txt"].reason


def test_an_invalid_folder_acl_fails_every_heir_and_does_not_fall_through_to_the_grandparent(
    root: Path,
) -> None:
    folder_acl(root, ".", ALL)
    folder_acl(root, "hr", '{"allow": ["group:hr"], "deny": ["usr:bob"]}')  # a typo in the deny
    put(root, "hr/gehalt.txt")
    put(root, "hr/2024/bonus.txt")
    put(root, "hr/aushang.txt", acl=ALL)  # its own valid sidecar: the folder's (unknown) denies would apply too
    folder_acl(root, "hr/sub", ALL)
    put(root, "hr/sub/x.txt")
    put(root, "public.txt")
    docs, failed = scan(root)
    assert set(docs) == {"public.txt"}
    assert set(failed) == {"hr/gehalt.txt", "hr/2024/bonus.txt", "hr/aushang.txt", "hr/sub/x.txt"}
    for item in failed.values():
        assert item.kind == KIND_ACL
        assert item.reason.startswith("invalid ACL sidecar hr/.acl.json: unknown token type 'usr'")


def test_sidecars_and_folder_acls_are_never_documents(root: Path) -> None:
    folder_acl(root, ".", ALL)
    put(root, "a.txt", acl=HR)
    put(root, "lonely.pdf.acl.json", "{}")  # an orphan sidecar: not a document; reported
    docs, failed = scan(root)
    assert set(docs) == {"a.txt"}
    assert {k: v.kind for k, v in failed.items()} == {"lonely.pdf.acl.json": KIND_ORPHAN_SIDECAR}


def test_hidden_files_and_folders_are_skipped_unless_asked_for(root: Path) -> None:
    folder_acl(root, ".", ALL)
    put(root, ".secret.txt")
    put(root, ".git/config")
    put(root, "visible.txt")
    assert set(scan(root)[0]) == {"visible.txt"}
    assert set(scan(root, include_hidden=True)[0]) == {".secret.txt", ".git/config", "visible.txt"}


def test_document_fields(root: Path) -> None:
    folder_acl(root, "finance", ALL)
    path = put(root, "finance/Reise_kosten-2024.PDF", b"%PDF-1.4 bytes")
    source = connector(root, source="share1")
    doc = next(d for d in source.scan() if isinstance(d, SourceDocument))
    assert doc.source == "share1"
    assert doc.source_uri == path.as_uri()
    assert doc.title == "Reise kosten 2024"
    assert doc.file_type == "pdf"
    assert doc.size == len(b"%PDF-1.4 bytes")
    assert doc.modified is not None and doc.modified.utcoffset() is not None
    assert doc.metadata == {"department": "finance"}
    assert len(doc.doc_id) == 32 and doc.doc_id.isalnum()
    assert source.read(doc) == b"%PDF-1.4 bytes"


def test_doc_ids_are_deterministic_and_depend_on_source_and_path(root: Path) -> None:
    folder_acl(root, ".", ALL)
    for i in range(5):
        put(root, f"d{i}/f.txt", f"same {i}")
    first = [d.doc_id for d in scan(root)[0].values()]
    second = [d.doc_id for d in scan(root)[0].values()]
    other_source = [d.doc_id for d in scan(root, source="other")[0].values()]
    assert first == second
    assert len(set(first)) == 5
    assert not set(first) & set(other_source)


def test_scan_order_is_sorted_and_deterministic(root: Path) -> None:
    folder_acl(root, ".", ALL)
    for rel in ["b/z.txt", "a.txt", "b/a.txt", "c.txt", "a/y.txt"]:
        put(root, rel)
    order = [item.path for item in connector(root).scan() if isinstance(item, SourceDocument)]
    assert order == ["a.txt", "c.txt", "a/y.txt", "b/a.txt", "b/z.txt"]


def test_the_content_hash_changes_on_an_edit_and_only_then(root: Path) -> None:
    folder_acl(root, ".", ALL)
    path = put(root, "doc.txt", "version 1")
    before = scan(root)[0]["doc.txt"].content_hash
    os.utime(path, (1_000_000, 1_000_000))  # touched: new mtime, same bytes
    folder_acl(root, ".", HR)  # an ACL-only change
    touched = scan(root)[0]["doc.txt"]
    assert touched.content_hash == before
    assert touched.acl.allow == {"group:hr"}
    path.write_text("version 2")
    assert scan(root)[0]["doc.txt"].content_hash != before


def test_an_oversized_file_is_a_failed_item(root: Path) -> None:
    folder_acl(root, ".", ALL)
    put(root, "big.bin", b"x" * 101)
    put(root, "fits.bin", b"x" * 100)
    docs, failed = scan(root, max_file_size=100)
    assert set(docs) == {"fits.bin"}
    assert failed["big.bin"].kind == KIND_TOO_LARGE
    assert "too large" in failed["big.bin"].reason


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads files whatever their mode, so chmod 000 cannot make one unreadable"
)
def test_an_unreadable_file_is_a_failed_item(root: Path) -> None:
    folder_acl(root, ".", ALL)
    path = put(root, "locked.txt")
    path.chmod(0)
    try:
        docs, failed = scan(root)
    finally:
        path.chmod(0o644)
    assert not docs
    assert failed["locked.txt"].kind == KIND_UNREADABLE


def test_a_read_error_is_a_failed_item_and_the_scan_goes_on(root: Path, monkeypatch: Any) -> None:
    """Stands in for the chmod test when running as root: the OS refuses to open one file."""
    folder_acl(root, ".", ALL)
    put(root, "a.txt")
    put(root, "b.txt")
    real_open = os.open

    def refuse_b(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("b.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_b)
    docs, failed = scan(root)
    assert set(docs) == {"a.txt"}
    assert failed["b.txt"].kind == KIND_UNREADABLE
    assert "Permission denied" in failed["b.txt"].reason


def test_an_unreadable_sidecar_fails_its_file(root: Path, monkeypatch: Any) -> None:
    folder_acl(root, ".", ALL)
    put(root, "doc.txt", acl=HR)
    real_open = os.open

    def refuse_sidecar(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("doc.txt.acl.json"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_sidecar)
    docs, failed = scan(root)
    assert not docs
    assert failed["doc.txt"].kind == KIND_ACL
    assert "cannot be read: Permission denied" in failed["doc.txt"].reason


def test_symlinks_are_not_followed_out_of_the_root(root: Path, tmp_path: Path) -> None:
    folder_acl(root, ".", ALL)
    outside = put(tmp_path, "outside/secret.txt", "not yours")
    (root / "link.txt").symlink_to(outside)
    (root / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    put(root, "inside.txt")
    (root / "alias.txt").symlink_to(root / "inside.txt")
    docs, failed = scan(root)
    assert set(docs) == {"inside.txt"}
    assert {k: v.kind for k, v in failed.items()} == {
        "link.txt": KIND_SYMLINK,
        "linkdir": KIND_SYMLINK,
        "alias.txt": KIND_SYMLINK,
    }
    assert "outside the root" in failed["link.txt"].reason
    assert "inside the root" in failed["alias.txt"].reason


def test_a_symlinked_sidecar_is_not_trusted(root: Path, tmp_path: Path) -> None:
    folder_acl(root, ".", HR)
    put(root, "doc.txt")
    outside = put(tmp_path, "wide.acl.json", json.dumps(ALL))
    (root / "doc.txt.acl.json").symlink_to(outside)
    docs, failed = scan(root)
    assert not docs
    assert "symbolic link" in failed["doc.txt"].reason


def test_read_refuses_paths_outside_the_root(root: Path, tmp_path: Path) -> None:
    folder_acl(root, ".", ALL)
    put(root, "doc.txt")
    put(tmp_path, "secret.txt")
    source = connector(root)
    doc = next(d for d in source.scan() if isinstance(d, SourceDocument))
    forged = SourceDocument(**{**_fields(doc), "path": "../secret.txt"})
    with pytest.raises(ItemError):
        source.read(forged)
    (root / "doc.txt").unlink()
    with pytest.raises(ItemError, match="cannot be read"):
        source.read(doc)


def _fields(doc: SourceDocument) -> dict[str, Any]:
    return {name: getattr(doc, name) for name in SourceDocument.__dataclass_fields__}


def test_scan_acls_returns_the_same_acls_without_reading_content(root: Path, monkeypatch: Any) -> None:
    folder_acl(root, ".", ALL)
    folder_acl(root, "hr", HR)
    put(root, "hr/gehalt.txt", acl={"allow": ["user:alice"]})
    put(root, "hr/2024/bonus.txt")
    put(root, "pub.txt")
    put(root, "nothing/x.txt", acl="{broken")
    full = list(connector(root).scan())
    expected = [(d.doc_id, d.acl, d.version) if isinstance(d, SourceDocument) else d for d in full]

    def only_sidecars(opener: Any) -> Any:
        def guarded(path: Any, *args: Any, **kwargs: Any) -> Any:
            folder = bool(args and isinstance(args[0], int) and args[0] & os.O_DIRECTORY)
            if not folder and not str(path).endswith(".acl.json"):
                raise AssertionError(f"content read during the permission-only pass: {path}")
            return opener(path, *args, **kwargs)

        return guarded

    monkeypatch.setattr(os, "open", only_sidecars(os.open))
    monkeypatch.setattr(builtins, "open", only_sidecars(builtins.open))
    monkeypatch.setattr(Path, "read_bytes", only_sidecars(Path.read_bytes))
    assert list(connector(root).scan_acls()) == expected


def test_a_missing_root_is_a_configuration_error_not_an_empty_scan(root: Path) -> None:
    with pytest.raises(ConfigurationError):
        connector(root / "nope")
    source = connector(root)
    root.rmdir()
    with pytest.raises(ConfigurationError):
        list(source.scan())


def test_explain_rejects_a_file_outside_the_root(root: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError):
        explain_acl_source(root, tmp_path / "elsewhere.txt")
    with pytest.raises(InvalidRequestError):
        explain_acl_source(root, "../elsewhere.txt")


def test_explain_names_an_invalid_deciding_sidecar_too(root: Path) -> None:
    folder_acl(root, ".", ALL)
    folder_acl(root, "hr", "{broken")
    put(root, "hr/a/b.txt")
    assert explain_acl_source(root, "hr/a/b.txt") == root / "hr/.acl.json"


def test_prettify_title() -> None:
    assert prettify_title("gehalt_baender-2024") == "Gehalt baender 2024"
    assert prettify_title("IT-Sicherheit") == "IT Sicherheit"
    assert prettify_title("___") == ""
