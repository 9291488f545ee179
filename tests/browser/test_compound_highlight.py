"""German compounds are marked as the search finds them: the keyword half splits compounds, so a search for
"Drucker" finds "Netzwerkdrucker", and the page marks it there too (a later part of a compound)."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.pages import SearchPage


def _printer_results(route: Any) -> None:
    result = {
        "doc_id": "c" * 32,
        "title": "Hinweis der IT",
        "source_uri": "file:///srv/it/drucker.txt",
        "snippet": "Der Netzwerkdrucker im dritten Obergeschoss ist wieder da, die Netzwerkdose im Flur nicht.",
        "score": 1.0,
        "file_type": "txt",
        "path": "it/drucker.txt",
        "modified": None,
        "source": "demo",
        "department": "it",
    }
    body = {"results": [result], "offset": 0, "limit": 10, "has_more": False, "facets": {}}
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def _marks(page: Any) -> list[str]:
    marks: list[str] = page.eval_on_selector_all("#results mark", "ms => ms.map(m => m.textContent)")
    return marks


def test_a_search_for_drucker_marks_netzwerkdrucker_in_the_snippet(
    search_page: SearchPage,
) -> None:
    page = search_page.open("alice")
    page.page.route("**/v1/search", _printer_results)
    page.search("Drucker")
    assert _marks(page.page) == ["Netzwerkdrucker"]


def test_on_the_demo_corpus_a_search_for_abrechnung_marks_the_compounds_that_hold_it(search_page: SearchPage) -> None:
    """The real server and index: the benefits page speaks of the "Gehaltsabrechnung" and its "Entgeltabrechnung"."""
    page = search_page.open("alice")
    page.search("Abrechnung")
    marks = [m.lower() for m in _marks(page.page)]
    assert any(m.endswith("abrechnung") and not m.startswith("abrech") for m in marks), marks
    assert all("abrech" in m for m in marks), marks
