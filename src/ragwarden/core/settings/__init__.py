"""Typed settings, built once at the entry point and passed down.

Sources, strongest first: keyword arguments, environment (prefix ``RAGWARDEN_``), the YAML file named by
``RAGWARDEN_CONFIG_FILE``, defaults.

:class:`Settings` is composed of field groups, each with the checks that concern it alone:
``generation`` (the LLM and answering, :class:`GenerationFields`, which the generation layer takes) and
``identity`` (Active Directory, Entra ID, the Teams bot). The rest (data, authentication modes, SMB, the
index, search, the service) and the checks across groups are here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.settings.audit import AuditFields
from ragwarden.core.settings.generation import GenerationFields
from ragwarden.core.settings.identity import ADFields, TeamsFields
from ragwarden.core.settings.placeholders import PLACEHOLDER_SECRETS

AuthMode = Literal["trusted-header", "entra", "local"]
# Relevance floors calibrated for the shipped embedder (python -m ragwarden.evaluation.relevance_floor)
DENSE_FLOOR = 0.4
# No BM25 floor by default: its unit is the IDF of a word one chunk holds, and where the query's words are in
# most of what a caller sees (a small corpus, a word on every page), a chunk holding every query word scores
# below it and a document plainly matching the query is not listed (measured: "Kantine Speiseplan" lost the
# canteen menu). With it, precision@10 on the demo questions is 0.34 instead of 0.21; set it where corpora
# are large and varied.
SPARSE_FLOOR: float | None = None
NO_FLOOR = {"none", "off", "null", ""}  # the values of RAGWARDEN_SEARCH_*_FLOOR that switch a floor off


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ragwarden"


#: seconds a resolved caller's groups are reused (RAGWARDEN_PRINCIPAL_CACHE_TTL): the one default
PRINCIPAL_CACHE_TTL = 60.0


class Settings(BaseSettings, GenerationFields, ADFields, TeamsFields, AuditFields):
    """Every setting of the application; the groups it inherits come from ``generation`` and ``identity``."""

    model_config = SettingsConfigDict(env_prefix="RAGWARDEN_", extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir)
    directory_file: Path | None = None
    # One mode or several, comma-separated ("entra,trusted-header"): a request is accepted by the
    # first mode whose credentials it carries.
    auth_mode: str = "trusted-header"
    proxy_secret: SecretStr | None = None
    principal_cache_ttl: float = Field(default=PRINCIPAL_CACHE_TTL, ge=0)

    # SMB file shares (ragwarden ingest smb://server/share/path); credentials never go in the URL
    smb_username: str | None = None
    smb_password: SecretStr | None = None
    smb_port: int = Field(default=445, ge=1, le=65535)
    smb_share_allow: list[str] = Field(default_factory=list)  # SIDs the share permission admits

    # SharePoint Online (ragwarden ingest sharepoint://tenant.sharepoint.com/sites/name): what a source that
    # does not say its own tenant_id / client_id / certificate_env signs in with. App-only, certificate only.
    sharepoint_tenant_id: str | None = None  # default: RAGWARDEN_ENTRA_TENANT_ID
    sharepoint_client_id: str | None = None
    sharepoint_certificate: Path | None = None  # a PEM file holding the app's private key and certificate
    sharepoint_graph_url: str | None = None  # national clouds; default https://graph.microsoft.com/v1.0
    sharepoint_authority_host: str | None = None  # default: RAGWARDEN_ENTRA_AUTHORITY_HOST
    sharepoint_ca_bundle: Path | None = None  # a private CA for Graph, SharePoint and the authority
    # SharePoint Server on-premises (ragwarden ingest sharepoint+ntlm://host/sites/name): the Windows account
    # (DOMAIN\user) of a source that does not name its own username_env / password_env
    sharepoint_server_username: str | None = None
    sharepoint_server_password: SecretStr | None = None
    sharepoint_server_ca_bundle: Path | None = None  # the CA of the server's certificate (default: the system's)

    index_backend: Literal["edge", "qdrant"] = "edge"
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    collection: str = "ragwarden"
    # How a new index stores its dense vectors (ragwarden bench scale; an existing index keeps what it was
    # built with): "int8" keeps a 4x smaller scalar-quantized copy in RAM that searches score, rescored on the
    # originals (with twice the candidates); index_on_disk leaves the originals and the HNSW graph on disk,
    # paged in as searched (the ACL payload indexes stay in RAM); index_shards: shards a Qdrant server
    # spreads over its cluster's nodes (the embedded index has one).
    index_quantization: Literal["none", "int8"] = "none"
    index_on_disk: bool = False
    index_shards: int | None = Field(default=None, ge=1, le=1024)
    # The embedded index cuts each dense search's ACL filter by the caller's tokens (a graph search over
    # large groups, an exact scan over the rest; ragwarden.retrieval.token_census): off, it searches one
    # filter as the engine plans it, which misses results for callers in many mid-sized groups.
    index_split_filters: bool = True

    # Relevance floors of a search (see ragwarden.retrieval.hybrid): a candidate reaches the fusion only
    # with a cosine similarity of at least search_dense_floor to the query, or a BM25 score of at least
    # search_sparse_floor times the IDF of a word only one of the caller's chunks holds (1.0: one rare
    # query word once in an average chunk; queries of several words only, one word keeps every chunk
    # holding it); a query with nothing relevant lists nothing. Calibrated for the shipped MiniLM
    # embedder on the demo questions (python -m ragwarden.evaluation.relevance_floor; re-run it with
    # another embedding_model). "none" (or null in YAML) switches a floor off.
    search_dense_floor: float | None = Field(default=DENSE_FLOOR, ge=-1.0, le=1.0)
    search_sparse_floor: float | None = Field(default=SPARSE_FLOOR, ge=0.0)
    embedding_model: str | None = None  # a sentence-transformers model path; default: the shipped one
    embedding_batch_size: int = Field(default=64, ge=1, le=4096)
    # Query vectors of the search box (ragwarden.ingestion.query_embedding): an LRU by query text (0: off),
    # concurrent queries in one forward pass (batch window in ms; "off" embeds each query alone).
    query_cache_size: int = Field(default=4096, ge=0, le=1_000_000)
    query_batching: bool = True
    query_batch_window_ms: float = Field(default=0.0, ge=0.0, le=20.0)
    # What embeds a query: "onnx" (ONNX Runtime, the same model exported once into cache_dir, used only when
    # its vectors match PyTorch's; see ragwarden.ingestion.onnx_query), "torch", or "auto": ONNX beside a float32
    # embedder (4x faster at batch 1, the same vectors), PyTorch beside a bfloat16 one (already fast, and float32
    # queries against bfloat16 documents moved a held-out question). Documents: always PyTorch.
    query_backend: Literal["auto", "onnx", "torch"] = "auto"
    cache_dir: Path | None = None  # derived files such as the ONNX export; default ~/.cache/ragwarden
    # /v1/search's own threads (0: Starlette's shared pool). The Edge query holds the interpreter, so more threads
    # than cores only contend: 2 threads served 1.06-1.10x the searches of 4 at 20 clients on 2 cores.
    search_threads: int = Field(default=2, ge=0, le=64)
    chunk_tokens: int = Field(default=200, ge=32, le=2048)
    chunk_overlap: int = Field(default=20, ge=0, le=512)
    max_file_size_mb: float = Field(default=50.0, gt=0)
    parse_workers: int = Field(default=2, ge=0, le=64)  # parsing processes of a sync (0 or 1: in this process)

    # --- the service: sources kept in sync while serving ------------------------------------------
    sources_file: Path | None = None  # the sources YAML; without it, the sources `ingest` recorded
    sync_workers: int = Field(default=2, ge=1, le=32)  # passes of different sources run side by side
    # Principal tokens that may administer (e.g. ["group:it-admins"]); nobody by default. Never
    # widens what anyone can search.
    admin_tokens: list[str] = Field(default_factory=list)
    # /metrics answers loopback callers, and others that send this bearer token.
    metrics_token: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Server-Timing headers and the answer's "timings": how long each stage took can tell a caller
    # about work done on documents they cannot see, so nobody gets them unless this is on (the demo's
    # benchmarks turn it on; operators have /metrics).
    expose_timings: bool = False

    @field_validator("search_dense_floor", "search_sparse_floor", mode="before")
    @classmethod
    def _floor_off(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in NO_FLOOR:
            return None
        return value

    @field_validator(
        "proxy_secret", "entra_client_secret", "ad_bind_password", "smb_password", "metrics_token",
        "sharepoint_server_password",
    )  # fmt: skip
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("this secret is a placeholder; set a real secret")
        return value

    @field_validator("proxy_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("RAGWARDEN_PROXY_SECRET must be at least 16 characters")
        return value

    @field_validator("auth_mode")
    @classmethod
    def _modes(cls, value: str) -> str:
        modes = [m.strip() for m in value.split(",") if m.strip()]
        unknown = sorted(set(modes) - set(AuthMode.__args__))  # type: ignore[attr-defined]
        if not modes or unknown:
            raise ValueError(f"unknown auth mode(s) {unknown or value!r}; use {', '.join(AuthMode.__args__)}")  # type: ignore[attr-defined]
        modes = list(dict.fromkeys(modes))
        if "local" in modes and len(modes) > 1:
            # local trusts X-Remote-User from anyone on this machine: beside another mode, a request
            # that carries only that header would skip the other mode's proof (secret, token)
            raise ValueError(
                f"RAGWARDEN_AUTH_MODE=local (the demo's user switcher) cannot be combined with other modes "
                f"(got {value!r}): use local alone, or trusted-header/entra without it"
            )
        return ",".join(modes)

    @property
    def auth_modes(self) -> tuple[str, ...]:
        return tuple(self.auth_mode.split(","))

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if "entra" in self.auth_modes and not (self.entra_tenant_id and self.entra_audience):
            raise ValueError("RAGWARDEN_AUTH_MODE=entra needs RAGWARDEN_ENTRA_TENANT_ID and RAGWARDEN_ENTRA_AUDIENCE")
        if self.ad_host and not (self.ad_bind_user and self.ad_bind_password):
            raise ValueError("RAGWARDEN_AD_HOST needs RAGWARDEN_AD_BIND_USER and RAGWARDEN_AD_BIND_PASSWORD")
        if self.index_backend == "qdrant" and not self.qdrant_url:
            raise ValueError("RAGWARDEN_QDRANT_URL is required when RAGWARDEN_INDEX_BACKEND=qdrant")
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("RAGWARDEN_CHUNK_OVERLAP must be smaller than RAGWARDEN_CHUNK_TOKENS")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("RAGWARDEN_CONFIG_FILE")
        if config_file:
            if not Path(config_file).is_file():
                raise ConfigurationError(f"RAGWARDEN_CONFIG_FILE={config_file} does not exist")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index"

    @property
    def state_path(self) -> Path:
        return self.data_dir / "state.sqlite3"

    @property
    def audit_path(self) -> Path:
        return self.audit_dir or self.data_dir / "audit"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_dir or self.data_dir / "audit-keys"

    def require_proxy_secret(self) -> SecretStr:
        if self.proxy_secret is None:
            raise ConfigurationError(
                "RAGWARDEN_AUTH_MODE=trusted-header needs RAGWARDEN_PROXY_SECRET (the secret your "
                "authenticating reverse proxy sends as X-Proxy-Secret)"
            )
        return self.proxy_secret


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into one readable ConfigurationError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc
