"""App credentials against an Entra authority through ``msal``: app-only tokens (client secret or
certificate), and the confidential client the sign-in flow uses. msal caches tokens until they expire."""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from ragwarden.core.errors import AccessControlError, DirectoryUnavailableError

AUTHORITY_HOST = "https://login.microsoftonline.com"
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)


class MsalAppToken:
    """An app-only Graph token from msal (client secret or certificate), cached by msal until expiry.
    The msal application (which contacts the authority) is built on first use, not at construction."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        scope: str,
        *,
        client_secret: str | None = None,
        certificate_pem: str | None = None,
        authority_host: str = AUTHORITY_HOST,
        verify: bool | str = True,
        timeout: float = 10.0,
    ) -> None:
        self._credential = client_credential(client_secret, certificate_pem)
        self._args = {"client_id": client_id, "authority": f"{authority_host.rstrip('/')}/{tenant_id}"}
        self._verify, self._timeout = verify, timeout
        self.scope = scope
        self._app: Any = None
        self._lock = threading.Lock()

    def token(self, force_refresh: bool = False) -> str:
        import requests

        try:
            with self._lock:
                if self._app is None:
                    self._app = confidential_client(
                        self._credential, verify=self._verify, timeout=self._timeout, **self._args
                    )
                if force_refresh:
                    self._app.remove_tokens_for_client()
            result = self._app.acquire_token_for_client(scopes=[self.scope])
        except (requests.RequestException, ValueError, RuntimeError) as exc:
            raise DirectoryUnavailableError(f"cannot reach the Entra authority: {exc}") from exc
        if "access_token" not in result:
            raise DirectoryUnavailableError(
                f"no app token from Entra: {result.get('error')} {result.get('error_description', '')[:200]}"
            )
        return str(result["access_token"])


def client_credential(client_secret: str | None, certificate_pem: str | None) -> str | dict[str, str]:
    """msal's client credential: a secret, or a certificate (exactly one of them)."""
    if (client_secret is None) == (certificate_pem is None):
        raise AccessControlError("give exactly one of a client secret and a client certificate")
    return client_secret or _certificate_credential(certificate_pem or "")


def confidential_client(
    credential: str | dict[str, str],
    *,
    client_id: str,
    authority: str,
    verify: bool | str = True,
    timeout: float = 10.0,
) -> Any:
    """An msal confidential client talking to ``authority`` (no instance discovery: on-premises
    networks reach only the configured authority) through a CA-pinned HTTP session."""
    import msal

    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=authority,
        instance_discovery=False,
        http_client=_requests_session(verify, timeout),
    )


def _requests_session(verify: bool | str, timeout: float) -> Any:
    """msal's HTTP client. ``verify`` is passed on every request because requests lets
    ``REQUESTS_CA_BUNDLE`` override a session-wide setting, which would ignore a configured CA."""
    import requests

    session = requests.Session()
    session.request = functools.partial(session.request, verify=verify, timeout=timeout)  # type: ignore[method-assign]
    return session


def _certificate_credential(pem: str) -> dict[str, str]:
    """msal's credential from one PEM holding the private key and its certificate (SHA-256 thumbprint)."""
    blocks = {m.group(1): m.group(0) for m in _PEM_BLOCK.finditer(pem)}
    key = next((v for k, v in blocks.items() if k.endswith("PRIVATE KEY")), None)
    if key is None or "CERTIFICATE" not in blocks:
        raise AccessControlError("the client certificate file needs a private key and a certificate")
    return {"private_key": key, "public_certificate": blocks["CERTIFICATE"]}

