"""The search page as the browser tests drive it. Waits are on page state, never on time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The results on screen belong to exactly this query (the page marks each rendered response).
RENDERED = """(query) => {
  const mark = performance.getEntriesByName("ragwarden:results").at(-1);
  return !!mark && mark.detail.query === query;
}"""
ANSWER_FINISHED = "() => ['done', 'error'].includes(document.getElementById('answer').dataset.state)"
ANSWER_TIMEOUT_MS = 120_000  # the tiny local model, on a shared 2-core machine


@dataclass
class SearchPage:
    page: Any
    url: str
    problems: list[str] = field(default_factory=list)

    def open(self, user: str | None = None) -> SearchPage:
        self.page.goto(self.url + "/")
        self.page.wait_for_function("() => document.getElementById('signed-in').textContent !== ''")
        if user:
            self.sign_in_as(user)
        return self

    def sign_in_as(self, user: str) -> None:
        if self.page.locator("#user").input_value() != user:
            self.page.select_option("#user", user)
        self.page.wait_for_function("(u) => document.getElementById('signed-in').dataset.user === u", arg=user)

    def search(self, query: str) -> list[str]:
        """Types ``query`` (as one edit) and waits for its results; the doc ids on screen."""
        self.page.evaluate("() => performance.clearMarks('ragwarden:results')")
        self.page.fill("#q", query)
        self.page.wait_for_function(RENDERED, arg=query)
        return self.doc_ids()

    def wait_rendered(self, query: str) -> None:
        self.page.wait_for_function(RENDERED, arg=query)

    def doc_ids(self) -> list[str]:
        ids: list[str] = self.page.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.docId)")
        return ids

    def ask(self) -> None:
        """Presses Enter in the search box and waits for the answer to finish."""
        self.page.locator("#q").press("Enter")
        self.page.wait_for_function(ANSWER_FINISHED, timeout=ANSWER_TIMEOUT_MS)

    def html(self) -> str:
        content: str = self.page.content()
        return content

    def assert_clean(self) -> None:
        """No CSP violation and no uncaught script error happened on this page."""
        violations = self.page.evaluate("() => window.__cspViolations || []")
        assert violations == [], violations
        assert self.problems == []

    def screenshot(self, path: Any) -> None:
        self.page.screenshot(path=str(path), full_page=True)
