"""Issue 11, finding 5: a sidecar that does not match its file byte for byte never lets the file take
its folder's (possibly wider) ACL; orphan sidecars are reported; and how sidecars compose down the tree
(a sidecar may name its readers, it cannot drop an inherited deny or widen an inherited share set).

This file system (tmpfs/ext4 here) is case-sensitive and does not normalise names; a case-insensitive
folder is stood in for by the probe's answer, beside the real probe's own test.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from ragwarden.connectors import folder_walk
from ragwarden.connectors.local_folder import KIND_ACL, KIND_ORPHAN_SIDECAR, explain_acl_source
from ragwarden.core.models import FailedItem
from tests.connectors.test_local_folder import ALL, HR, connector, folder_acl, put, scan

NFC = unicodedata.normalize("NFC", "Müller_Gehalt.txt")
NFD = unicodedata.normalize("NFD", "Müller_Gehalt.txt")


def failure(root: Path, rel: str) -> FailedItem:
    """The failure reported for ``rel`` (by URI: non-ASCII names are percent-encoded there)."""
    found = [i for i in connector(root).scan() if isinstance(i, FailedItem) and i.source_uri == (root / rel).as_uri()]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "corpus"
    folder_acl(base, ".", ALL)  # the wide ACL a mismatched sidecar used to fall back to
    return base


def test_an_nfd_file_name_takes_its_nfc_sidecar(root: Path) -> None:
    """macOS writes NFD names; the sidecar typed on another machine is NFC: the same name, matched."""
    put(root, NFD)
    (root / f"{NFC}.acl.json").write_text('{"allow": ["group:hr"]}')
    docs, failed = scan(root)
    assert docs[NFD].acl.allow == {"group:hr"}
    assert not failed
    assert explain_acl_source(root, NFD) == root / f"{NFC}.acl.json"


def test_nfc_and_nfd_twins_with_one_sidecar_fail_the_twin_it_does_not_name(root: Path) -> None:
    """Two names that look the same, one sidecar: the exactly named file takes it, the other one fails
    (it could have been meant for either; the folder's ACL would be a guess)."""
    put(root, NFC, "nfc")
    put(root, NFD, "nfd")
    (root / f"{NFC}.acl.json").write_text('{"allow": ["group:hr"]}')
    docs, failed = scan(root)
    assert docs[NFC].acl.allow == {"group:hr"}
    assert NFD not in docs and failure(root, NFD).kind == KIND_ACL
    assert "ambiguous ACL sidecar" in failure(root, NFD).reason


def test_a_sidecar_differing_in_case_fails_its_file_on_a_case_sensitive_folder(root: Path) -> None:
    """``Bonus.TXT`` with ``bonus.txt.acl.json``: not its sidecar here, but surely meant for it; the file
    fails rather than take the folder's wider ACL, and the orphan is reported."""
    put(root, "Bonus.TXT")
    (root / "bonus.txt.acl.json").write_text('{"allow": ["group:hr"]}')
    docs, failed = scan(root)
    assert not docs
    assert failed["Bonus.TXT"].kind == KIND_ACL and "case-folding" in failed["Bonus.TXT"].reason
    assert failed["bonus.txt.acl.json"].kind == KIND_ORPHAN_SIDECAR


def test_a_sidecar_differing_in_case_is_the_files_on_a_case_insensitive_folder(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the folder opens one case as the other, the OS itself would say it is the file's sidecar."""
    monkeypatch.setattr(folder_walk, "_probe", lambda dir_fd, names: True)
    put(root, "Bonus.TXT")
    (root / "bonus.txt.acl.json").write_text('{"allow": ["group:hr"]}')
    docs, failed = scan(root)
    assert docs["Bonus.TXT"].acl.allow == {"group:hr"}
    assert not failed


def test_the_case_probe_tells_this_folder_is_case_sensitive(root: Path) -> None:
    put(root, "Bonus.TXT")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert folder_walk._probe(fd, sorted(os.listdir(root))) is False
        assert folder_walk._probe(fd, ["123"]) is False  # nothing to tell by: strict
    finally:
        os.close(fd)


def test_a_sidecar_whose_case_is_not_a_sidecars_is_never_a_document(root: Path) -> None:
    put(root, "report.txt")
    (root / "report.txt.ACL.JSON").write_text('{"allow": ["group:hr"]}')
    docs, failed = scan(root)
    assert set(docs) == set()
    assert failed["report.txt"].kind == KIND_ACL
    assert failed["report.txt.ACL.JSON"].kind == KIND_ORPHAN_SIDECAR


def test_two_sidecars_for_one_file_fail_it(root: Path) -> None:
    put(root, NFD)
    (root / f"{NFD}.acl.json").write_text('{"allow": ["group:hr"]}')
    (root / f"{NFC}.acl.json").write_text('{"allow": ["everyone"]}')
    docs, _ = scan(root)
    assert NFD not in docs and failure(root, NFD).kind == KIND_ACL
    assert failure(root, f"{NFC}.acl.json").kind == KIND_ORPHAN_SIDECAR


def test_an_orphan_sidecar_is_reported_and_decides_nothing(root: Path) -> None:
    put(root, "a.txt", acl=HR)
    put(root, "gone.pdf.acl.json", '{"allow": ["everyone"]}')
    docs, failed = scan(root)
    assert set(docs) == {"a.txt"}
    assert failed["gone.pdf.acl.json"].kind == KIND_ORPHAN_SIDECAR
    assert "no file named exactly 'gone.pdf'" in failed["gone.pdf.acl.json"].reason


def test_a_sidecar_named_after_a_folder_fails_everything_inheriting_through_it(root: Path) -> None:
    """``hr.acl.json`` beside ``hr/`` was meant for the folder; its files must not take the root's ACL."""
    (root / "hr.acl.json").write_text('{"allow": ["group:hr"]}')
    put(root, "hr/gehalt.txt")
    put(root, "hr/2024/bonus.txt")
    put(root, "public.txt")
    docs, failed = scan(root)
    assert set(docs) == {"public.txt"}
    assert {failed["hr/gehalt.txt"].kind, failed["hr/2024/bonus.txt"].kind} == {KIND_ACL}
    assert "hr/.acl.json" in failed["hr/gehalt.txt"].reason
    assert failed["hr.acl.json"].kind == KIND_ORPHAN_SIDECAR


def test_a_folder_acl_not_named_exactly_fails_its_heirs_on_a_case_sensitive_folder(root: Path) -> None:
    put(root, "hr/.ACL.JSON", '{"allow": ["group:hr"]}')
    put(root, "hr/gehalt.txt")
    docs, failed = scan(root)
    assert not docs and failed["hr/gehalt.txt"].kind == KIND_ACL
    assert "ambiguous folder ACL" in failed["hr/gehalt.txt"].reason


def test_hidden_files_keep_their_sidecars_and_a_files_own_exact_sidecar_is_no_orphan(root: Path) -> None:
    put(root, ".hidden.txt", acl=HR)
    put(root, "Bonus.txt", acl=HR)
    put(root, "bonus.txt", acl=ALL)  # a case twin with its own exact sidecar: each file has its own
    docs, failed = scan(root)
    assert docs["Bonus.txt"].acl.allow == {"group:hr"} and docs["bonus.txt"].acl.allow == {"everyone"}
    assert not failed


# -- composition: never widen silently --------------------------------------------------------------


def test_an_inherited_deny_applies_below_every_sidecar(root: Path) -> None:
    folder_acl(root, "hr", {"allow": ["group:hr"], "deny": ["user:bob"]})
    folder_acl(root, "hr/2024", {"allow": ["group:hr", "group:leads"]})
    put(root, "hr/2024/q1.txt", acl={"allow": ["everyone"], "deny": ["user:eve"]})
    put(root, "hr/2024/q2.txt")
    docs, _ = scan(root)
    assert docs["hr/2024/q1.txt"].acl.deny == {"user:bob", "user:eve"}
    assert docs["hr/2024/q2.txt"].acl.deny == {"user:bob"}


def test_a_sidecar_may_name_readers_its_folder_does_not(root: Path) -> None:
    """Replacing the allow list is the documented way to share one file wider (a guide in ``rnd/``
    for contractors): explicit, in the file's own sidecar, and shown by ``explain``."""
    folder_acl(root, "rnd", {"allow": ["group:rnd"]})
    put(root, "rnd/guide.md", acl={"allow": ["group:rnd", "group:contractors"]})
    assert scan(root)[0]["rnd/guide.md"].acl.allow == {"group:rnd", "group:contractors"}


def test_a_share_restriction_is_inherited_and_can_only_narrow(root: Path) -> None:
    folder_acl(root, "fin", {"allow": ["group:finance"], "share": ["group:staff", "group:auditors"]})
    put(root, "fin/plain.txt")
    put(root, "fin/own.txt", acl={"allow": ["everyone"]})
    put(root, "fin/narrower.txt", acl={"allow": ["everyone"], "share": ["group:auditors"]})
    put(root, "fin/wider.txt", acl={"allow": ["everyone"], "share": ["group:staff", "everyone"]})
    docs, failed = scan(root)
    assert docs["fin/plain.txt"].acl.share == {"group:staff", "group:auditors"}
    assert docs["fin/own.txt"].acl.share == {"group:staff", "group:auditors"}
    assert docs["fin/narrower.txt"].acl.share == {"group:auditors"}
    assert failed["fin/wider.txt"].kind == KIND_ACL
    assert "may only narrow" in failed["fin/wider.txt"].reason
