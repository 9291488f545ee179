"""The answer panel in a real browser, with the local model: the answer streams, its citations link
to the right sources and results, follow-ups stay in the conversation, and a user's answer draws only
on what that user may open."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.test_access_matrix import oracle_allows
from tests.browser.pages import SearchPage
from tests.demo_fixtures import Demo

# Counts the separate updates of the answer text while it is still streaming.
COUNT_STREAM_UPDATES = """() => {
  window.__streamUpdates = 0;
  new MutationObserver(() => {
    if (document.getElementById("answer").dataset.state === "streaming") window.__streamUpdates += 1;
  }).observe(document.getElementById("answer-text"), { characterData: true, childList: true, subtree: true });
}"""


def _source_uri(url: str, user: str, doc_id: str) -> str:
    r = httpx.get(f"{url}/v1/documents/{doc_id}", headers={"X-Remote-User": user})
    r.raise_for_status()
    return str(r.json()["source_uri"])


def test_the_answer_streams_and_its_citations_link_to_their_sources_and_results(
    search_page: SearchPage, demo: Demo, artifacts: Path
) -> None:
    page = search_page.open("alice")
    p = page.page
    question = "Wie viele Urlaubstage kann ich ins nächste Jahr mitnehmen?"
    page.search(question)
    p.evaluate(COUNT_STREAM_UPDATES)
    with p.expect_request("**/v1/answer") as first_request:
        page.ask()
    assert p.get_attribute("#answer", "data-state") == "done"
    # The embedded default answers with quotes: one token event, then `done` (often in one read). Generated
    # answers streaming token by token are tested in test_answer_quotes.py with a scripted stream.
    assert p.locator("#answer blockquote").count() >= 1
    assert first_request.value.headers["accept"] == "text/event-stream"
    assert "conversation_id" not in first_request.value.post_data_json
    assert p.locator("#answer-text").inner_text().strip()

    by_id = {v: k for k, v in demo.doc_ids.items()}
    citations = p.locator("#citations > li")
    assert citations.count() >= 1
    results = set(page.doc_ids())
    for i in range(citations.count()):
        item = citations.nth(i)
        doc_id = item.get_attribute("data-doc-id")
        assert oracle_allows(demo.directory, "alice", by_id[doc_id])
        assert item.locator("a.to-source").get_attribute("href") == _source_uri(page.url, "alice", doc_id)
        to_result = item.locator("a.to-result")
        assert to_result.get_attribute("href") == f"#result-{doc_id}"
        assert to_result.is_visible() == (doc_id in results)
    for ref in p.locator("#answer-text a.cite-ref").all():
        target = ref.get_attribute("href")
        assert p.locator(target).count() == 1, target  # every [n] link has its numbered source
    if p.locator("a.to-result:visible").count():
        p.locator("a.to-result:visible").first.click()
        assert p.evaluate("() => document.activeElement.classList.contains('result')")
    assert p.url == page.url + "/"  # nothing about the answer or its sources went into the URL
    page.screenshot(artifacts / "answer-with-citations.png")

    p.fill("#q", "Und bis wann muss ich sie nehmen?")
    with p.expect_request("**/v1/answer") as follow_up:
        page.ask()
    assert follow_up.value.post_data_json.get("conversation_id"), "a follow-up continues the conversation"
    p.click("#new-conversation")
    assert p.locator("#answer").is_hidden()
    with p.expect_request("**/v1/answer") as fresh:
        p.locator("#q").press("Enter")
    assert "conversation_id" not in fresh.value.post_data_json  # a new conversation starts afresh
    p.click("#new-conversation")  # and stops the answer in progress


def test_a_users_answer_and_citations_never_draw_on_documents_they_may_not_open(
    search_page: SearchPage, demo: Demo
) -> None:
    page = search_page.open("hans")  # a contractor: not staff, sees almost nothing of HR or finance
    page.search("Wie sind die Gehaltsbänder für die Entgeltgruppen festgelegt?")
    page.ask()
    assert page.page.get_attribute("#answer", "data-state") == "done"
    by_id = {v: k for k, v in demo.doc_ids.items()}
    cited = page.page.eval_on_selector_all("#citations > li", "items => items.map(i => i.dataset.docId)")
    assert all(oracle_allows(demo.directory, "hans", by_id[d]) for d in cited)
    html = page.html()
    hidden = [d["canary"] for d in demo.manifest if not oracle_allows(demo.directory, "hans", d["path"])]
    assert [c for c in hidden if c in html] == []
    if not cited:  # found=false: the answer says so, in the question's language
        assert "nichts gefunden" in page.page.locator("#answer-text").inner_text()
        assert page.page.locator("#answer-sources").is_hidden()
