"""The process environment ragwarden needs, set in one place: by the entry points (``ragwarden ...``) and
the composition root (:func:`ragwarden.services.build_services`), never as a side effect of a library call.

- Offline: no model hub look-up (models come from the wheels that ship them) and no usage pings from
  libraries that send them at import (unstructured's Scarf analytics): an air-gapped, privacy-bound
  deployment must not try to reach anyone.
- ``OMP_WAIT_POLICY=PASSIVE``: llama.cpp and torch share OpenMP; spinning worker threads made the LLM's
  time to first token ~3x slower on two cores (18 s vs 6 s at load 7). It only takes effect before the
  first OpenMP runtime loads, so it is set before anything imports torch or llama.cpp; an operator's own
  value is kept.
"""

from __future__ import annotations

import os

from ragwarden.core.errors import ConfigurationError

OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "1",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
}
DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "TOKENIZERS_PARALLELISM": "false"}


def require_offline(what: str) -> None:
    """Refuse to go on unless :func:`prepare_process` has run: ``what`` would otherwise reach the network
    (a usage ping at import, a hub look-up). Fail closed instead of changing the environment behind the
    caller's back."""
    missing = sorted(name for name, value in OFFLINE.items() if os.environ.get(name) != value)
    if missing:
        raise ConfigurationError(
            f"{what} needs the offline environment ({', '.join(missing)} unset): "
            "call ragwarden.core.runtime.prepare_process() first, as every ragwarden entry point does"
        )


def prepare_process() -> None:
    """Set the environment above for this process and the processes it starts (idempotent)."""
    os.environ.update(OFFLINE)
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
