"""Secrets that are not secrets: example values refused wherever a secret is read (the settings and the
password variables a sources file names), so that a copied example never runs as if it were configured.

A module of its own because both the settings groups and :mod:`ragwarden.core.sources` check against it.
"""

from __future__ import annotations

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "placeholder", "xxx", ""}
