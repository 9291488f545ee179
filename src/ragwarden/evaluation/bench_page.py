"""``ragwarden bench page``: keystroke → results rendered on the intranet search page, in a real
browser (Debian's chromium driven by Playwright), over the demo corpus.

Queries are typed a key at a time like a person, as the demo users in turn. The clock starts at the
last keystroke's keydown (the event's own timestamp) and stops at the page's ``ragwarden:results``
mark, which the page sets once the results for exactly that query are in the DOM and the frame has
painted. Beside it, the server's own time for that same ``/v1/search`` request (its Server-Timing).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.evaluation.percentiles import p95 as _p95

CHROMIUM = Path("/usr/bin/chromium")
# No network beyond the page's own server: nothing phones home, nothing updates itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_TARGET_MS = 150.0
SERVER_TARGET_MS = 50.0
MAX_QUERY_CHARS = 48  # longer questions are cut at a word: a person types keywords into a search box

# Installed before the page's own scripts: the time of the last keystroke. Characters that the
# keyboard cannot type directly (ä, ß, …) arrive as input without a keydown; their input counts.
KEYSTROKE_CLOCK = """
(() => {
  let keyDown = false;
  window.__lastKeystroke = 0;
  addEventListener("keydown", (e) => { window.__lastKeystroke = e.timeStamp; keyDown = true; }, true);
  addEventListener("input", (e) => { if (!keyDown) window.__lastKeystroke = e.timeStamp; keyDown = false; }, true);
})();
"""
RENDERED = """(query) => {
  const mark = performance.getEntriesByName("ragwarden:results").at(-1);
  if (!mark || mark.detail.query !== query || mark.startTime < window.__lastKeystroke) return null;
  const d = mark.detail, key = window.__lastKeystroke;
  return { browser_ms: mark.startTime - key, server_ms: d.server_ms, wait_ms: d.sent - key,
           request_ms: d.received - d.sent, paint_ms: mark.startTime - d.received,
           results: document.querySelectorAll("#results > li").length };
}"""


@dataclass(frozen=True)
class Sample:
    user: str
    query: str
    browser_ms: float
    server_ms: float | None
    results: int
    wait_ms: float = 0.0  # last keystroke → request sent (the debounce)
    request_ms: float = 0.0  # request sent → response parsed (server, network, JSON)
    paint_ms: float = 0.0  # response → results rendered and painted


@contextlib.contextmanager
def serve(app: Any, *, log_level: str = "warning", graceful_shutdown: int | None = None) -> Iterator[str]:
    """The app on a free loopback port in a background thread; yields its base URL. On exit, requests
    still open are cut after ``graceful_shutdown`` seconds (``None``: uvicorn waits for them)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", timeout_graceful_shutdown=graceful_shutdown)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the page server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium, headless, with a fresh temporary profile (Playwright never downloads one)."""
    if not CHROMIUM.exists():
        from ragwarden.core.errors import ConfigurationError

        raise ConfigurationError(f"{CHROMIUM} is missing: apt-get install chromium")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def bench_queries(count: int, users: list[str]) -> list[tuple[str, str]]:
    """``count`` (user, query) pairs: the manifest's distinctive queries, the bilingual question set,
    and shorter forms of both (first words, last words), the demo users in turn."""
    from importlib import resources

    import yaml

    from ragwarden.demo.loader import load_manifest

    questions = yaml.safe_load((resources.files("ragwarden.evaluation") / "questions.yaml").read_text("utf-8"))
    base = [d["query"] for d in load_manifest()] + [q["question"] for q in questions]
    words = [re.findall(r"[\w-]+", text) for text in base]
    variants = [" ".join(w[:2]) for w in words] + [" ".join(w[-2:]) for w in words] + [w[0] for w in words]
    pool = list(dict.fromkeys(_cut(q) for q in base + variants if len(q.strip()) >= 3))
    return [(users[i % len(users)], pool[i % len(pool)]) for i in range(count)]


def _cut(text: str) -> str:
    text = text.strip().rstrip("?")
    return text if len(text) <= MAX_QUERY_CHARS else text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]


