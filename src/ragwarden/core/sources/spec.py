"""What a source is: :class:`SourceSpec`, one validated entry of the sources file, with its defaults, the
options each built-in scheme accepts, and the name a folder gets when it is ingested without a file.

Apart from the parsing because the rest of the application (connectors, the scheduler, the source records)
only ever reads a ``SourceSpec``, never the YAML it came from.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import SecretStr

from ragwarden.core.errors import ConfigurationError

DEFAULT_ACL_INTERVAL = 60.0
DEFAULT_CONTENT_INTERVAL = 900.0
DEFAULT_MAX_ACL_AGE = 3600.0
DEFAULT_SCHEMES: Mapping[str, frozenset[str]] = MappingProxyType(
    {"folder": frozenset({"include_hidden"}), "smb": frozenset({"share_allow", "include", "exclude", "port"})}
)
# No colon, no slash: the name becomes part of document ids and URLs.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source of the file, validated; ``location`` is normalised (folders absolute, URLs unchanged)."""

    name: str
    location: str
    scheme: str
    watch: bool = False
    acl_interval: float = DEFAULT_ACL_INTERVAL
    content_interval: float = DEFAULT_CONTENT_INTERVAL
    max_acl_age: float = DEFAULT_MAX_ACL_AGE
    username_env: str | None = None
    password_env: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    line: int = 0

    def credentials(self, environ: Mapping[str, str]) -> tuple[str, SecretStr] | None:
        """(username, password) from the named variables; None when the source names none."""
        if self.username_env is None or self.password_env is None:
            return None
        for variable in (self.username_env, self.password_env):
            if not environ.get(variable):
                raise ConfigurationError(f"source {self.name!r}: environment variable {variable} is not set")
        return environ[self.username_env], SecretStr(environ[self.password_env])


def default_folder_source_name(path: Path) -> str:
    """The source name of a folder ingested without a sources file: readable, stable, one per real folder."""
    resolved = Path(path).expanduser().resolve()
    # Fold accents (ü -> u, ß -> ss) so German folder names stay readable.
    folded = "".join(c for c in unicodedata.normalize("NFKD", resolved.name.casefold()) if not unicodedata.combining(c))
    base = re.sub(r"[^a-z0-9._-]+", "-", folded).strip("._-")[:40].rstrip("._-") or "folder"
    digest = hashlib.sha256(os.fsencode(str(resolved))).hexdigest()[:8]
    return f"{base}-{digest}"
