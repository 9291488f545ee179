"""The search page in a real browser: results as you type, access control as each user sees it,
filters and paging, languages, keyboard use."""

from __future__ import annotations

from pathlib import Path

from tests.api.test_access_matrix import oracle_allows
from tests.browser.pages import SearchPage
from tests.demo_fixtures import Demo


def test_typing_shows_results_with_title_source_date_highlighted_snippet_and_source_link(
    search_page: SearchPage, demo: Demo, artifacts: Path
) -> None:
    page = search_page.open("alice").page
    page.locator("#q").press_sequentially("Urlaubstage", delay=40)
    search_page.wait_rendered("Urlaubstage")
    first = page.locator("#results > li").first
    assert first.locator("h3").inner_text().strip()
    assert first.locator("h3 a").get_attribute("href").startswith("file:///")
    assert first.locator(".meta .source").inner_text() == "demo"
    assert first.locator(".meta time").get_attribute("datetime")
    marks = page.eval_on_selector_all("#results mark", "ms => ms.map(m => m.textContent.toLowerCase())")
    assert marks and all("urlaubst" in m for m in marks), marks  # "Urlaubstagen", or a compound holding it
    assert demo.doc_ids["all-staff/intern/urlaubsrichtlinie.md"] in search_page.doc_ids()
    assert "result" in page.locator("#status").inner_text()
    search_page.screenshot(artifacts / "results-alice.png")


def _restricted(demo: Demo) -> list[dict]:
    return [d for d in demo.indexed if not all(oracle_allows(demo.directory, u, d["path"]) for u in demo.users)]


def _plan(demo: Demo) -> dict[str, tuple[list[dict], list[dict]]]:
    """For every restricted document one user who may see it and one who may not, the users in turn,
    so every user is exercised: user -> (documents expected, documents forbidden)."""
    plan: dict[str, tuple[list[dict], list[dict]]] = {u: ([], []) for u in demo.users}
    for i, doc in enumerate(_restricted(demo)):
        allowed = [u for u in demo.users if oracle_allows(demo.directory, u, doc["path"])]
        denied = [u for u in demo.users if u not in allowed]
        plan[allowed[i % len(allowed)]][0].append(doc)
        plan[denied[i % len(denied)]][1].append(doc)
    return plan


def test_a_restricted_document_appears_only_for_users_who_may_open_it_and_no_hidden_canary_reaches_the_dom(
    search_page: SearchPage, demo: Demo, artifacts: Path
) -> None:
    page = search_page.open()
    plan = _plan(demo)
    assert len(_restricted(demo)) >= 20 and all(a or d for a, d in plan.values())
    leaks, misses = [], []
    for user, (expected, forbidden) in plan.items():
        page.sign_in_as(user)
        hidden_canaries = [d["canary"] for d in demo.manifest if not oracle_allows(demo.directory, user, d["path"])]
        for doc in expected + forbidden:
            shown = page.search(doc["query"])
            wanted = demo.doc_ids[doc["path"]]
            if doc in expected and wanted not in shown:
                misses.append((user, doc["path"]))
            if doc in forbidden and wanted in shown:
                leaks.append((user, doc["path"]))
            html = page.html()
            leaks += [(user, "canary", c) for c in hidden_canaries if c in html]
    assert leaks == []
    assert misses == []
    page.sign_in_as("hans")
    page.search("Gehaltsbänder Entgeltgruppe")
    page.screenshot(artifacts / "results-hans-contractor.png")


def test_filters_by_file_type_source_and_date_and_paging_change_the_results(search_page: SearchPage) -> None:
    page = search_page.open("alice")
    p = page.page
    first = page.search("2026")
    assert len(first) == 10 and p.locator("#next").is_enabled() and p.locator("#prev").is_disabled()

    p.evaluate("() => performance.clearMarks('ragwarden:results')")
    p.click("#next")
    page.wait_rendered("2026")
    second = page.doc_ids()
    assert second and not set(second) & set(first)
    assert p.locator("#prev").is_enabled() and "11" in p.locator("#status").inner_text()
    p.evaluate("() => performance.clearMarks('ragwarden:results')")
    p.click("#prev")
    page.wait_rendered("2026")
    assert page.doc_ids() == first

    p.evaluate("() => performance.clearMarks('ragwarden:results')")
    p.locator("#f-type label", has_text="pdf").click()
    page.wait_rendered("2026")
    types = p.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.fileType)")
    assert types and set(types) == {"pdf"}
    assert p.locator("#f-type input:checked").count() == 1

    p.evaluate("() => performance.clearMarks('ragwarden:results')")
    p.locator("#f-source label", has_text="demo").click()
    page.wait_rendered("2026")
    assert set(p.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.source)")) == {"demo"}

    p.evaluate("() => performance.clearMarks('ragwarden:results')")
    p.fill("#f-to", "2000-01-01")
    page.wait_rendered("2026")
    assert page.doc_ids() == []
    assert p.locator("#f-type input:checked").count() == 1  # a chosen option stays visible at count 0

    p.evaluate("() => performance.clearMarks('ragwarden:results')")
    p.click("#f-clear")
    page.wait_rendered("2026")
    assert page.doc_ids() == first


