"""The licence inventory (``ragwarden licenses``) and the allow-list the suite holds the product to."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragwarden.cli import main
from ragwarden.core.errors import ConfigurationError
from ragwarden.services import licenses
from ragwarden.services.licenses import UNKNOWN, Policy, load_policy, runtime_packages, satisfiable, violations

REPO = Path(__file__).resolve().parents[1]
PERMISSIVE = frozenset({"MIT", "Apache-2.0", "BSD-3-Clause"})


def test_every_run_time_dependency_and_shipped_model_is_inside_the_repository_allow_list() -> None:
    policy = load_policy(REPO / "licenses.yaml")
    components = [*licenses.shipped_models(), *runtime_packages()]
    assert len(components) > 50  # the whole closure, not just the direct requirements
    outside = [(c.name, c.version, c.licence, why) for c, why in violations(components, policy)]
    assert outside == [], "run-time licences outside licenses.yaml: add them with a reason, or drop the dependency"


def test_the_shipped_models_name_their_licences() -> None:
    models = {m.name: m.licence for m in licenses.shipped_models()}
    assert models == {"sentence-transformers/all-MiniLM-L6-v2": "Apache-2.0",
                      "SmolLM2-135M-Instruct.Q4_1": "Apache-2.0"}  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "allowed"),
    [
        ("MIT", True),
        ("Apache-2.0 OR BSD-3-Clause", True),
        ("GPL-3.0-only OR MIT", True),  # dual-licensed: we take the permissive side
        ("MIT AND GPL-3.0-only", False),  # both apply
        ("GPL-3.0-or-later", False),
        ("Apache-2.0 WITH LLVM-exception AND (MIT OR GPL-2.0-only)", True),
        ("(MIT", False),
        ("", False),
    ],
)
def test_an_expression_passes_only_when_the_allowed_licences_can_satisfy_it(expression: str, allowed: bool) -> None:
    assert satisfiable(expression, PERMISSIVE) is allowed


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Path]:
    """Three distributions on sys.path: an app needing a GPL library, and an MIT library under a marker."""
    def dist(name: str, *lines: str) -> None:
        info = tmp_path / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("\n".join(["Metadata-Version: 2.4", f"Name: {name}", "Version: 1.0", *lines])
                                       + "\n", encoding="utf-8")  # fmt: skip

    dist("demo-app", "License-Expression: MIT", "Requires-Dist: gpl-lib",
         "Requires-Dist: mit-lib; python_version>'3'", "Requires-Dist: dev-tool; extra == 'dev'")  # fmt: skip
    dist("gpl-lib", "License: GPLv3 or so",
         "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)")
    dist("mit-lib", "License: MIT License\n\nPermission is hereby granted ...")
    dist("dev-tool", "License-Expression: AGPL-3.0-only")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))


def test_a_strong_copyleft_dependency_fails_the_check_until_an_exception_gives_a_reason(installed: Path) -> None:
    found = {c.name: c.licence for c in runtime_packages("demo-app")}
    assert found == {"gpl-lib": "GPL-3.0-only", "mit-lib": "MIT"}  # the dev extra is not a run-time need
    components = runtime_packages("demo-app")
    assert [(c.name, why.split(" is")[0]) for c, why in violations(components, Policy(PERMISSIVE, {}))] == [
        ("gpl-lib", "GPL-3.0-only")]
    assert violations(components, Policy(PERMISSIVE, {"gpl-lib": "used as a separate program"})) == []


def test_a_package_that_names_no_licence_is_reported(installed: Path) -> None:
    (installed / "gpl_lib-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: gpl-lib\nVersion: 1.0\n", encoding="utf-8")
    components = runtime_packages("demo-app")
    assert {c.name: c.licence for c in components}["gpl-lib"] == UNKNOWN
    assert "no licence" in violations(components, Policy(PERMISSIVE, {}))[0][1]


def test_an_allow_list_exception_without_a_reason_or_a_broken_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text("allowed: [MIT]\nexceptions:\n  gpl-lib: {licence: GPL-3.0-only}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="needs a 'reason'"):
        load_policy(path)
    path.write_text("allowed: [MIT\n", encoding="utf-8")
    assert main(["licenses", "--check", str(path)]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert main(["licenses", "--check", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read the licence allow-list" in capsys.readouterr().err
