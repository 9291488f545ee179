"""Published signing keys (JWKS) for validating JWTs: Entra ID's tenant keys, the Bot Framework
channel's keys. Fetched on first use, again for an unknown ``kid`` (key rotation) at most once per
interval, and kept through a short outage of the key endpoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import jwt

from ragwarden.core.errors import AuthenticationError, DirectoryUnavailableError


def rsa_signing_key(jwk: Any) -> Any:
    """The public key of a published RSA signing JWK, or None for one that is not (or is malformed)."""
    usable = isinstance(jwk, dict) and jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig"
    if not usable or not isinstance(jwk.get("kid"), str):
        return None
    try:
        return jwt.PyJWK(jwk, algorithm="RS256").key
    except jwt.PyJWTError:
        return None  # one malformed key does not hide the others


class JwksCache:
    """Published signing keys, fetched on first use and again for a ``kid`` it does not know (key
    rotation), at most once per ``min_refresh_interval``. ``url`` is the JWKS itself, or with
    ``discover`` an OpenID metadata document naming it (``jwks_uri``); ``parse`` turns one JWK into
    what :meth:`key` returns (None skips it)."""

    def __init__(
        self,
        url: str,
        http: httpx.Client,
        *,
        discover: bool = False,
        parse: Callable[[Any], Any] = rsa_signing_key,
        owner: str = "the tenant",
        max_age: float = 86_400.0,
        min_refresh_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._http = http
        self._discover, self._parse, self._owner = discover, parse, owner
        self._max_age = max_age
        self._min_interval = min_refresh_interval
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any:
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._max_age
            may_refresh = self._fetched_at is None or now - self._fetched_at >= self._min_interval
            if stale or (kid not in self._keys and may_refresh):
                self._refresh(now)
            if kid not in self._keys:
                raise AuthenticationError(f"the token is signed with a key {self._owner} does not publish")
            return self._keys[kid]

    def _refresh(self, now: float) -> None:
        try:
            url = str(self._get(self.url)["jwks_uri"]) if self._discover else self.url
            published = self._get(url)["keys"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            if self._keys and self._fetched_at is not None and now - self._fetched_at < self._max_age:
                return  # keep the keys we have; an unknown kid is still refused
            raise DirectoryUnavailableError(f"cannot fetch the signing keys from {self.url}: {exc}") from exc
        keys = {}
        for jwk in published if isinstance(published, list) else []:
            parsed = self._parse(jwk)
            if parsed is not None:
                keys[jwk["kid"]] = parsed
        self._keys, self._fetched_at = keys, now

    def _get(self, url: str) -> Any:
        response = self._http.get(url)
        response.raise_for_status()
        return response.json()


def signing_kid(token: str, algorithms: Sequence[str]) -> str:
    """The ``kid`` a token names, after checking (unverified) that it is a JWT in an accepted algorithm;
    the signature is verified with that key afterwards."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"the bearer token is not a JWT: {exc}") from exc
    if header.get("alg") not in algorithms:
        raise AuthenticationError(f"token algorithm {header.get('alg')!r} is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthenticationError("the token names no signing key")
    return kid
