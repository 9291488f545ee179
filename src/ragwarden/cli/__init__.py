"""The ``ragwarden`` command. Each command parses its arguments, builds, and calls; imports are lazy
so that ``ragwarden --help`` is instant."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ragwarden.core.errors import RagwardenError
from ragwarden.core.runtime import prepare_process

#: the names of ``ragwarden bench``'s benchmarks (``ragwarden.evaluation.benchmarks`` runs them; a test keeps
#: the two lists equal, so the parser need not import every benchmark to show its choices)
BENCHMARKS = ("retrieval", "ingest", "quality", "answers", "answer", "answer-api", "answer-cache", "page", "identity",
              "smb", "freshness", "teams", "sharepoint", "audit", "throughput", "scale")


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from ragwarden.core.settings import load_settings

    overrides = {k: v for k, v in extra.items() if v is not None}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "directory", None):
        overrides["directory_file"] = Path(args.directory)
    if getattr(args, "sources", None):
        overrides["sources_file"] = Path(args.sources)
    return load_settings(**overrides)


class InvalidArgument(RagwardenError):
    """A command line that cannot be served."""


def _services(args: argparse.Namespace, **extra: Any) -> Any:
    from ragwarden.services import build_services

    return build_services(_settings(args, **extra))


def cmd_ingest(args: argparse.Namespace) -> int:
    from ragwarden.cli.operations import ingest

    return ingest(_settings(args), args.path, args.name)


def cmd_sync(args: argparse.Namespace) -> int:
    from ragwarden.cli.operations import sync_source

    return sync_source(_settings(args), args.name, "acl" if args.acl else "content")


def cmd_sources(args: argparse.Namespace) -> int:
    from ragwarden.cli.operations import list_sources, remove_source

    if args.action == "remove":
        if not args.name:
            raise InvalidArgument("usage: ragwarden sources remove NAME")
        return remove_source(_settings(args), args.name)
    return list_sources(_settings(args), as_json=args.json)


def cmd_verify(args: argparse.Namespace) -> int:
    from ragwarden.cli.operations import run_verify

    return run_verify(_settings(args), sample=args.sample, source=args.source, as_json=args.json)


def cmd_serve(args: argparse.Namespace) -> int:
    from ragwarden.api.service import serve
    from ragwarden.cli.operations import check_sources_file
    from ragwarden.services import build_services

    settings = _settings(args, host=args.host, port=args.port)
    check_sources_file(settings)
    services = build_services(settings)
    try:
        serve(services, sync=not args.no_sync)
    finally:
        services.close()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from ragwarden.api.service import run_worker
    from ragwarden.cli.operations import check_sources_file
    from ragwarden.services import build_services

    settings = _settings(args)
    check_sources_file(settings)
    services = build_services(settings)
    try:
        run_worker(services)
    finally:
        services.close()
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from ragwarden.cli.queries import search

    return search(_services(args), args)


def cmd_ask(args: argparse.Namespace) -> int:
    from ragwarden.cli.queries import ask

    return ask(_services(args), args)


def cmd_explain(args: argparse.Namespace) -> int:
    from ragwarden.cli.explain import explain

    services = _services(args)
    try:
        text, allowed = explain(services, args.as_user, args.document)
    finally:
        services.close()
    print(text)
    return 0 if allowed else 1


def cmd_whoami(args: argparse.Namespace) -> int:
    from ragwarden.cli.explain import whoami

    return whoami(_settings(args), args.as_user, args.json)


def cmd_demo(args: argparse.Namespace) -> int:
    from ragwarden.cli.console import print_sync_report, progress_bar
    from ragwarden.demo.runner import run_demo

    return run_demo(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        serve=not args.no_serve,
        progress=progress_bar("demo corpus"),
        report=print_sync_report,
    )


def cmd_licenses(args: argparse.Namespace) -> int:
    from ragwarden.cli.console import print_licenses

    return print_licenses(as_json=args.json, policy=args.check)


def cmd_audit(args: argparse.Namespace) -> int:
    from ragwarden.cli import audit

    return audit.run(_settings(args), args)


def cmd_privacy(args: argparse.Namespace) -> int:
    from ragwarden.cli import privacy

    return privacy.run(_settings(args), args)


def cmd_bench(args: argparse.Namespace) -> int:
    from ragwarden.evaluation.benchmarks import run

    return run(args.which, args.rest)


def _parser() -> argparse.ArgumentParser:
    # Long on purpose: the whole command line in one table, read top to bottom (one `add` per command).
    parser = argparse.ArgumentParser(
        prog="ragwarden",
        description="Permission-aware search and answers over your organisation's documents.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        p.add_argument("--data-dir", help="where the index and sync state live (RAGWARDEN_DATA_DIR)")
        return p

    p = add("demo", cmd_demo, "ingest the bundled bilingual sample corpus and serve the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="ingest and show sample searches, then exit")

    p = add("ingest", cmd_ingest, "sync a folder (with .acl.json sidecars) or smb://server/share/path into the index")
    p.add_argument("path")
    p.add_argument("--name", help="the source's name (default: derived from the folder or URL, stable)")

    p = add("serve", cmd_serve, "serve the REST API and keep every source in sync")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--sources", help="the sources YAML (RAGWARDEN_SOURCES_FILE)")
    p.add_argument("--no-sync", action="store_true", help="serve only; a `ragwarden worker` runs the syncs")

    p = add("worker", cmd_worker, "keep every source in sync without serving the API (Qdrant server backend)")
    p.add_argument("--sources", help="the sources YAML (RAGWARDEN_SOURCES_FILE)")

    p = add("sync", cmd_sync, "sync a recorded source now (content, or --acl for permissions only)")
    p.add_argument("name")
    p.add_argument("--acl", action="store_true", help="the permission-only pass")

    p = add("sources", cmd_sources, "the sources, their state and the age of their permissions")
    p.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    p.add_argument("name", nargs="?")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--sources", help="the sources YAML (RAGWARDEN_SOURCES_FILE)")

    p = add("verify", cmd_verify, "compare indexed ACLs with their source (exit 1 on drift)")
    p.add_argument("--sample", type=int, help="how many documents (default: all)")
    p.add_argument("--source", help="only this source")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add("search", cmd_search, "search as a user, with that user's permissions")
    _as_user(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("query")

    p = add("ask", cmd_ask, "ask a question as a user; the local LLM answers from that user's documents")
    _as_user(p)
    p.add_argument("question")

    p = add("explain", cmd_explain, "may this user see this document, and which token decided")
    _as_user(p)
    p.add_argument("document", help="doc id, path relative to the ingested folder, or file:// URI")

    p = add("whoami", cmd_whoami, "the principal tokens a user resolves to, with names")
    _as_user(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("licenses", help="every run-time dependency and shipped model with its licence")
    p.set_defaults(func=cmd_licenses)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--check", metavar="ALLOWLIST", help="exit 1 when a licence is outside this YAML allow-list")

    from ragwarden.cli import audit, privacy

    audit.add_parser(add, cmd_audit)
    privacy.add_parser(add, cmd_privacy)

    p = sub.add_parser("bench", help="run a benchmark: " + ", ".join(BENCHMARKS))
    p.set_defaults(func=cmd_bench)
    p.add_argument("which", choices=sorted(BENCHMARKS))
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options (see its --help)")
    return parser


def _as_user(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as", dest="as_user", required=True, metavar="USER", help="the user to act as")
    p.add_argument("--directory", help="users-and-groups YAML (RAGWARDEN_DIRECTORY_FILE)")


def main(argv: Sequence[str] | None = None) -> int:
    prepare_process()  # offline, no usage pings, passive OpenMP: before anything loads a model
    args = _parser().parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except RagwardenError as exc:
        print(f"ragwarden: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
