"""Token signing keys of a stand-in issuer: published as a JWKS, rotated by the test, used to sign JWTs.

The Entra stand-in (``entra``) signs user tokens with them and the Bot Framework channel stand-in
(``channel``) signs activities; both publish every key they ever had, newest last.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def rsa_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key (also what a test forges signatures with)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class SigningKeys(Mapping[str, rsa.RSAPrivateKey]):
    """The published keys by kid; one is made at construction, :meth:`rotate` adds a newer one."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self.rotate()

    def __getitem__(self, kid: str) -> rsa.RSAPrivateKey:
        return self._keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def rotate(self) -> str:
        """Publish a new key, which signs from now on; the older ones stay published. Its kid."""
        kid = f"{self._prefix}-{len(self._keys) + 1}-{secrets.token_hex(4)}"
        self._keys[kid] = rsa_key()
        return kid

    @property
    def current_kid(self) -> str:
        return list(self._keys)[-1]

    def jwks(self, *, alg: str | None = "RS256", endorsements: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The key set document: ``alg`` on each key unless None; Bot Framework keys carry ``endorsements``."""
        return {"keys": [_jwk(key, kid, alg, endorsements) for kid, key in self._keys.items()]}

    def sign(
        self,
        claims: Mapping[str, Any],
        *,
        key: Any = None,
        kid: str | None = None,
        algorithm: str = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A JWT of ``claims`` (``None`` values dropped), signed with ``kid``'s key (default: the current one)
        or with ``key`` under ``kid``'s name (a forgery)."""
        kid = kid or self.current_kid
        signer = key if key is not None else self._keys[kid]
        payload = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(payload, signer, algorithm=algorithm, headers={"kid": kid, **(headers or {})})


def _jwk(
    key: rsa.RSAPrivateKey, kid: str, alg: str | None, endorsements: tuple[str, ...] | None
) -> dict[str, Any]:
    jwk: dict[str, Any] = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig"}
    if alg is not None:
        jwk["alg"] = alg
    if endorsements is not None:
        jwk["endorsements"] = list(endorsements)
    return jwk
