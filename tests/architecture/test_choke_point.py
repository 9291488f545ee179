"""The retrieval choke point, checked in the source: only the retriever searches an index.

import-linter keeps the interfaces away from the index adapters' modules; this test keeps everyone away
from the index *object*: a call of ``search``, ``document_chunks`` or ``facet`` on anything named like an
index, and any use of ``services.index``, outside the modules allowed to, fails here with its place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ragwarden

SRC = Path(ragwarden.__file__).parent
SEARCHES = {"search", "document_chunks", "facet"}
#: the retriever is the choke point; the contract suite tests the adapters themselves
MAY_SEARCH = {"retrieval/retriever.py"}
MAY_SEARCH_UNDER = ("testing/contracts/",)
#: the composition root owns the index; retrieval and ingestion are handed it
MAY_HOLD_SERVICES_INDEX = ("services/",)


def offences(source: str, rel: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SEARCHES:
            receiver = ast.unparse(node.func.value)
            allowed = rel in MAY_SEARCH or rel.startswith(MAY_SEARCH_UNDER)
            if "index" in receiver.lower() and not allowed:
                found.append(f"{rel}:{node.lineno}: {receiver}.{node.func.attr}(...) bypasses the retriever")
        if isinstance(node, ast.Attribute) and node.attr == "index":
            owner = ast.unparse(node.value)
            if owner.split(".")[-1].lstrip("_") == "services" and not rel.startswith(MAY_HOLD_SERVICES_INDEX):
                found.append(f"{rel}:{node.lineno}: {owner}.index: ask services for a use case instead")
    return found


def test_only_the_retriever_searches_an_index() -> None:
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        problems += offences(path.read_text(encoding="utf-8"), rel)
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_bypass() -> None:
    bypass = "def f(services, v):\n    return services.index.search(None, v, '', 10)\n"
    assert len(offences(bypass, "api/app.py")) == 2
    assert offences("hits = self._index.facet(scope, 'source')\n", "generation/x.py")
    assert not offences("hits = self.index.search(scope, d, q, 10)\n", "retrieval/retriever.py")
    assert not offences("m = _RE.search(text)\nr = retriever.search(s, q)\n", "api/app.py")

