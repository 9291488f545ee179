"""When some sources are withheld (their permissions too old to trust), the page says so in its status
line, in the page's language, without naming them. The server's flag is tested in tests/service; here the
real server's response is passed through with the flag set."""

from __future__ import annotations

from typing import Any

from tests.browser.pages import SearchPage


def _flagged(route: Any) -> None:
    response = route.fetch()
    body = response.json()
    body["sources_unavailable"] = True
    body["notice"] = "Some sources are temporarily unavailable"
    route.fulfill(response=response, json=body)


def test_the_status_line_says_some_sources_are_unavailable(search_page: SearchPage) -> None:
    page = search_page.open("alice")
    p = page.page
    page.search("Urlaub")
    assert "unavailable" not in p.locator("#status").inner_text()
    p.route("**/v1/search", _flagged)
    page.search("Urlaubstage")
    status = p.locator("#status").inner_text()
    assert "temporarily unavailable" in status or "vorübergehend nicht verfügbar" in status
    assert p.locator("#results > li").count() > 0  # the results that may be shown still are
