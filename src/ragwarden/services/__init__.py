"""The composition root: builds the parts from settings. Nothing is built at import time.

Tests and entry points call :func:`build_services` with overrides for any part.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragwarden.acl.principals import NOTHING, Emittable, emittable_of, entra_emittable
from ragwarden.acl.site_groups import SPGROUP
from ragwarden.core.audit import AuditTrail, Interface
from ragwarden.core.errors import AccessControlError, ConfigurationError
from ragwarden.core.models import FailedItem, SourceDocument
from ragwarden.core.ports import AuditSink, Connector, Embedder, PrincipalResolver, SearchMode, VectorIndex
from ragwarden.core.runtime import prepare_process
from ragwarden.core.settings import Settings
from ragwarden.core.sources.spec import default_folder_source_name
from ragwarden.ingestion.source_records import PASS_CONTENT, FreshnessGate
from ragwarden.ingestion.state import StateStore
from ragwarden.ingestion.sync import SyncEngine
from ragwarden.ingestion.sync_report import SyncReport
from ragwarden.retrieval.retriever import Retriever
from ragwarden.services.adapters import build_directory, build_embedder, build_index, query_embedder

log = logging.getLogger(__name__)

__all__ = ["Services", "build_directory", "build_embedder", "build_index", "build_services", "query_embedder"]

Progress = Callable[[Iterable[SourceDocument | FailedItem]], Iterable[SourceDocument | FailedItem]]


@dataclass
class Services:
    settings: Settings
    index: VectorIndex
    embedder: Embedder
    state: StateStore
    directory: PrincipalResolver
    retriever: Retriever
    extras: dict[str, Any] = field(default_factory=dict)
    audit: AuditSink | None = None  # the audit log (build_services always builds one; "off" is a choice)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def audit_trail(self, interface: Interface) -> AuditTrail:
        """What an interface hands each use case so that it records what it returns."""
        if self.audit is None:
            raise ConfigurationError("these services were built without an audit sink")
        return AuditTrail(self.audit, interface)

    def answerer(self) -> Any:
        """The answering use case (``ragwarden.generation.Answerer``), built on first use: the local
        model loads only when someone asks a question."""
        if "answerer" not in self.extras:
            from ragwarden.generation import Answerer, answer_cache_for, build_chat_model

            gs = self.settings  # the one settings object, passed down as it is
            injected = self.extras.get("chat_model")
            model = injected or build_chat_model(gs)
            from ragwarden.generation.extractive import Extractor

            tiny = injected is None and gs.llm_backend == "embedded" and gs.llm_model_path is None
            extractor = Extractor(self.embedder)
            self.extras["answerer"] = Answerer(
                self.retriever, model, gs, extractor=extractor, guard=True, tiny_model=tiny, cache=answer_cache_for(gs)
            )
        return self.extras["answerer"]

    def processor(self) -> Any:
        """Parse and chunk (``ragwarden.ingestion.processing.DocumentProcessor``), built once."""
        if "processor" not in self.extras:
            self.extras["processor"] = self.processor_spec()()
        return self.extras["processor"]

    def processor_spec(self) -> Any:
        """What the processor is built from (``ProcessorSpec``), here and in each parse worker."""
        from ragwarden.ingestion.processing import ProcessorSpec

        s = self.settings  # the embedder's own tokenizer sets the chunk budget
        return ProcessorSpec(s.chunk_tokens, s.chunk_overlap, s.embedding_model, self.max_file_bytes)

    def parse_pool(self) -> Any:
        """The process's parse workers (``RAGWARDEN_PARSE_WORKERS``), or None: parse in this process."""
        from ragwarden.ingestion.parse_pool import shared_pool

        nice, workers = int(self.extras.get("sync_nice", 0)), self.settings.parse_workers
        return self.extras.get("parse_pool") or shared_pool(self.processor_spec(), workers, nice=nice)

    def engine(self, progress: Progress | None = None) -> SyncEngine:
        return SyncEngine(
            self.index,
            self.sync_embedder(),
            self.state,
            self.processor(),
            batch_chunks=max(self.settings.embedding_batch_size * 4, 64),
            progress=progress,
            settle=self.extras.get("settle"),
            pace=self.extras.get("pace"),
            principals=self.principals(),
            parse_pool=self.parse_pool(),
        )

    def principals(self) -> Emittable:
        """What the configured resolvers can put in a caller's scope: the directory (AD or the local
        file) and Entra ID when it authenticates callers, each AD or Entra caller with their SharePoint site
        groups. Every ACL is checked against it at ingest.
        Asked per pass, so a directory that is down fails the pass before anything is changed."""
        given = self.extras.get("principals")
        if given is not None:
            return given
        found = emittable_of([self.directory])
        s = self.settings
        if "entra" in s.auth_modes or s.teams_app_id:
            try:
                found |= entra_emittable(s.ad_extra_domain_sids) | SPGROUP  # entra_people adds site groups
            except AccessControlError as exc:
                raise ConfigurationError(f"RAGWARDEN_AD_EXTRA_DOMAIN_SIDS: {exc}") from exc
        if found == NOTHING:  # every document would fail: say why once, before anything is changed
            raise ConfigurationError(
                "no users directory is configured, so no permission can be checked against who may hold it: "
                "set RAGWARDEN_DIRECTORY_FILE (users and groups YAML) or RAGWARDEN_AD_HOST (Active Directory)"
            )
        return found

    def sync_embedder(self) -> Embedder:
        """What a sync embeds with: the query embedder, unless :meth:`serve_beside_syncs` gave syncs their own."""
        with self._lock:
            if "sync_embedder" not in self.extras:
                make = self.extras.get("sync_embedder_factory")
                self.extras["sync_embedder"] = make() if make is not None else self.embedder
            embedder: Embedder = self.extras["sync_embedder"]
            return embedder

    def warm_up_syncs(self) -> None:
        """Load what the first sync would: the parsers (in the parse workers, if any), the chunker's tokenizer and
        the sync's model (not the directory: a pass asks it afresh), and the German dictionary of compound splitting
        (~1.5 s), which the first German chunk or query would otherwise wait for."""
        from ragwarden.ingestion.partitioners import warm_up
        from ragwarden.retrieval import compounds

        try:
            if (pool := self.parse_pool()) is not None:
                pool.start()  # the workers load the parsers (and their import side effects), not this process
            else:
                warm_up()
            self.processor()
            self.sync_embedder()
            compounds.lexicon()
        except Exception as exc:  # noqa: BLE001 - the sync itself reports what is wrong, with its source
            log.warning("warming up the syncs failed (the first sync will say why): %s", exc)

    def serve_beside_syncs(self, nice: int = 10) -> None:
        """A process that serves searches while it syncs: syncs get their own copy of the model, on all
        cores but one (loaded at the first sync), in threads of lower CPU priority. Sharing one model
        made every search wait behind a sync's batch (search p95 during a full sync was ~3x idle on 2
        cores). A fake or remote embedder without ``replica`` stays shared."""
        self.extras.setdefault("sync_nice", nice)
        replica = getattr(self.embedder, "replica", None)
        threads = int(getattr(self.embedder, "threads", 1))
        if callable(replica) and "sync_embedder" not in self.extras:
            self.extras["sync_embedder_factory"] = lambda: replica(max(1, threads - 1))

    def sync(self, connector: Connector, progress: Progress | None = None) -> SyncReport:
        """A one-off content sync of ``connector``, recorded as a pass of its source (declared with the
        default schedule if it is new, so that a server started later keeps it fresh)."""
        from ragwarden.services.sources import record_pass, spec_for

        if self.state.sources.get(connector.source) is None:
            self.state.sources.declare(spec_for(connector), origin="ingest")
        return record_pass(self, connector.source, PASS_CONTENT, lambda: self.engine(progress).sync(connector))

    def listed_users(self) -> list[tuple[str, str]]:
        """``(user, display name)`` of every enabled user, when the directory is the local users file (the
        demo's user switcher); ``[]`` for a real directory, which is never listed."""
        from ragwarden.acl.local_directory.resolver import LocalDirectory

        directory = self.directory
        if not isinstance(directory, LocalDirectory):
            return []
        return [(u, directory.display_name(u)) for u in directory.users() if directory.is_enabled(u)]

    def retriever_in(self, mode: SearchMode) -> Retriever:
        """The choke point searching in another mode (``dense`` or ``sparse`` alone: the quality benchmark
        compares them with hybrid), behind the same gate."""
        return Retriever(self.index, self.retriever.embedder, mode=mode, gate=self.retriever.gate)

    def index_points(self) -> int:
        """How many points the index holds (for operators: never a search, never shown to anonymous callers)."""
        return self.index.count()

    def settle_index(self) -> None:
        """Fold freshly written points into the index's search structure (the server's idle folder)."""
        self.index.settle()

    @property
    def max_file_bytes(self) -> int:
        return int(self.settings.max_file_size_mb * 1024 * 1024)

    def folder_connector(self, root: Path, source: str | None = None) -> Connector:
        """A folder source; its default name is stable and distinct per folder, so two folders never
        delete each other's documents."""
        from ragwarden.connectors import registry
        from ragwarden.core.sources.spec import SourceSpec
        from ragwarden.services.sources import context

        root = root.resolve()
        if not root.is_dir():
            raise ConfigurationError(f"{root} is not a folder")
        spec = SourceSpec(name=source or default_folder_source_name(root), location=str(root), scheme="folder")
        return registry.build_connector(spec, context(self))  # the one registry of schemes

    def close(self) -> None:
        self.index.close()
        self.state.close()
        close_audit = getattr(self.audit, "close", None)
        if callable(close_audit):
            close_audit()


def build_services(settings: Settings, **overrides: Any) -> Services:
    """Compose every part from ``settings``; any part can be passed in instead (tests)."""
    prepare_process()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    index = overrides.pop("index", None) or build_index(settings)
    embedder = overrides.pop("embedder", None) or build_embedder(settings)
    state = overrides.pop("state", None) or StateStore(settings.state_path)
    directory = overrides.pop("directory", None) or build_directory(settings)
    index.ensure_collection(embedder.dimension)
    # The choke point withholds every source whose permissions are older than its max_acl_age.
    retriever = overrides.pop("retriever", None) or Retriever(
        index, query_embedder(embedder, settings), gate=FreshnessGate(state.sources)
    )
    from ragwarden.services.audit import build_audit  # the audit log (on by default), or "off"

    audit = overrides.pop("audit", None) or build_audit(settings)
    return Services(settings, index, embedder, state, directory, retriever, extras=overrides, audit=audit)
