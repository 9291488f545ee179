"""The AI notice on the page (EU AI Act Art. 50), in a real browser: a generated answer is labelled
"AI-generated" with its model, in the page's language, while it streams and when it is done; quotes the
system selected are labelled as such and not as AI-generated; the "not found" reply and the search results
carry no label; the real server's stream is labelled by what its ``done`` event says."""

from __future__ import annotations

from typing import Any

from tests.browser.pages import SearchPage
from tests.browser.test_answer_quotes import _ask, _done, _passed_through

ORIGIN = "#answer-origin"


def test_a_generated_answer_is_labelled_ai_generated_with_its_model_in_both_languages(
    search_page: SearchPage,
) -> None:
    done = _done(mode="generated", answer="Resturlaub verfällt am 31. März [1].", ai_generated=True,
                 model="smollm2-135m", quotes_selected_automatically=False)
    p = _ask(search_page.open("alice"), done)
    label = p.locator(ORIGIN)
    assert label.is_visible() and label.get_attribute("data-origin") == "ai-generated"
    assert label.inner_text() == "AI-generated answer (smollm2-135m): check it against the sources."
    assert p.locator("#answer-text").inner_text().startswith("Resturlaub")  # the answer's text is untouched
    p.select_option("#lang", "de")
    assert label.inner_text() == "KI-generierte Antwort (smollm2-135m): bitte anhand der Quellen prüfen."
    assert p.locator("#results .ai-notice, #results [data-origin]").count() == 0  # results are not marked


def test_quotes_are_labelled_as_selected_automatically_not_as_ai_generated(german_page: SearchPage) -> None:
    done = _done(ai_generated=False, model=None, quotes_selected_automatically=True)
    p = _ask(german_page.open("alice"), done)
    label = p.locator(ORIGIN)
    assert label.get_attribute("data-origin") == "quotes-selected"
    assert label.inner_text() == "Automatisch ausgewählte Zitate aus Ihren Dokumenten (kein KI-generierter Text)."
    assert "KI-generierte Antwort" not in p.locator("#answer").inner_text()


def test_the_not_found_reply_carries_no_label(search_page: SearchPage) -> None:
    done = _done(found=False, mode="generated", sentences=[], citations=[], ai_generated=False, model=None,
                 quotes_selected_automatically=False, answer="I could not find this.")
    p = _ask(search_page.open("alice"), done)
    assert p.locator(ORIGIN).is_hidden()


def test_the_real_servers_answer_is_labelled_by_its_origin(search_page: SearchPage) -> None:
    page = search_page.open("alice")
    p = page.page
    seen: list[dict[str, Any]] = []
    p.route("**/v1/answer", _passed_through(seen))
    page.search("Wie viele Urlaubstage kann ich ins nächste Jahr mitnehmen?")
    page.ask()
    assert p.get_attribute("#answer", "data-state") == "done"
    (done,) = seen
    assert isinstance(done["ai_generated"], bool) and "quotes_selected_automatically" in done
    label = p.locator(ORIGIN)
    if not done["found"]:
        assert label.is_hidden()
    elif done["ai_generated"]:
        assert done["model"] and label.inner_text().startswith(f"AI-generated answer ({done['model']})")
    else:
        assert done["quotes_selected_automatically"] and done["model"] is None
        assert label.get_attribute("data-origin") == "quotes-selected"
