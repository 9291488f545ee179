"""A search typed into the page is recorded as the page's (``interface: page``), with alice's pseudonym and,
for every document on screen, the granting token: the smallest of her tokens that the document allows."""

from __future__ import annotations

import json

from tests.browser.pages import SearchPage
from tests.demo_fixtures import Demo


def test_a_search_on_the_page_is_recorded_with_the_granting_tokens(search_page: SearchPage, demo: Demo) -> None:
    audit_dir = demo.services.settings.audit_path
    page = search_page.open("alice").page
    page.locator("#q").press_sequentially("Urlaubstage", delay=40)
    search_page.wait_rendered("Urlaubstage")
    shown = search_page.doc_ids()
    keys = demo.services.audit.keys  # type: ignore[union-attr]
    alice = keys.existing("alice")
    tokens = demo.services.directory.resolve("alice").tokens
    rows = [json.loads(line) for p in sorted(audit_dir.glob("audit-*.jsonl")) for line in p.read_text().splitlines()]
    mine = [r for r in rows if r.get("interface") == "page" and r["caller"] == alice]
    record = next(r for r in reversed(mine) if {d["doc_id"] for d in r["documents"]} == set(shown))
    for doc in record["documents"]:
        acl = demo.services.state.get(doc["doc_id"]).acl  # type: ignore[union-attr]
        assert doc["grants"] == [
            {"reader": alice, "allow": min(acl.allow & tokens), "share": min(acl.share & tokens) if acl.share else None}
        ]
