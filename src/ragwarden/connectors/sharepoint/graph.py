"""Microsoft Graph and SharePoint REST for one SharePoint source, with throttling that pauses the whole source.

Two :class:`~ragwarden.acl.graph.GraphClient` share one :class:`SourcePacer`: Graph (an app token for Graph)
and the tenant's SharePoint REST (an app token for ``https://<tenant host>``, used for site-group members only,
since Graph has no API for classic site groups). Each client sends its token to its own origin only.

Throttling: a ``429``/``503`` with ``Retry-After`` pauses every request of the source (the pacer's pause), also
when a ``$batch`` answers ``200`` and only some of its sub-requests are ``429`` (just those are sent again). A
``Retry-After`` longer than the cap (``max_retry_after``, default 120 s) fails the run with a
:class:`TransientError`: the sync engine then deletes nothing. The pacer also spends a budget of resource units
per minute (Microsoft's costs: a delta page 1, 2 without a token; a permission read 5), spacing calls before
SharePoint has to throttle them.

Content: ``/content`` answers ``302`` with a pre-authenticated URL on another origin; it is followed with a
plain request that carries no ``Authorization`` header.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ragwarden.acl.graph import GraphClient, json_object, retry_after, retry_after_value
from ragwarden.core.errors import ConfigurationError, DocumentTooLargeError, ItemError, TransientError

DELTA_PREFER = "hierarchicalsharing, deltashowsharingchanges, deltashowremovedasdeleted, deltatraversepermissiongaps"
RU_DELTA, RU_DELTA_FIRST, RU_PERMISSIONS, RU_OTHER = 1.0, 2.0, 5.0, 1.0
BATCH_LIMIT = 20  # Graph's JSON batching limit
REST_JSON = {"Accept": "application/json;odata=nometadata"}
_BATCH_ROUNDS = 8
_USER_FIELDS = "$select=id,userPrincipalName,userType,accountEnabled,onPremisesSecurityIdentifier"
_ITEM_FIELDS = "$select=id,name,size,file,eTag,cTag,lastModifiedDateTime,deleted"


class ResyncRequired(Exception):  # noqa: N818 - a signal between the client and the delta loop, not an error
    """A delta link expired (``410 Gone``): enumerate again, from ``location`` if Graph gave one."""

    def __init__(self, location: str | None) -> None:
        super().__init__(location or "")
        self.location = location


class SourcePacer:
    """One source's request pacing: a shared pause (``Retry-After``) and a resource-unit budget per minute.
    Thread-safe; counts calls, units and seconds paused.

    The budget is a token bucket sized so that no sliding minute spends more than ``units_per_minute``, the way
    Graph counts: a burst of a twelfth of it, refilled at the rest per minute (burst + refill over any 60 s =
    the limit). A bucket holding a whole minute, refilled at the full rate, spent up to twice the limit in the
    first minute, and Graph answered with 429s that paused the whole source (measured: `bench sharepoint`,
    104 429s and 361 s paused in an initial sync of 1 500 files)."""

    def __init__(
        self,
        units_per_minute: float = 1200.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if units_per_minute <= 0:
            raise ValueError("units_per_minute must be positive")
        self._capacity = units_per_minute / 12.0
        self._rate = (units_per_minute - self._capacity) / 60.0
        self._level, self._resume_at = self._capacity, 0.0
        self._clock, self._sleep = clock, sleep
        self._updated = clock()
        self._lock = threading.Lock()
        self.calls, self.units, self.waited = 0, 0.0, 0.0

    def wait(self, cost: float) -> None:
        """Before a request of ``cost`` units: wait out a pause, then for the budget."""
        with self._lock:
            now = self._clock()
            delay = max(0.0, self._resume_at - now)
            self._refill(now)
            self._level -= cost
            if self._level < 0:
                delay = max(delay, -self._level / self._rate)
            self.calls, self.units = self.calls + 1, self.units + cost
        if delay > 0:
            self.waited += delay
            self._sleep(delay)

    def pause(self, seconds: float) -> None:
        """The service asked to back off: every request of the source waits ``seconds`` from now."""
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + seconds)

    def _refill(self, now: float) -> None:
        self._level = min(self._capacity, self._level + (now - self._updated) * self._rate)
        self._updated = now


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Why one item's permissions could not be read (its HTTP status or a transport problem)."""

    reason: str