def test_the_ui_follows_the_browser_language_switches_and_remembers_the_choice(
    german_page: SearchPage, artifacts: Path
) -> None:
    page = german_page.open("bernd")
    p = page.page
    assert p.get_attribute("html", "lang") == "de"
    assert p.locator("label[for=q]").inner_text() == "Ihre Dokumente durchsuchen"
    assert p.locator("#ask").inner_text() == "Frage stellen"
    page.search("Urlaubsrichtlinie")
    assert "Ergebnis" in p.locator("#status").inner_text()
    assert "Geändert am" in p.locator("#results .date").first.inner_text()
    page.screenshot(artifacts / "german-ui.png")

    p.select_option("#lang", "en")
    assert p.get_attribute("html", "lang") == "en"
    assert p.locator("label[for=q]").inner_text() == "Search your documents"
    assert "result" in p.locator("#status").inner_text()  # what is on screen is re-rendered too
    p.reload()
    p.wait_for_function("() => document.getElementById('signed-in').textContent !== ''")
    assert p.get_attribute("html", "lang") == "en" and p.locator("#ask").inner_text() == "Ask"
    assert p.locator("#user").input_value() == "bernd"  # the demo user is remembered too


def test_the_page_works_from_the_keyboard_escape_clears_and_focus_is_visible(search_page: SearchPage) -> None:
    page = search_page.open("clara")
    p = page.page
    p.keyboard.press("Tab")
    assert p.evaluate("() => document.activeElement.classList.contains('skip-link')")
    p.keyboard.press("Enter")
    assert p.evaluate("() => document.activeElement.id") == "q"
    outline = p.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    p.keyboard.type("event sourcing")
    page.wait_rendered("event sourcing")
    assert page.doc_ids()
    p.keyboard.press("Escape")
    assert p.locator("#q").input_value() == "" and page.doc_ids() == []
    for landmark in ("[role=search]", "main", "nav[aria-label]", "#status[aria-live=polite]"):
        assert p.locator(landmark).count() == 1, landmark
    assert p.locator("#answer-text[aria-live=polite]").count() == 1
    unlabelled = p.evaluate(
        """() => [...document.querySelectorAll('input, select')]
              .filter(e => !e.labels || e.labels.length === 0).map(e => e.id)"""
    )
    assert unlabelled == []


# Every visible element with its own text, whose colour against its effective background is below
# WCAG AA's 4.5:1 (disabled controls are exempt).
LOW_CONTRAST = """() => {
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (css) => {
    const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map(Number).map(channel);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor, parts = c.match(/[\\d.]+/g);
      if (parts && (parts.length < 4 || Number(parts[3]) > 0)) return c;
    }
    return "rgb(255, 255, 255)";
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!el.getClientRects().length || el.closest("button:disabled, [hidden]")) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = luminance(getComputedStyle(el).color), b = luminance(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def test_text_meets_wcag_aa_contrast_in_light_and_dark_schemes_and_motion_can_be_reduced(
    search_page: SearchPage,
) -> None:
    page = search_page.open("dirk")
    p = page.page
    page.search("Projekt Seestern Meilensteine")
    assert page.doc_ids()
    for scheme in ("light", "dark"):
        p.emulate_media(color_scheme=scheme)
        assert p.evaluate(LOW_CONTRAST) == [], scheme
    p.emulate_media(reduced_motion="reduce")
    p.evaluate("() => document.querySelector('#results > li').classList.add('flash')")
    assert p.evaluate("() => getComputedStyle(document.querySelector('#results > li')).animationName") == "none"
