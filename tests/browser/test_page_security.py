"""The page is safe in a real browser: a strict CSP that nothing on the page violates, server text
and query text rendered as text (never markup), links only with safe schemes, no query in any URL,
and clear messages (no stack traces) when the caller is not signed in or the service is down."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.pages import SearchPage

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_the_page_and_its_scripts_carry_a_strict_csp_and_the_security_headers(search_page: SearchPage) -> None:
    p = search_page.page
    response = p.goto(search_page.url + "/")
    headers = response.headers
    csp = headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "connect-src 'self'",
    ):
        assert directive in csp, directive
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    script = p.request.get(search_page.url + "/static/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-security-policy"] == csp
    assert p.locator("script:not([src]), style, [style]").count() == 0  # nothing inline


def test_a_hostile_query_is_rendered_as_text_and_never_reaches_a_url(search_page: SearchPage) -> None:
    page = search_page.open("alice")
    p = page.page
    urls: list[str] = []
    p.on("request", lambda r: urls.append(r.url))
    page.search(HOSTILE)
    page.search("Urlaubsrichtlinie Betriebsruhe")
    p.locator("#q").press("Enter")
    p.wait_for_function("() => document.getElementById('answer').dataset.state !== 'idle'")
    assert p.evaluate("() => window.__pwned") is None
    assert p.locator("main img").count() == 0
    assert p.locator("#answer-question").inner_text().endswith("Urlaubsrichtlinie Betriebsruhe")
    assert urls and not [u for u in urls if "Urlaub" in u or "img" in u or "%3C" in u]
    assert p.url == page.url + "/"
    p.click("#new-conversation")


def _hostile_results(route: Any) -> None:
    results = [
        {
            "doc_id": "a" * 32,
            "title": HOSTILE,
            "source_uri": "javascript:window.__pwned=2",
            "snippet": "<script>window.__pwned=3</script> Urlaub <b>fett</b>",
            "score": 1.0,
            "file_type": "pdf",
            "path": "x/<i>y</i>.pdf",
            "modified": "2026-01-02T00:00:00+00:00",
            "source": "<u>s</u>",
            "department": "x",
        },
        {
            "doc_id": "b" * 32,
            "title": "Share document",
            "source_uri": "smb://fileserver/share/doc.docx",
            "snippet": "ok",
            "score": 0.5,
            "file_type": "docx",
            "path": "doc.docx",
            "modified": None,
            "source": "smb",
            "department": "",
        },
    ]
    body = {
        "results": results,
        "offset": 0,
        "limit": 10,
        "has_more": False,
        "facets": {"source": {"<u>s</u>": 1, "smb": 1}, "file_type": {"pdf": 1, "docx": 1}},
    }
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_hostile_document_text_from_the_server_is_shown_as_text_and_unsafe_links_are_dropped(
    search_page: SearchPage,
) -> None:
    """A document title, snippet, path or source full of markup (a stand-in server response)."""
    page = search_page.open("alice")
    p = page.page
    p.route("**/v1/search", _hostile_results)
    page.search("Urlaub")
    first = p.locator("#results > li").first
    assert first.locator("h3").inner_text() == HOSTILE
    assert first.locator("h3 a").count() == 0  # javascript: is never a link
    assert "<script>" in first.locator(".snippet").inner_text()
    assert first.locator(".snippet mark").inner_text() == "Urlaub"
    assert p.locator("#results img, #results script, #results b, #results i, #results u").count() == 0
    assert p.locator("#f-source label", has_text="<u>s</u>").count() == 1
    assert p.locator("#results > li").nth(1).locator("h3 a").get_attribute("href") == "smb://fileserver/share/doc.docx"
    assert p.evaluate("() => window.__pwned") is None


def test_not_signed_in_shows_a_sign_in_link_and_a_clear_message_not_a_stack_trace(search_page: SearchPage) -> None:
    """Entra mode without a session: /v1/me and /v1/search answer 401 (from the real server: the page
    sends no user), and the page offers the sign-in link from /v1/ui/config."""
    p = search_page.page
    config = {"auth_modes": ["entra"], "users": [], "sign_in_url": "/auth/login"}
    p.route("**/v1/ui/config", lambda r: r.fulfill(status=200, content_type="application/json", json=config))
    p.goto(search_page.url + "/")
    p.wait_for_function("() => !document.getElementById('sign-in').hidden")
    assert p.locator("#sign-in").get_attribute("href") == search_page.url + "/auth/login"
    assert p.locator("#switcher").is_hidden()
    assert p.locator("#signed-in").inner_text() == "You are not signed in."
    p.fill("#q", "Urlaub")
    p.wait_for_function("() => !document.getElementById('error').hidden")
    assert p.locator("#error").inner_text() == "You are not signed in, or your sign-in has expired."


def test_a_service_outage_shows_a_clear_message(search_page: SearchPage) -> None:
    page = search_page.open("alice")
    p = page.page
    outage = json.dumps({"error": "a service ragwarden depends on is unavailable; try again later"})
    p.route("**/v1/search", lambda r: r.fulfill(status=503, content_type="application/json", body=outage))
    p.fill("#q", "Urlaub")
    p.wait_for_function("() => !document.getElementById('error').hidden")
    assert "temporarily unavailable" in p.locator("#error").inner_text()
    assert "Traceback" not in page.html()


def test_an_entra_session_shows_the_display_name_and_signing_out_ends_it_with_the_csrf_header(
    search_page: SearchPage,
) -> None:
    """Stand-ins for the sign-in server's answers (its flow is tested with its own code): the page
    names the signed-in person, and Sign out posts /auth/logout with X-Requested-With."""
    p = search_page.page
    config = {"auth_modes": ["entra"], "users": [], "sign_in_url": "/auth/login"}
    signed_in = {"yes": True}
    me = {"principal": "erika@corp.example", "display_name": "Erika Muster", "tokens": []}
    p.route("**/v1/ui/config", lambda r: r.fulfill(status=200, content_type="application/json", json=config))
    p.route(
        "**/v1/me",
        lambda r: r.fulfill(status=200, json=me) if signed_in["yes"] else r.fulfill(status=401, json={"error": "x"}),
    )
    logouts: list[dict] = []

    def logout(route: Any) -> None:
        logouts.append(route.request.headers)
        signed_in["yes"] = False
        route.fulfill(status=204)

    p.route("**/auth/logout", logout)
    p.goto(search_page.url + "/")
    p.wait_for_function("() => document.getElementById('signed-in').textContent.includes('Erika Muster')")
    assert p.locator("#sign-in").is_hidden() and p.locator("#switcher").is_hidden()
    p.click("#sign-out")
    p.wait_for_function("() => !document.getElementById('sign-in').hidden")
    assert logouts and logouts[0]["x-requested-with"] == "ragwarden"
    assert p.locator("#sign-out").is_hidden()
