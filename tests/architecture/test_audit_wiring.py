"""Every interface hands the use cases an audit trail: a call from ``api``, ``cli`` or ``demo`` to a use case
that returns documents or answers without ``audit=`` would return them unrecorded. (The use cases take it as an
optional keyword so that benchmarks and unit tests can call them bare; the interfaces may not.)"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ragwarden"
USE_CASES = {"search_page", "search_documents", "document_metadata", "answer_stream", "answer"}
INTERFACES = ("api", "cli", "demo")


def _calls() -> list[tuple[str, int, str, bool]]:
    found = []
    for package in INTERFACES:
        for path in sorted((SRC / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in USE_CASES:
                    audited = any(k.arg == "audit" for k in node.keywords)
                    found.append((str(path.relative_to(SRC)), node.lineno, name, audited))
    return found


def test_every_interface_call_of_a_use_case_passes_the_audit_trail() -> None:
    calls = _calls()
    assert {name for *_, name, _ in calls} >= {"search_page", "search_documents", "document_metadata", "answer"}
    unaudited = [f"{path}:{line} {name}" for path, line, name, audited in calls if not audited]
    assert not unaudited, unaudited
