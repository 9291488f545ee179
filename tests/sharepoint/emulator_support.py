"""What the SharePoint emulator tests share: a small hand-built world and an HTTPS caller holding an app token
obtained through msal (``ragwarden.acl.msal_app``) from the Entra stand-in, with a secret or a certificate."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from ragwarden.acl.msal_app import MsalAppToken
from ragwarden.testing.microsoft.entra import FakeMicrosoft
from ragwarden.testing.microsoft.sharepoint import SharePointEmulator, World

ALL_PREFERS = "hierarchicalsharing, deltashowsharingchanges, deltashowremovedasdeleted, deltatraversepermissiongaps"


@dataclass
class Tree:
    """Root ─ Finance/ (report.docx, Q1/ (numbers.xlsx)) ─ Public/ (readme.txt) ─ top.txt"""

    finance: str
    report: str
    q1: str
    numbers: str
    public: str
    readme: str
    top: str


def build_tree(world: World) -> Tree:
    root = world.root()
    finance = world.add_folder(root, "Finance")
    q1 = world.add_folder(finance, "Q1")
    public = world.add_folder(root, "Public")
    return Tree(
        finance=finance,
        report=world.add_file(finance, "report.docx", b"quarterly report"),
        q1=q1,
        numbers=world.add_file(q1, "numbers.xlsx", b"1,2,3"),
        public=public,
        readme=world.add_file(public, "Grüße an O'Brien.txt", b"hello"),
        top=world.add_file(root, "top.txt", b"top level"),
    )


class Caller:
    """An app calling the emulator over HTTPS with a bearer token for ``scope``."""

    def __init__(self, ms: FakeMicrosoft, em: SharePointEmulator, scope: str, *, certificate: bool = True) -> None:
        credential: dict[str, Any] = (
            {"certificate_pem": ms.client_cert_file.read_text()} if certificate else {"client_secret": ms.client_secret}
        )
        provider = MsalAppToken(ms.tenant_id, ms.client_id, scope, authority_host=ms.authority_host,
                                verify=str(ms.ca_file), **credential)  # fmt: skip
        self.token = provider.token()
        context = ssl.create_default_context(cafile=str(em.ca_file))
        self.http = httpx.Client(verify=context, timeout=10)
        self.em = em

    def get(self, url: str, *, token: bool = True, **headers: str) -> httpx.Response:
        if not url.startswith("https://"):
            url = f"{self.em.graph_url}{url}"
        if token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.http.get(url, headers=headers)

    def post(self, url: str, body: Any) -> httpx.Response:
        return self.http.post(f"{self.em.graph_url}{url}", json=body, headers={"Authorization": f"Bearer {self.token}"})

    def delta(self, url: str, prefer: str | None = ALL_PREFERS) -> tuple[list[dict[str, Any]], str, int]:
        """Follows nextLinks to the delta link: (every item in order, the delta link, pages)."""
        items: list[dict[str, Any]] = []
        pages = 0
        while True:
            answer = self.get(url, **({"Prefer": prefer} if prefer else {}))
            assert answer.status_code == 200, answer.text
            pages += 1
            items += answer.json()["value"]
            if "@odata.deltaLink" in answer.json():
                return items, answer.json()["@odata.deltaLink"], pages
            url = answer.json()["@odata.nextLink"]
