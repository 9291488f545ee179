"""Who may post to ``/api/messages``: the Bot Framework channel, proven by the JWT it signs.

Every check of the Bot Framework's security protocol, none left to a default:

- the signing key comes from the channel's OpenID metadata (its ``jwks_uri``), cached, fetched again for
  a ``kid`` it does not know (key rotation, at most every 30 s) and at least daily;
- RS256 only; issuer = ``teams_issuer``; audience = the bot's app id; ``exp`` required, ``nbf`` checked,
  5 minutes of clock skew;
- a key's ``endorsements``, when the metadata carries them, must include the activity's channel id;
- the token's ``serviceurl`` claim must equal the activity's ``serviceUrl``, so that a captured token
  cannot send the bot's replies (and its outbound token) somewhere else.

Why not the Agents SDK's validator (hosting-core 1.9 ``JwtTokenValidator``): its JWKS address is fixed
(login.botframework.com, not the configured metadata), the issuer is only checked with
``VALIDATE_ISSUER``, ``exp`` is not required, endorsements are ignored, a missing ``Authorization`` is
accepted when ``ANONYMOUS_ALLOWED``, and the ``serviceurl`` claim is compared by host only and merely
logged unless an outbound host validator is switched on.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt

from ragwarden.core.errors import AuthenticationError, DirectoryUnavailableError

ALGORITHMS = ["RS256"]  # fixed here, never taken from the token header


@dataclass(frozen=True, slots=True)
class SigningKey:
    key: Any
    endorsements: frozenset[str] | None  # None: the channel publishes no endorsements for it


class ChannelKeys:
    """The channel's signing keys, found through its OpenID metadata."""

    def __init__(
        self,
        metadata_url: str,
        http: httpx.Client,
        *,
        max_age: float = 86_400.0,
        min_refresh_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metadata_url = metadata_url
        self._http = http
        self._max_age = max_age
        self._min_interval = min_refresh_interval
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> SigningKey:
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._max_age
            may_refresh = self._fetched_at is None or now - self._fetched_at >= self._min_interval
            if stale or (kid not in self._keys and may_refresh):
                self._refresh(now)
            if kid not in self._keys:
                raise AuthenticationError("the token is signed with a key the channel does not publish")
            return self._keys[kid]

    def _refresh(self, now: float) -> None:
        try:
            metadata = self._get(self.metadata_url)
            published = self._get(str(metadata["jwks_uri"]))["keys"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            if self._keys and self._fetched_at is not None and now - self._fetched_at < self._max_age:
                return  # keep the keys we have; an unknown kid is still refused
            raise DirectoryUnavailableError(f"cannot fetch the channel's signing keys: {exc}") from exc
        keys = {}
        for jwk in published if isinstance(published, list) else []:
            parsed = _signing_key(jwk)
            if parsed is not None:
                keys[jwk["kid"]] = parsed
        self._keys, self._fetched_at = keys, now

    def _get(self, url: str) -> Any:
        response = self._http.get(url)
        response.raise_for_status()
        return response.json()


def _signing_key(jwk: Any) -> SigningKey | None:
    usable = isinstance(jwk, dict) and jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig"
    if not usable or not isinstance(jwk.get("kid"), str):
        return None
    endorsements = jwk.get("endorsements")
    if endorsements is not None and not (
        isinstance(endorsements, list) and all(isinstance(e, str) for e in endorsements)
    ):
        return None  # endorsements we cannot read: the key cannot be trusted for any channel
    try:
        key = jwt.PyJWK({k: v for k, v in jwk.items() if k != "endorsements"}, algorithm="RS256").key
    except jwt.PyJWTError:
        return None  # one malformed key does not hide the others
    return SigningKey(key, frozenset(endorsements) if endorsements is not None else None)


class BotFrameworkValidator:
    """Validates the channel's bearer token for one incoming activity; returns the verified claims."""

    def __init__(self, app_id: str, keys: ChannelKeys, issuer: str, leeway: float = 300.0) -> None:
        self.app_id = app_id
        self.issuer = issuer
        self.leeway = leeway
        self._keys = keys

    def validate(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationError("the bearer token is not a JWT") from exc
        if header.get("alg") not in ALGORITHMS:
            raise AuthenticationError(f"token algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("the token names no signing key")
        signing = self._keys.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                signing.key,
                algorithms=ALGORITHMS,
                audience=self.app_id,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "serviceurl"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token: {exc}") from exc
        channel = activity.get("channelId")
        if signing.endorsements is not None and channel not in signing.endorsements:
            raise AuthenticationError("the signing key is not endorsed for this channel")
        if not _same_url(claims["serviceurl"], activity.get("serviceUrl")):
            raise AuthenticationError("the token's serviceurl does not match the activity")
        return claims


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("missing Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("expected a Bearer token")
    return token.strip()


def _same_url(claimed: Any, given: Any) -> bool:
    """Equal but for letter case and a trailing slash (how the Bot Framework SDKs compare them)."""
    if not isinstance(claimed, str) or not isinstance(given, str) or not claimed or not given:
        return False
    return claimed.rstrip("/").casefold() == given.rstrip("/").casefold()


def build_channel_keys(metadata_url: str, ca_bundle: Path | None = None, timeout: float = 10.0) -> ChannelKeys:
    """Keys over verified TLS; ``ca_bundle`` replaces the system trust store."""
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True
    return ChannelKeys(metadata_url, httpx.Client(verify=verify, timeout=timeout, follow_redirects=False))
