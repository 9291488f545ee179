"""``ragwarden demo``: the bundled bilingual corpus, its users, and the API, on embedded defaults."""

from __future__ import annotations

from collections.abc import Callable

from ragwarden.api.auth import is_loopback
from ragwarden.demo.loader import demo_settings, ingest_demo
from ragwarden.ingestion.sync_report import SyncReport
from ragwarden.services import Progress, Services, build_services

SAMPLE_QUERIES = ("Gehalt", "vacation days carry over")


def run_demo(
    *,
    host: str,
    port: int,
    data_dir: str | None,
    serve: bool,
    progress: Progress | None = None,
    report: Callable[[SyncReport], None] | None = None,
) -> int:
    """Ingest the demo corpus (``progress`` sees each document, ``report`` the sync's outcome), print its users,
    then serve, or with ``serve=False`` print sample searches and return."""
    # On loopback the search page offers a user switcher (local mode); anywhere else requests must come
    # through an authenticating reverse proxy.
    mode = "local" if is_loopback(host) else "trusted-header"
    # The demo serves its own corpus only: a RAGWARDEN_SOURCES_FILE in the environment would declare it away.
    settings = demo_settings(data_dir, host=host, port=port, auth_mode=mode, sources_file=None)
    services = build_services(settings)
    try:
        outcome = ingest_demo(services, progress)
        (report or _print_summary)(outcome)
        _print_users(services)
        if not serve:
            _sample_searches(services)
            return 0
        _serve(services)
    finally:
        services.close()
    return 0


def _print_summary(report: SyncReport) -> None:
    print(report.summary)


def _print_users(services: Services) -> None:
    users = services.listed_users()
    if not users:
        return
    print("\nDemo users (each sees only what their groups allow):")
    for user, name in users:
        groups = sorted(t.partition(":")[2] for t in services.directory.resolve(user).tokens if t.startswith("group:"))
        print(f"  {user:10} {name:22} groups: {', '.join(groups) or '-'}")


def _sample_searches(services: Services) -> None:
    from ragwarden.retrieval.documents import search_documents

    for query in SAMPLE_QUERIES:
        print(f"\nSearch {query!r}:")
        for user, _name in services.listed_users():
            results = search_documents(
                services.retriever, services.directory.resolve(user), query, 5, audit=services.audit_trail("cli")
            )
            titles = "; ".join(r.title for r in results[:3])
            print(f"  {user:10} {len(results)} results: {titles}")


def _serve(services: Services) -> None:
    from ragwarden.api.service import serve

    s = services.settings
    url = f"http://{s.host}:{s.port}"
    if "local" in s.auth_modes:
        who = "-H 'X-Remote-User: alice'"
        print(f"\nragwarden demo: open {url}/ and pick a demo user (API docs: {url}/docs)")
    else:
        who = f"-H 'X-Remote-User: alice' -H 'X-Proxy-Secret: {s.require_proxy_secret().get_secret_value()}'"
        print(f"\nragwarden demo at {url}; requests come as if from an authenticating proxy")
    print(
        "The API, as the page uses it:\n"
        f"  curl -s {url}/v1/search {who} \\\n"
        '       -H \'Content-Type: application/json\' -d \'{"query": "Gehalt", "limit": 5}\'\n'
        "Stop with Ctrl+C.\n"
    )
    # Served like any server: its scheduler re-reads the corpus' permissions, so the demo is not withheld
    # as stale an hour after it started.
    serve(services, log_level="warning")
