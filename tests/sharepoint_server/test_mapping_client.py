"""The pure parts: which permission levels grant, what each claim becomes; and the REST client never sends the
account's NTLM answer to another origin, whatever a next link says."""

from __future__ import annotations

import httpx
import pytest

from ragwarden.connectors.sharepoint_server.client import ServerClient
from ragwarden.connectors.sharepoint_server.mapping import assignments_tokens, claim_tokens, grants_read
from ragwarden.core.errors import TransientError

SITE = "0f0e0d0c-0b0a-4908-8706-050403020100"


@pytest.mark.parametrize(
    ("binding", "grants"),
    [
        ({"Name": "Read", "RoleTypeKind": 2, "BasePermissions": {"High": "176", "Low": "138612833"}}, True),
        ({"Name": "Limited Access", "RoleTypeKind": 1, "BasePermissions": {"High": "0", "Low": "134287360"}}, False),
        ({"Name": "View Only", "RoleTypeKind": 0, "BasePermissions": {"High": "0", "Low": str(0x1 | 0x40)}}, False),
        ({"Name": "Custom", "RoleTypeKind": 0, "BasePermissions": {"High": "0", "Low": str(0x21)}}, True),
        ({"Name": "Edit", "RoleTypeKind": 6}, True),  # no BasePermissions: the built-in kind decides
        ({"Name": "Limited Access", "RoleTypeKind": 1}, False),
        ({"Name": "Odd", "BasePermissions": {"Low": "not a number"}}, False),
    ],
)
def test_only_levels_that_list_and_open_items_grant(binding: dict[str, object], grants: bool) -> None:
    assert grants_read(binding) is grants


def test_claims_map_to_the_sids_the_ad_resolver_emits() -> None:
    sid = "s-1-5-21-1004336348-1177238915-682003330-1105"
    assert claim_tokens(f"c:0+.w|{sid}") == (frozenset({"sid:S-1-5-21-1004336348-1177238915-682003330-1105"}), ())
    assert claim_tokens("i:0#.w|corp\\alice", {"NameId": sid})[0] == {f"sid:{sid.upper()}"}
    assert claim_tokens("c:0(.s|true") == (frozenset({"sid:S-1-1-0"}), ())
    assert claim_tokens("c:0!.s|windows") == (frozenset({"sid:S-1-5-11"}), ())
    for unmapped in ("i:0#.w|corp\\nosid", "c:0-.t|adfs|Auditors", "i:0#.f|membership|x@y.example", "c:0+.w|s-1-5"):
        found, problems = claim_tokens(unmapped)
        assert found == frozenset() and problems and unmapped.split("|")[0] in problems[0], (unmapped, problems)


def test_a_site_group_becomes_its_spgroup_token_and_limited_access_grants_nothing() -> None:
    read = {"Name": "Read", "RoleTypeKind": 2}
    limited = {"Name": "Limited Access", "RoleTypeKind": 1}
    found, problems = assignments_tokens([
        {"Member": {"Id": 7, "LoginName": "Team Visitors", "PrincipalType": 8}, "RoleDefinitionBindings": [read]},
        {"Member": {"Id": 9, "LoginName": "c:0(.s|true", "PrincipalType": 4}, "RoleDefinitionBindings": [limited]},
    ], SITE)  # fmt: skip
    assert found == {f"spgroup:{SITE}:7"} and problems == ()  # Limited Access is routine: not reported


def test_a_next_link_to_another_origin_is_never_followed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "sp.corp.example", request.url
        return httpx.Response(200, json={"value": [{"Id": 1}], "odata.nextLink": "https://evil.example/_api/x"})

    client = ServerClient(
        httpx.Client(transport=httpx.MockTransport(answer)), "https://sp.corp.example/sites/a", "C\\u"
    )
    with pytest.raises(TransientError, match="another origin"):
        list(client.values("web/lists"))
