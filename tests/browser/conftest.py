"""A real browser against the real app: Debian's chromium driven by Playwright, the app served by
uvicorn on a loopback port over the session's demo corpus, in ``local`` mode (the demo user switcher).

Every page a test opens is watched: a Content-Security-Policy violation or an uncaught script error
fails the test that caused it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.api.app import create_app
from ragwarden.api.auth import CombinedAuthenticator, LocalAuthenticator
from ragwarden.evaluation.bench_page import CHROMIUM, launch_chromium, serve
from tests.browser.pages import SearchPage
from tests.demo_fixtures import Demo

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

# Watches the page from before its own scripts run; CSP reports arrive as DOM events too.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective));
"""


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def page_url(demo: Demo) -> Iterator[str]:
    """The app as `ragwarden demo` serves it: local mode, so /v1/ui/config offers the user switcher."""
    local = dataclasses.replace(
        demo.services, settings=demo.services.settings.model_copy(update={"auth_mode": "local"})
    )
    app = create_app(local, authenticator=CombinedAuthenticator([LocalAuthenticator(local.directory)]))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; the browser tests must run in CI")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright  # the dev extra: a missing one is an error, not a skip

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def open_page(browser: Any, url: str, locale: str = "en-US") -> tuple[Any, SearchPage]:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if "Content Security Policy" in m.text else None,
    )
    return context, SearchPage(page, url, problems)


@pytest.fixture
def search_page(browser: Any, page_url: str) -> Iterator[SearchPage]:
    """A fresh browser context (no stored language or user) on the page, English browser."""
    context, page = open_page(browser, page_url)
    yield page
    page.assert_clean()
    context.close()


@pytest.fixture
def german_page(browser: Any, page_url: str) -> Iterator[SearchPage]:
    context, page = open_page(browser, page_url, locale="de-DE")
    yield page
    page.assert_clean()
    context.close()
