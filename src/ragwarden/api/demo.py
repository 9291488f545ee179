"""``ragwarden demo``: the bundled bilingual corpus, its users, and the API, on embedded defaults."""

from __future__ import annotations

from ragwarden.api.auth import is_loopback
from ragwarden.api.console import print_sync_report, progress_bar
from ragwarden.evaluation.demo_corpus import demo_settings, ingest_demo
from ragwarden.services import Services, build_services

SAMPLE_QUERIES = ("Gehalt", "vacation days carry over")


def run_demo(*, host: str, port: int, data_dir: str | None, serve: bool) -> int:
    # On loopback the search page offers a user switcher (local mode); anywhere else requests must come
    # through an authenticating reverse proxy.
    mode = "local" if is_loopback(host) else "trusted-header"
    # The demo serves its own corpus only: a RAGWARDEN_SOURCES_FILE in the environment would declare it away.
    settings = demo_settings(data_dir, host=host, port=port, auth_mode=mode, sources_file=None)
    services = build_services(settings)
    try:
        print_sync_report(ingest_demo(services, progress_bar("demo corpus")))
        _print_users(services)
        if not serve:
            _sample_searches(services)
            return 0
        _serve(services)
    finally:
        services.close()
    return 0


def _print_users(services: Services) -> None:
    from ragwarden.acl.local_directory import LocalDirectory

    directory = services.directory
    if not isinstance(directory, LocalDirectory):
        return
    print("\nDemo users (each sees only what their groups allow):")
    for user in directory.users():
        groups = sorted(t.partition(":")[2] for t in directory.resolve(user).tokens if t.startswith("group:"))
        print(f"  {user:10} {directory.display_name(user):22} groups: {', '.join(groups) or '-'}")


def _sample_searches(services: Services) -> None:
    from ragwarden.acl.local_directory import LocalDirectory
    from ragwarden.retrieval.documents import search_documents

    directory = services.directory
    assert isinstance(directory, LocalDirectory)
    for query in SAMPLE_QUERIES:
        print(f"\nSearch {query!r}:")
        for user in directory.users():
            results = search_documents(services.retriever, directory.resolve(user), query, 5)
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
