"""Published signing keys (JWKS) for validating JWTs: Entra ID's tenant keys, the Bot Framework
channel's keys. Fetched on first use, again for an unknown ``kid`` (key rotation) at most once per
interval, and kept through a short outage of the key endpoint.

A fetch that fails is remembered and the next attempt waits (exponential back-off), and only one
fetch runs at a time: tokens that arrive meanwhile wait for its outcome instead of starting their
own. Otherwise every token naming a made-up ``kid`` would cost a request to the key endpoint (and,
while that endpoint hangs, a thread for its full timeout)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import jwt

from ragwarden.core.errors import AuthenticationError, DirectoryUnavailableError

log = logging.getLogger(__name__)


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
    rotation), at most once per ``min_refresh_interval``; after a failed fetch, not again before
    ``failure_backoff`` (doubling per further failure, up to ``max_failure_backoff``). ``url`` is the
    JWKS itself, or with ``discover`` an OpenID metadata document naming it (``jwks_uri``); ``parse``
    turns one JWK into what :meth:`key` returns (None skips it). Keys older than ``max_age`` are not
    used: when they cannot be renewed, tokens are refused (503), never accepted on old keys."""

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
        failure_backoff: float = 5.0,
        max_failure_backoff: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._http = http
        self._discover, self._parse, self._owner = discover, parse, owner
        self._max_age = max_age
        self._min_interval = min_refresh_interval
        self._backoff, self._max_backoff = failure_backoff, max_failure_backoff
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._failed_at: float | None = None  # last failed fetch, while failures go on
        self.failures = 0  # consecutive failed fetches
        self.last_failure: str | None = None
        self._fetching: threading.Event | None = None  # set when the running fetch ends
        self._lock = threading.Lock()  # guards the fields above; never held across the network

    def key(self, kid: str) -> Any:
        with self._lock:
            now = self._clock()
            if self._fresh(now) and kid in self._keys:
                return self._keys[kid]
            running, leader = self._fetching, False
            if running is None and self._may_fetch(now):
                running, leader = threading.Event(), True
                self._fetching = running
        if running is not None:
            if leader:
                self._fetch_once(running)
            else:
                running.wait()  # the leader's fetch is bounded by the HTTP client's timeout
        with self._lock:
            return self._known(kid)

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self._max_age

    def _may_fetch(self, now: float) -> bool:
        if self.failures and self._failed_at is not None:
            backoff = min(self._max_backoff, self._backoff * 2 ** (self.failures - 1))
            if now - self._failed_at < backoff:
                return False
        return not self._fresh(now) or now - (self._fetched_at or 0.0) >= self._min_interval

    def _known(self, kid: str) -> Any:
        """The key for ``kid`` from what is held now (no fetch): refused when unknown, 503 when the
        keys could not be fetched or are too old to trust."""
        if self._fresh(self._clock()):
            if kid in self._keys:
                return self._keys[kid]
            raise AuthenticationError(f"the token is signed with a key {self._owner} does not publish")
        raise DirectoryUnavailableError(f"cannot fetch the signing keys from {self.url}: {self.last_failure}")

    def _fetch_once(self, done: threading.Event) -> None:
        try:
            keys = self._fetch()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("signing keys: fetching %s failed: %s", self.url, exc)
            with self._lock:
                self.failures += 1
                self._failed_at, self.last_failure = self._clock(), f"{type(exc).__name__}: {exc}"
        else:
            with self._lock:
                self._keys, self._fetched_at = keys, self._clock()
                self.failures, self._failed_at, self.last_failure = 0, None, None
        finally:
            with self._lock:
                self._fetching = None
            done.set()

    def _fetch(self) -> dict[str, Any]:
        url = str(self._get(self.url)["jwks_uri"]) if self._discover else self.url
        published = self._get(url)["keys"]
        keys = {}
        for jwk in published if isinstance(published, list) else []:
            parsed = self._parse(jwk)
            if parsed is not None:
                keys[jwk["kid"]] = parsed
        return keys

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
