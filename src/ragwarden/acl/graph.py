"""Microsoft Graph over HTTPS with an app token: JSON objects and paged collections, bounded retries.

Graph outages, throttling beyond the retry budget and malformed answers raise
:class:`DirectoryUnavailableError`: a caller of Graph must fail closed, since a partial answer could miss a
group (and with it a deny entry). The SharePoint connector reuses the client for Graph and SharePoint REST
with its own error class and a :class:`Pacer` its clients share (one source's throttling pauses them all)."""

from __future__ import annotations

import email.utils
import math
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError, DirectoryUnavailableError, TransientError

GRAPH_URL = "https://graph.microsoft.com/v1.0"
_RETRIED = frozenset({429, 500, 502, 503, 504})


class TokenProvider(Protocol):
    """Where an app-only bearer token comes from (``MsalAppToken`` in production)."""

    def token(self, force_refresh: bool = False) -> str: ...


class Pacer(Protocol):
    """Spaces a client's requests: ``wait`` before each one (e.g. for a budget of resource units), ``pause``
    when the service says to back off. Several clients may share one, so that a 429 pauses them all."""

    def wait(self, cost: float) -> None: ...

    def pause(self, seconds: float) -> None: ...


class _SleepOnRetry:
    """The default pacer: no budget, and a retry sleeps in the thread that retries."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep

    def wait(self, cost: float) -> None:
        pass

    def pause(self, seconds: float) -> None:
        self._sleep(seconds)


class GraphClient:
    """JSON from Microsoft Graph with an app token: paging, 429/5xx with ``Retry-After`` (bounded),
    one token refresh on 401; anything else that fails is ``error`` (:class:`DirectoryUnavailableError`
    unless the caller is not a directory). The token goes to the origin of ``base_url`` only."""

    def __init__(
        self,
        token_provider: TokenProvider,
        http: httpx.Client,
        base_url: str = GRAPH_URL,
        *,
        max_retries: int = 4,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
        error: type[TransientError] = DirectoryUnavailableError,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = urlsplit(self.base_url)[:2]
        self._tokens = token_provider
        self._http = http
        self._max_retries = max_retries
        self._max_retry_after = max_retry_after
        self._pacer: Pacer = pacer or _SleepOnRetry(sleep)
        self._error = error

    def get(self, url: str) -> dict[str, Any] | None:
        """One JSON object; ``None`` for 404. ``url`` is a path under the base URL or a full Graph URL."""
        response = self.send("GET", url)
        status = response.status_code
        if status == 404:
            return None
        if status >= 300:
            raise self._error(f"Graph refused {urlsplit(str(response.request.url)).path}: HTTP {status}")
        return json_object(response, self._error)

    def send(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, json: Any = None, cost: float = 1.0
    ) -> httpx.Response:
        """One request with the token: transport errors and 429/5xx retried (a ``Retry-After`` longer than
        ``max_retry_after`` is not waited for), one token refresh on 401. Any other answer is returned as it
        is (a 404, a 410, a redirect: the client never follows one with the token). ``cost``: what the
        request spends of the pacer's budget."""
        url = url if url.startswith(("https://", "http://")) else f"{self.base_url}{url}"
        if urlsplit(url)[:2] != self._origin:
            raise self._error(f"Graph pointed outside {self.base_url}: refusing to send the token")
        token, refreshed, problem = self._tokens.token(), False, "no attempt"
        for attempt in range(self._max_retries + 1):
            self._pacer.wait(cost)
            try:
                sent = {**(headers or {}), "Authorization": f"Bearer {token}"}
                response = self._http.request(method, url, headers=sent, json=json)
            except httpx.TransportError as exc:
                problem = f"unreachable: {exc}"
                if attempt < self._max_retries:
                    self._pacer.pause(min(2.0**attempt * 0.2, self._max_retry_after))
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                token, refreshed = self._tokens.token(force_refresh=True), True
                continue
            if status not in _RETRIED:
                return response
            problem = f"HTTP {status}"
            delay = retry_after(response) or min(2.0**attempt * 0.2, self._max_retry_after)
            if delay > self._max_retry_after:
                problem += f", asked to wait {delay:g}s: more than the {self._max_retry_after:g}s allowed"
                break
            if attempt < self._max_retries:
                self._pacer.pause(delay)
        raise self._error(f"Graph did not answer {urlsplit(url).path} ({problem})")

    def pages(self, path: str) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, following ``@odata.nextLink``; a missing page raises."""
        url: str | None = path
        while url:
            page = self.get(url)
            if page is None or not isinstance(page.get("value"), list):
                raise self._error(f"Graph returned no collection for {path}")
            yield page["value"]
            url = page.get("@odata.nextLink")


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a ``Retry-After`` header asks for (a number or an HTTP date); None without one."""
    return retry_after_value(response.headers.get("Retry-After"))


def retry_after_value(value: str | None) -> float | None:
    """The seconds a ``Retry-After`` value asks for (a number or an HTTP date), also where the value comes
    from a ``$batch`` sub-response's headers rather than an HTTP response; None without one."""
    if not value:
        return None
    try:
        seconds = float(value)  # delay-seconds; a decimal is taken as it is rather than ignored
    except ValueError:
        pass
    else:
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_object(response: httpx.Response, error: type[TransientError], what: str = "") -> dict[str, Any]:
    """The response's JSON object; anything else is ``error`` (``what`` names the request in the message)."""
    answered = f"Graph answered {what} with" if what else "Graph answered with"
    try:
        body = response.json()
    except ValueError as exc:
        raise error(f"{answered} something that is not JSON") from exc
    if not isinstance(body, dict):
        raise error(f"{answered} something that is not a JSON object")
    return body


def tls_client(ca_bundle: str | Path | None, timeout: float) -> httpx.Client:
    """TLS-verified HTTP; ``ca_bundle`` replaces the system trust store (a private CA, a test authority)."""
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True
    return httpx.Client(verify=verify, timeout=timeout, follow_redirects=False)



def graph_object_tokens(item: Mapping[str, Any]) -> set[str]:
    """A Graph user or group as tokens: ``entra:<id>``, and ``sid:`` of its on-premises twin if synced."""
    try:
        out = {tokens.entra(str(item["id"]))}
        if item.get("onPremisesSecurityIdentifier"):
            out.add(tokens.sid(str(item["onPremisesSecurityIdentifier"])))
    except (KeyError, AccessControlError) as exc:
        raise DirectoryUnavailableError(f"Graph returned a malformed directory object: {exc}") from exc
    return out