def type_queries(
    page: Any, plan: list[tuple[str, str]], delay_ms: float, progress: Callable[[str], None] | None = None
) -> list[Sample]:
    """Types each query into the page as its user; one sample per query."""
    samples = []
    box = page.locator("#q")
    for user, query in plan:
        if page.locator("#user").input_value() != user:
            page.select_option("#user", user)
            page.wait_for_function("(u) => document.getElementById('signed-in').dataset.user === u", arg=user)
        box.press("Escape")  # clears the box and the list
        page.evaluate("() => performance.clearMarks('ragwarden:results')")
        box.press_sequentially(query, delay=delay_ms)
        found = page.wait_for_function(RENDERED, arg=query, timeout=30_000).json_value()
        samples.append(Sample(user, query, **found))
        if progress and len(samples) % 25 == 0:
            progress(f"{len(samples)}/{len(plan)} queries typed")
    return samples


def run(
    base_url: str,
    browser: Any,
    plan: list[tuple[str, str]],
    delay_ms: float = 80.0,
    progress: Callable[[str], None] | None = None,
) -> list[Sample]:
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    try:
        context.add_init_script(KEYSTROKE_CLOCK)
        page = context.new_page()
        page.goto(base_url + "/")
        page.wait_for_function("() => document.getElementById('user').options.length > 0")
        type_queries(page, plan[:1], delay_ms)  # warm-up, not counted: first embedding, first layout
        return type_queries(page, plan, delay_ms, progress)
    finally:
        context.close()


def report(samples: list[Sample], delay_ms: float) -> tuple[str, bool]:
    """The table, and whether both targets are met."""
    users = len({s.user for s in samples})
    lines = [
        f"ragwarden bench page: {len(samples)} queries typed in chromium, {delay_ms:.0f} ms per key, {users} users",
        f"{'':24} {'count':>6} {'median':>8} {'p95':>8} {'max':>8}   target",
    ]
    ok = True
    rows = (
        ("keystroke → rendered", [s.browser_ms for s in samples], BROWSER_TARGET_MS),
        ("server /v1/search", [s.server_ms for s in samples if s.server_ms is not None], SERVER_TARGET_MS),
    )
    for name, values, target in rows:
        if not values:
            lines.append(f"{name:24} no samples")
            ok = False
            continue
        p95 = _p95(values)
        passed = p95 <= target
        ok = ok and passed
        lines.append(
            f"{name:24} {len(values):6d} {statistics.median(values):8.1f} {p95:8.1f} {max(values):8.1f}"
            f"   p95 ≤ {target:.0f} ms  {'pass' if passed else 'FAIL'}"
        )
    if samples:
        lines.append(
            "median split of keystroke → rendered: "
            f"debounce {statistics.median(s.wait_ms for s in samples):.1f} ms, "
            f"request {statistics.median(s.request_ms for s in samples):.1f} ms, "
            f"render+paint {statistics.median(s.paint_ms for s in samples):.1f} ms"
        )
    lines.append("all targets met" if ok else "a target was missed")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench page", description=__doc__)
    parser.add_argument("--queries", type=int, default=200, help="how many queries to type (default 200)")
    parser.add_argument("--delay", type=float, default=80.0, help="milliseconds between keys (default 80)")
    parser.add_argument("--data-dir", help="reuse this demo data folder instead of a temporary one")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("bench page needs Playwright: pip install 'ragwarden[browser]' (and apt-get install chromium)")
        return 2
    with _demo_app(args.data_dir) as (app, users), serve(app) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            samples = run(url, browser, bench_queries(args.queries, users), args.delay, _stderr)
        finally:
            browser.close()
    text, ok = report(samples, args.delay)
    print(text)
    return 0 if ok else 1


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _demo_app(data_dir: str | None) -> Iterator[tuple[Any, list[str]]]:
    """The demo corpus ingested (into a temporary folder unless given), served in ``local`` mode."""
    from ragwarden.acl.local_directory.resolver import LocalDirectory
    from ragwarden.api.app import create_app
    from ragwarden.demo.loader import demo_settings, ingest_demo
    from ragwarden.services import build_services

    with tempfile.TemporaryDirectory() as tmp:
        update = {"auth_mode": "local", "host": "127.0.0.1", "expose_timings": True}  # it reads Server-Timing
        settings = demo_settings(data_dir or tmp).model_copy(update=update)
        services = build_services(settings)
        try:
            ingest_demo(services)
            directory = services.directory
            assert isinstance(directory, LocalDirectory)
            yield create_app(services), [u for u in directory.users() if directory.is_enabled(u)]
        finally:
            services.close()
