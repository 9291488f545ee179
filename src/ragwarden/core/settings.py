"""Typed settings, built once at the entry point and passed down.

Sources, strongest first: keyword arguments, environment (prefix ``RAGWARDEN_``), the YAML file named by
``RAGWARDEN_CONFIG_FILE``, defaults.
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

AuthMode = Literal["trusted-header", "local"]
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "placeholder", "xxx", ""}


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ragwarden"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAGWARDEN_", extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir)
    directory_file: Path | None = None
    auth_mode: AuthMode = "trusted-header"
    proxy_secret: SecretStr | None = None

    index_backend: Literal["edge", "qdrant"] = "edge"
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    collection: str = "ragwarden"

    embedding_model: str | None = None  # a sentence-transformers model path; default: the shipped one
    embedding_batch_size: int = Field(default=64, ge=1, le=4096)
    chunk_tokens: int = Field(default=200, ge=32, le=2048)
    chunk_overlap: int = Field(default=20, ge=0, le=512)
    max_file_size_mb: float = Field(default=50.0, gt=0)
    parse_workers: int = Field(default=2, ge=1, le=64)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    @field_validator("proxy_secret")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("RAGWARDEN_PROXY_SECRET is a placeholder; set a real secret")
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("RAGWARDEN_PROXY_SECRET must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
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