class SharePointClient:
    """The calls the SharePoint connector makes (see the module docstring)."""

    def __init__(
        self,
        graph: GraphClient,
        rest: GraphClient,
        http: httpx.Client,
        pacer: SourcePacer,
        *,
        max_retry_after: float = 120.0,
    ) -> None:
        self.graph, self.rest, self.pacer = graph, rest, pacer
        self._http = http
        self._max_retry_after = max_retry_after

    def close(self) -> None:
        self._http.close()

    # -- sites and drives -------------------------------------------------------------------------------

    def site(self, host: str, site_path: str) -> dict[str, Any]:
        found = self.graph.get(f"/sites/{host}:{quote(site_path)}")
        if found is None or not isinstance(found.get("id"), str) or found["id"].count(",") != 2:
            raise TransientError(f"Graph knows no site {host}{site_path} (or the app may not read it)")
        return found

    def subsites(self, site_id: str) -> list[dict[str, Any]]:
        return [s for page in self.graph.pages(f"/sites/{site_id}/sites") for s in page]

    def drives(self, site_id: str) -> list[dict[str, Any]]:
        return [d for page in self.graph.pages(f"/sites/{site_id}/drives") for d in page]

    # -- delta --------------------------------------------------------------------------------------------

    def delta_page(self, url: str) -> dict[str, Any]:
        """One page of a drive's delta (with the ``Prefer`` header every page needs); 410 → :class:`ResyncRequired`."""
        cost = RU_DELTA if "token=" in url else RU_DELTA_FIRST
        response = self.graph.send("GET", url, headers={"Prefer": DELTA_PREFER}, cost=cost)
        if response.status_code == 410:
            raise ResyncRequired(response.headers.get("Location"))
        page = _json(response, "delta")
        if not isinstance(page.get("value"), list):
            raise TransientError("Graph answered a delta request without a 'value' list")
        return page

    @staticmethod
    def delta_start(drive_id: str) -> str:
        return f"/drives/{quote(drive_id)}/root/delta"

    # -- permissions ----------------------------------------------------------------------------------------

    def permissions(self, drive_id: str, item_ids: Sequence[str]) -> dict[str, list[dict[str, Any]] | Unreadable]:
        """Each item's permission resources, read in ``$batch`` requests of up to 20."""
        out: dict[str, list[dict[str, Any]] | Unreadable] = {}
        for start in range(0, len(item_ids), BATCH_LIMIT):
            chunk = item_ids[start : start + BATCH_LIMIT]
            urls = {str(n): f"/drives/{quote(drive_id)}/items/{quote(i)}/permissions" for n, i in enumerate(chunk)}
            for key, answer in self._batch(urls).items():
                out[chunk[int(key)]] = answer
        return out

    def _batch(self, urls: dict[str, str]) -> dict[str, list[dict[str, Any]] | Unreadable]:
        """GETs in one ``$batch``; sub-requests answered 429/503 are sent again (only they) after the pause."""
        done: dict[str, list[dict[str, Any]] | Unreadable] = {}
        waiting = dict(urls)
        for _ in range(_BATCH_ROUNDS):
            body = {"requests": [{"id": k, "method": "GET", "url": u} for k, u in waiting.items()]}
            response = self.graph.send("POST", "/$batch", json=body, cost=RU_PERMISSIONS * len(waiting))
            answers = _json(response, "$batch").get("responses")
            if not isinstance(answers, list):
                raise TransientError("Graph answered a $batch without 'responses'")
            throttled: dict[str, str] = {}
            delay = 0.0
            for answer in answers:
                key = str(answer.get("id")) if isinstance(answer, dict) else ""
                if key not in waiting:
                    continue
                status = int(answer.get("status") or 0)
                if status in (429, 503):
                    throttled[key] = waiting[key]
                    delay = max(delay, _sub_retry_after(answer))
                    continue
                done[key] = self._permission_list(answer, waiting[key])
            throttled.update({k: u for k, u in waiting.items() if k not in done and k not in throttled})
            if not throttled:
                return done
            self._back_off(delay or 1.0, f"{len(throttled)} permission reads in a $batch")
            waiting = throttled
        raise TransientError(f"Graph kept throttling {len(waiting)} permission reads in $batch; giving up this run")

    def _permission_list(self, answer: dict[str, Any], url: str) -> list[dict[str, Any]] | Unreadable:
        status = int(answer.get("status") or 0)
        body = answer.get("body")
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("value"), list):
            return Unreadable(f"HTTP {status}" if status != 200 else "malformed answer")
        found = list(body["value"])
        link = body.get("@odata.nextLink")
        if link:  # more permissions than one page (rare): read the rest one by one
            for page in self.graph.pages(str(link)):
                found.extend(page)
        return found

    def _back_off(self, seconds: float, what: str) -> None:
        if seconds > self._max_retry_after:
            raise TransientError(
                f"SharePoint asked to wait {seconds:g}s ({what}), more than the {self._max_retry_after:g}s allowed: "
                "this run stops and changes nothing"
            )
        self.pacer.pause(seconds)

    # -- the directory, SharePoint REST, content -----------------------------------------------------------------

    def user(self, upn: str) -> dict[str, Any] | None:
        return self.graph.get(f"/users/{quote(upn, safe='@')}?{_USER_FIELDS}")

    def directory_object(self, object_id: str) -> dict[str, Any] | None:
        return self.graph.get(f"/directoryObjects/{quote(object_id)}?{_USER_FIELDS}")

    def rest_values(self, url: str) -> list[dict[str, Any]] | None:
        """A SharePoint REST collection (``value``); None when SharePoint refuses or does not know it."""
        response = self.rest.send("GET", url, headers=REST_JSON, cost=RU_OTHER)
        if response.status_code == 401:
            raise ConfigurationError(
                "SharePoint REST refused the app's token (HTTP 401): it takes app-only tokens obtained with a "
                "certificate (never a client secret), for the tenant host, of an app granted access to the site"
            )
        if response.status_code in (403, 404):
            return None
        values = _json(response, "SharePoint REST").get("value")
        if not isinstance(values, list):
            raise TransientError(f"SharePoint REST answered {urlsplit(url).path} without a 'value' list")
        return [v for v in values if isinstance(v, dict)]

    def item(self, drive_id: str, item_id: str) -> dict[str, Any] | None:
        """An item as Graph lists it now (``None`` once it is gone)."""
        return self.graph.get(f"/drives/{quote(drive_id)}/items/{quote(item_id)}?{_ITEM_FIELDS}")

    def download(self, drive_id: str, item_id: str, limit: int) -> bytes:
        """An item's bytes (at most ``limit``): the ``/content`` redirect is followed without the token."""
        response = self.graph.send("GET", f"/drives/{quote(drive_id)}/items/{quote(item_id)}/content")
        if response.status_code == 200:
            return _capped(iter([response.content]), limit)
        location = response.headers.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            raise ItemError(f"Graph did not hand out the content: HTTP {response.status_code}")
        if urlsplit(location).scheme != "https":
            raise ItemError("the content URL Graph handed out is not https: not followed")
        return self._fetch(location, limit)

    def _fetch(self, location: str, limit: int) -> bytes:
        for _ in range(4):
            self.pacer.wait(0.0)
            try:
                with self._http.stream("GET", location) as response:  # no Authorization: pre-authenticated
                    if response.status_code in (429, 503):
                        self._back_off(retry_after(response) or 1.0, "a download")
                        continue
                    if response.status_code != 200:
                        raise ItemError(f"the content could not be downloaded: HTTP {response.status_code}")
                    return _capped(response.iter_bytes(), limit)
            except httpx.HTTPError as exc:
                raise ItemError(f"the content could not be downloaded: {exc}") from exc
        raise ItemError("the content download stayed throttled")


def _capped(chunks: Iterator[bytes], limit: int) -> bytes:
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise DocumentTooLargeError(f"larger than {limit} bytes")
    return bytes(data)


def _sub_retry_after(answer: dict[str, Any]) -> float:
    headers = answer.get("headers") or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    return retry_after_value(str(value) if value is not None else None) or 1.0


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 300:
        raise TransientError(f"Graph refused {what} ({urlsplit(str(response.request.url)).path}): "
                             f"HTTP {response.status_code}")  # fmt: skip
    return json_object(response, TransientError, what)
