"""Extractive answers in a real browser: the real app serves the page and runs the search, and
``/v1/answer`` is mostly a stand-in event stream (the answer modes themselves are tested with the
answerer; the last test passes the real server's stream through): the quoted sentences replace the
streamed text as one blockquote each, with the source they come from and a label in the page's
language; document text stays text; generated answers render as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.pages import SearchPage

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> **fett**'
SAFE_URI = "https://intranet.example/hr/urlaubsrichtlinie"
CITATIONS = [
    {
        "number": 1,
        "doc_id": "a" * 32,
        "title": "Urlaubsrichtlinie",
        "source_uri": SAFE_URI,
        "snippet": "Resturlaub …",
        "section": "Übertrag",
        "page": None,
        "cited": True,
    },
    {
        "number": 2,
        "doc_id": "b" * 32,
        "title": "<b>Betriebsruhe</b>",
        "source_uri": "javascript:window.__pwned=3",
        "snippet": "",
        "section": "",
        "page": 2,
        "cited": True,
    },
]
SENTENCES = [
    {"text": "Resturlaub kann bis zum 31. März des Folgejahres übertragen werden.", "citation": 1},
    {"text": HOSTILE, "citation": 2},
]
PLAIN = "\n".join(f"\u201c{s['text']}\u201d [{s['citation']}]" for s in SENTENCES)


def _done(**fields: Any) -> dict[str, Any]:
    return {
        "answer": PLAIN,
        "citations": CITATIONS,
        "conversation_id": "c-1",
        "language": "de",
        "found": True,
        "sources_unavailable": False,
        "notice": None,
        "mode": "extractive",
        "sentences": SENTENCES,
        "fallback": False,
        "dropped_sentences": 0,
        **fields,
    }


def _stream(done: dict[str, Any]) -> Any:
    """A route handler answering with the events the server sends: the text as a token, then done."""
    events = "".join(
        f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        for name, data in (("token", {"text": done["answer"]}), ("done", done))
    )
    return lambda route: route.fulfill(status=200, content_type="text/event-stream", body=events)


def _ask(page: SearchPage, done: dict[str, Any]) -> Any:
    p = page.page
    p.route("**/v1/answer", _stream(done))
    page.search("Urlaubstage übertragen")
    page.ask()
    assert p.get_attribute("#answer", "data-state") == "done"
    return p


def test_an_extractive_answer_is_shown_as_quotes_with_their_sources_and_document_text_as_text(
    search_page: SearchPage, artifacts: Path
) -> None:
    p = _ask(search_page.open("alice"), _done())
    text = p.locator("#answer-text")
    assert text.locator(".quotes-label").inner_text() == "Quotes from your documents"
    quotes = text.locator("figure.quote")
    assert quotes.count() == 2
    assert [q.inner_text() for q in text.locator("blockquote").all()] == [s["text"] for s in SENTENCES]
    assert "\u201c" not in text.inner_text()  # the streamed plain text is gone, replaced by the quotes
    # markup in a sentence or a title is shown, not run or rendered
    assert p.evaluate("() => window.__pwned") is None
    assert p.locator("#answer script, #answer img, #answer b").count() == 0

    first, second = quotes.nth(0).locator("figcaption"), quotes.nth(1).locator("figcaption")
    assert first.inner_text() == "[1] Urlaubsrichtlinie"
    assert first.locator("a.quote-ref").get_attribute("href") == "#cite-1"
    assert first.locator("a.quote-ref").get_attribute("aria-label") == "source 1"
    assert first.locator("a.quote-source").get_attribute("href") == SAFE_URI
    assert first.locator("a.quote-source").get_attribute("rel") == "noopener noreferrer"
    assert second.inner_text() == "[2] <b>Betriebsruhe</b>"
    assert second.locator("a.quote-source").count() == 0  # javascript: is never a link, as for citations
    assert p.locator("#citations > li").count() == 2 and p.locator("#cite-2").is_visible()
    search_page.screenshot(artifacts / "answer-quotes.png")

    second.locator("a.quote-ref").click()  # the number leads to the listed source, the URL stays as it was
    assert p.evaluate("() => document.activeElement.id") == "cite-2"
    assert p.url == search_page.url + "/"

    p.select_option("#lang", "de")  # the label follows the page's language
    assert text.locator(".quotes-label").inner_text() == "Zitate aus Ihren Dokumenten"
    assert first.locator("a.quote-ref").get_attribute("aria-label") == "Quelle 1"
    assert text.locator("blockquote").count() == 2


def test_a_fallback_shows_the_quotes_with_a_note_in_german(german_page: SearchPage) -> None:
    done = _done(mode="generated", fallback=True, dropped_sentences=2)
    p = _ask(german_page.open("alice"), done)
    text = p.locator("#answer-text")
    note = text.locator(".answer-note")
    assert note.count() == 1 and "nicht anhand der Quellen prüfen" in note.inner_text()
    assert text.locator(".quotes-label").inner_text() == "Zitate aus Ihren Dokumenten"
    assert text.locator("blockquote").count() == 2
    assert "weggelassen" not in text.inner_text()  # the replaced answer's left-out sentences do not matter


def test_a_generated_answer_renders_as_before_with_a_muted_note_on_left_out_sentences(
    search_page: SearchPage,
) -> None:
    answer = "Resturlaub verfällt am 31. März [1]. <i>Mehr</i> dazu [2]."
    done = _done(
        mode="generated",
        answer=answer,
        dropped_sentences=3,
        language="de",
        sentences=[{"text": "Resturlaub verfällt am 31. März [1].", "citation": 1}],
    )
    p = _ask(search_page.open("alice"), done)
    text = p.locator("#answer-text")
    assert text.locator("blockquote, .quotes-label").count() == 0
    assert [a.get_attribute("href") for a in text.locator("a.cite-ref").all()] == ["#cite-1", "#cite-2"]
    note = text.locator(".answer-note.muted")
    assert note.inner_text() == "3 sentences without support in the sources were left out."
    assert text.inner_text().startswith("Resturlaub verfällt am 31. März [1]. <i>Mehr</i> dazu [2].")
    assert p.locator("#answer i").count() == 0


def test_an_answer_from_an_older_server_without_a_mode_renders_as_before(search_page: SearchPage) -> None:
    done = {
        "answer": "Ja [1].",
        "citations": CITATIONS[:1],
        "conversation_id": "c",
        "language": "de",
        "found": True,
        "sentences": SENTENCES,
    }
    p = _ask(search_page.open("alice"), done)
    assert p.locator("#answer-text").inner_text() == "Ja [1]."
    assert p.locator("#answer-text blockquote, #answer-text .answer-note").count() == 0


def _passed_through(seen: list[dict[str, Any]]) -> Any:
    """A route handler that hands the real server's event stream to the page as it is, keeping its
    ``done`` object for the test."""

    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.text()
        for block in body.split("\n\n"):
            if block.startswith("event: done\n"):
                seen.append(json.loads(block.split("data: ", 1)[1]))
        route.fulfill(response=response, body=body)

    return handle


def test_the_real_servers_answer_is_rendered_by_its_mode(search_page: SearchPage) -> None:
    """The real server's answer, as it comes: quotes that match its sentences, each with its listed source."""
    page = search_page.open("alice")
    p = page.page
    seen: list[dict[str, Any]] = []
    p.route("**/v1/answer", _passed_through(seen))
    page.search("Wie viele Urlaubstage kann ich ins nächste Jahr mitnehmen?")
    page.ask()
    assert p.get_attribute("#answer", "data-state") == "done"
    (done,) = seen
    text = p.locator("#answer-text")
    quoted = done.get("mode") == "extractive" or done.get("fallback") is True
    if not (quoted and done["found"] and done["sentences"]):  # a generated answer: as before, no quotes
        assert text.locator("blockquote").count() == 0
        return
    assert text.locator(".quotes-label").inner_text() == "Quotes from your documents"
    assert [q.inner_text() for q in text.locator("blockquote").all()] == [s["text"] for s in done["sentences"]]
    for caption, sentence in zip(text.locator("figcaption").all(), done["sentences"], strict=True):
        ref = caption.locator("a.quote-ref")
        assert ref.inner_text() == f"[{sentence['citation']}]"
        assert p.locator(f"#citations > li{ref.get_attribute('href')}").count() == 1  # a listed source
