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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt

from ragwarden.acl.jwks import JwksCache, rsa_signing_key, signing_kid
from ragwarden.core.errors import AuthenticationError

ALGORITHMS = ["RS256"]  # fixed here, never taken from the token header


@dataclass(frozen=True, slots=True)
class SigningKey:
    key: Any
    endorsements: frozenset[str] | None  # None: the channel publishes no endorsements for it


def _signing_key(jwk: Any) -> SigningKey | None:
    """A channel key with the channels it is endorsed for (Bot Framework publishes them per key)."""
    endorsements = jwk.get("endorsements") if isinstance(jwk, dict) else None
    if endorsements is not None and not (
        isinstance(endorsements, list) and all(isinstance(e, str) for e in endorsements)
    ):
        return None  # endorsements we cannot read: the key cannot be trusted for any channel
    key = rsa_signing_key({k: v for k, v in jwk.items() if k != "endorsements"} if isinstance(jwk, dict) else jwk)
    return None if key is None else SigningKey(key, frozenset(endorsements) if endorsements is not None else None)


class BotFrameworkValidator:
    """Validates the channel's bearer token for one incoming activity; returns the verified claims."""

    def __init__(self, app_id: str, keys: JwksCache, issuer: str, leeway: float = 300.0) -> None:
        self.app_id = app_id
        self.issuer = issuer
        self.leeway = leeway
        self._keys = keys

    def validate(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        token = _bearer(authorization)
        signing = self._keys.key(signing_kid(token, ALGORITHMS))
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


def build_channel_keys(metadata_url: str, ca_bundle: Path | None = None, timeout: float = 10.0) -> JwksCache:
    """Keys over verified TLS; ``ca_bundle`` replaces the system trust store."""
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True
    http = httpx.Client(verify=verify, timeout=timeout, follow_redirects=False)
    return channel_keys(metadata_url, http)


def channel_keys(metadata_url: str, http: httpx.Client, **options: Any) -> JwksCache:
    """The channel's signing keys, found through its OpenID metadata, with their endorsements."""
    return JwksCache(metadata_url, http, discover=True, parse=_signing_key, owner="the channel", **options)
