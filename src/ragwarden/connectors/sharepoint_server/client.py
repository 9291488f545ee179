"""SharePoint REST on one on-premises site: JSON (``odata=nometadata``) over an NTLM-signed httpx client.

Every answer is checked here: a 401 after the handshake means the service account's credentials were refused
(a :class:`~ragwarden.core.errors.ConfigurationError` naming the account: the run fails, nothing is deleted),
a 403 or 404 on one object is that object's problem (``None``), anything else unexpected is a
:class:`~ragwarden.core.errors.TransientError` (the run fails and is retried by the schedule).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from ragwarden.core.errors import ConfigurationError, ItemError, TransientError

JSON = "application/json;odata=nometadata"
ITEM_FIELDS = "Id,FileRef,FileLeafRef,FSObjType,Modified,File/Length,File/ETag,HasUniqueRoleAssignments"
PAGE = 5000  # the list view threshold: SharePoint refuses a larger page
_MAX_PAGES = 100_000


class ChangeTokenTooOld(TransientError):  # noqa: N818 - SharePoint's own wording
    """The server no longer has the changes since the stored token: enumerate afresh."""


class ServerClient:
    """The REST calls of :mod:`.refresh` against ``site_url`` (``https://host/sites/name``)."""

    def __init__(self, http: httpx.Client, site_url: str, account: str) -> None:
        self.http, self.site_url, self.account = http, site_url.rstrip("/"), account
        self._origin = "/".join(self.site_url.split("/", 3)[:3])  # https://host[:port]
        self.requests = 0

    def get(self, path: str, *, params: dict[str, str] | None = None, missing_ok: bool = False) -> Any:
        url = path if path.startswith("https://") else f"{self.site_url}/_api/{path}"
        if not url.startswith(self._origin + "/"):
            # a next link to another host would get the account's NTLM answer: never follow one
            raise TransientError(f"SharePoint at {self.site_url} pointed to another origin: {url[:200]}")
        return self._json(self._send("GET", url, params=params), url, missing_ok=missing_ok)

    def values(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every entry of a collection, following ``odata.nextLink``."""
        url: str | None = f"{self.site_url}/_api/{path}"
        for _ in range(_MAX_PAGES):
            if url is None:
                return
            page = self.get(url, params=params)
            params = None  # the next link carries them
            for value in page.get("value") or ():
                if isinstance(value, dict):
                    yield value
            url = page.get("odata.nextLink")
        raise TransientError(f"{path}: more than {_MAX_PAGES} pages")

    def items(self, list_id: str) -> Iterator[dict[str, Any]]:
        """Every item of a library, paged by ID below the list view threshold."""
        params = {"$select": ITEM_FIELDS, "$expand": "File", "$orderby": "Id", "$filter": "Id gt 0", "$top": str(PAGE)}
        return self.values(f"web/lists(guid'{list_id}')/items", params)

    def item(self, list_id: str, item_id: int) -> dict[str, Any] | None:
        params = {"$select": ITEM_FIELDS, "$expand": "File"}
        found: dict[str, Any] | None = self.get(f"web/lists(guid'{list_id}')/items({item_id})", params=params,
                                                missing_ok=True)  # fmt: skip
        return found

    def role_assignments(self, scope: str) -> list[dict[str, Any]] | None:
        """The role assignments of ``web``, ``lists(guid'…')`` or ``lists(guid'…')/items(N)``; None: unreadable."""
        path = "web/roleassignments" if scope == "web" else f"web/{scope}/roleassignments"
        found = self.get(path, params={"$expand": "Member,RoleDefinitionBindings"}, missing_ok=True)
        return None if found is None else [v for v in found.get("value") or () if isinstance(v, dict)]

    def changes(self, token: str) -> list[dict[str, Any]]:
        query = {"Item": True, "List": True, "Web": True, "Group": True, "Add": True, "Update": True,
                 "DeleteObject": True, "Rename": True, "Move": True, "SecurityPolicy": True, "RoleAssignmentAdd": True,
                 "RoleAssignmentDelete": True, "GroupMembershipAdd": True, "GroupMembershipDelete": True,
                 "ChangeTokenStart": {"StringValue": token}}  # fmt: skip
        url = f"{self.site_url}/_api/site/getChanges"
        response = self._send("POST", url, json={"query": query})
        text = response.text.lower() if response.status_code == 500 else ""
        if "change log" in text or "changetoken" in text:
            raise ChangeTokenTooOld(
                f"SharePoint no longer has the changes since the stored token: {_message(response)}"
            )
        return [v for v in self._json(response, url).get("value") or () if isinstance(v, dict)]

    def download(self, server_relative_url: str, max_size: int) -> bytes:
        """A file's bytes by its server-relative URL (apostrophes doubled, the rest percent-encoded)."""
        literal = quote(server_relative_url.replace("'", "''"), safe="/")
        url = f"{self.site_url}/_api/web/GetFileByServerRelativePath(decodedurl='{literal}')/$value"
        with self.http.stream("GET", url) as response:
            self.requests += 1
            if response.status_code in (403, 404):  # this file only (access denied, gone since the listing)
                response.read()
                status = response.status_code
                raise ItemError(f"{server_relative_url}: SharePoint answered {status}: {_message(response)}")
            if response.status_code != 200:
                response.read()
                self._json(response, url, missing_ok=False)
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > max_size:
                    raise ItemError(f"{server_relative_url}: larger than {max_size} bytes")
            return data

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        try:
            return self.http.request(method, url, headers={"Accept": JSON}, **kwargs)
        except httpx.HTTPError as exc:
            raise TransientError(f"SharePoint at {self.site_url} cannot be reached: {exc}") from exc

    def _json(self, response: httpx.Response, url: str, *, missing_ok: bool = False) -> Any:
        if response.status_code == 401:
            raise ConfigurationError(
                f"SharePoint at {self.site_url} refused the credentials of {self.account} (401 after the Windows "
                "sign-in): check the account and password (username_env / password_env), and that the account "
                "can read the site"
            )
        if response.status_code in (403, 404) and missing_ok:
            return None
        if response.status_code != 200:
            raise TransientError(f"SharePoint answered {response.status_code} to {url}: {_message(response)}")
        try:
            found = response.json()
        except ValueError as exc:
            raise TransientError(f"SharePoint answered {url} with something that is not JSON") from exc
        if not isinstance(found, dict):
            raise TransientError(f"SharePoint answered {url} with JSON that is not an object")
        return found


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("odata.error") or {}
        return str((error.get("message") or {}).get("value") or error.get("code") or response.text[:200])
    except (ValueError, AttributeError):
        return response.text[:200]
