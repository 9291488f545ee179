"""The SMB part of the freshness benchmark, run small against the session's Samba share (the benchmark's
``file_server()`` joins the one the ``smb_server`` fixture runs): watched changes, then ``smbcacls``
revocations through the permission passes of a server without watch, each judged against its target,
and the passes' length printed."""

from __future__ import annotations

import re

import pytest

from ragwarden.evaluation import bench_freshness
from tests.fixtures.smb import SmbServer


def test_smb_revocations_without_watch_are_timed_against_acl_interval_plus_five_seconds(
    smb_server: SmbServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--smb-only", "--docs", "40", "--changes", "2", "--smb-acl-interval", "2", "--rate", "2"]
    code = bench_freshness.main(argv)
    out = capsys.readouterr().out
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    for kind in ("new", "edit", "delete"):
        assert rows[f"smb watch / {kind}"].endswith("PASS"), out
    revoke = rows["smb no watch, acl 2 s / revoke"]
    assert re.match(r"smb no watch, acl 2 s / revoke +2 +[\d.]+ s +[\d.]+ s +<= 7 s +PASS$", revoke), revoke
    passes = re.search(r"over the 40-file share it took [\d.]+ s \((\d+) passes, mean\)", out)
    assert passes and int(passes[1]) >= 2, out
    checks = re.search(r"checks: (\d+)/(\d+) passed", out)
    assert checks and checks[1] == checks[2], out
    assert code == 0
