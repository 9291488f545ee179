"""`ragwarden bench teams` runs end to end with a small N and reports the typing-indicator figure."""

from __future__ import annotations

import re

import pytest

from ragwarden import cli


def test_bench_teams_reports_typing_and_card_latency_against_the_target(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["bench", "teams", "-n", "3", "--group-every", "2"])
    out = capsys.readouterr().out
    assert re.search(r"activity received -> typing indicator sent: median \d+ ms, p95 \d+ ms, max \d+ ms \(n=3\)", out)
    assert re.search(r"activity received -> answer card sent +: median \d+ ms", out)
    verdict = re.search(r"^(PASS|FAIL): typing indicator p95 (\d+) ms \(target <= 300 ms\)$", out, re.M)
    assert verdict, out
    assert status == (0 if verdict.group(1) == "PASS" else 1)
    assert verdict.group(1) == "PASS", out
