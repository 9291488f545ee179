"""SMB beyond the DACL (issue 11, finding 4): central access policies, integrity labels, conditional ACEs
and the share's own permissions.

The descriptor checks run on built descriptors (Samba neither enforces nor returns central access
policies: it stores a SACL but answers SCOPE_SECURITY_INFORMATION without it) and, beside that, on the real
file server's own descriptor of a file with a policy ACE added, through the connector's scan. The share
permission rule is checked where it is configured: the sources file, the registry and the connector.
"""

from __future__ import annotations

import struct
import textwrap
from typing import Any

import pytest

from ragwarden.connectors import smb_io
from ragwarden.connectors.ntfs_acl import ACCESS_ALLOWED, build_ace, build_descriptor
from ragwarden.connectors.registry import ConnectorContext, build_connector
from ragwarden.connectors.smb import SmbConnector
from ragwarden.connectors.smb_policy import (
    DACL,
    LABEL,
    SCOPE,
    SECURITY_INFO,
    CentralAccessPolicyError,
    refuse_beyond_dacl,
    share_tokens,
)
from ragwarden.core.errors import AccessControlError, ConfigurationError
from ragwarden.core.models import FailedItem, SourceDocument
from ragwarden.core.sources import parse_sources
from ragwarden.core.sources.spec import DEFAULT_SCHEMES, SourceSpec
from tests.fixtures.smb import EVERYONE, FULL, INHERIT, READ, SHARE, SmbServer

HR = "S-1-5-21-1111111111-2222222222-3333333333-1105"
READ_MASK = 0x001200A9
SCOPED_POLICY_ID, MANDATORY_LABEL, SYSTEM_AUDIT, CALLBACK_ALLOWED = 0x13, 0x11, 0x02, 0x09
HIGH_INTEGRITY = "S-1-16-12288"


def with_sacl(descriptor: bytes, *aces: bytes) -> bytes:
    """``descriptor`` with a SACL of ``aces`` appended (and SE_SACL_PRESENT set)."""
    revision, sbz, control, owner, group, _sacl, dacl = struct.unpack_from("<BBHIIII", descriptor)
    payload = b"".join(aces)
    sacl = struct.pack("<BBHHH", 2, 0, 8 + len(payload), len(aces), 0) + payload
    header = struct.pack("<BBHIIII", revision, sbz, control | 0x0010, owner, group, len(descriptor), dacl)
    return header + descriptor[20:] + sacl


PLAIN = build_descriptor([build_ace(ACCESS_ALLOWED, READ_MASK, HR)])


# -- central access policies, labels, conditional ACEs -----------------------------------------------


def test_the_connector_asks_whether_a_central_access_policy_or_a_label_applies() -> None:
    assert SECURITY_INFO & SCOPE and SECURITY_INFO & LABEL and SECURITY_INFO & DACL
    assert not SECURITY_INFO & 0x08, "the SACL proper needs SeSecurityPrivilege; the scope does not"


def test_a_central_access_policy_makes_the_file_refused() -> None:
    """A SYSTEM_SCOPED_POLICY_ID ACE in the SACL: the DACL alone over-states who may read."""
    with pytest.raises(CentralAccessPolicyError, match="central access policy"):
        refuse_beyond_dacl(with_sacl(PLAIN, build_ace(SCOPED_POLICY_ID, 0, "S-1-17-1")))


@pytest.mark.parametrize("ace_type", [0x09, 0x0A, 0x0B, 0x0C])
def test_a_conditional_ace_in_the_dacl_makes_the_file_refused(ace_type: int) -> None:
    descriptor = build_descriptor([build_ace(ACCESS_ALLOWED, READ_MASK, HR), build_ace(ace_type, READ_MASK, HR)])
    with pytest.raises(CentralAccessPolicyError, match="conditional"):
        refuse_beyond_dacl(descriptor)


def test_a_no_read_up_label_makes_the_file_refused_and_a_plain_label_or_audit_entry_does_not() -> None:
    with pytest.raises(CentralAccessPolicyError, match="NO_READ_UP"):
        refuse_beyond_dacl(with_sacl(PLAIN, build_ace(MANDATORY_LABEL, 0x3, HIGH_INTEGRITY)))
    refuse_beyond_dacl(with_sacl(PLAIN, build_ace(MANDATORY_LABEL, 0x1, HIGH_INTEGRITY)))  # NO_WRITE_UP only
    refuse_beyond_dacl(with_sacl(PLAIN, build_ace(SYSTEM_AUDIT, READ_MASK, HR)))
    refuse_beyond_dacl(PLAIN)


def test_an_unknown_sacl_entry_or_a_malformed_one_is_refused() -> None:
    with pytest.raises(CentralAccessPolicyError, match="unknown type 0x42"):
        refuse_beyond_dacl(with_sacl(PLAIN, build_ace(0x42, 0, HR)))
    broken = with_sacl(PLAIN, build_ace(SCOPED_POLICY_ID, 0, "S-1-17-1"))[:-6]
    with pytest.raises(AccessControlError):
        refuse_beyond_dacl(broken)


@pytest.fixture(scope="module")
def policy_folder(smb_server: SmbServer) -> str:
    s = smb_server
    s.mkdirs(SHARE, "richtlinie")
    s.cacls(
        SHARE, "richtlinie", "--set", [(s.admin_sid, "ALLOWED", INHERIT, FULL), (EVERYONE, "ALLOWED", INHERIT, READ)]
    )
    s.write_files(SHARE, {"richtlinie/cap.txt": "unter zentraler Richtlinie", "richtlinie/frei.txt": "frei"})
    return "richtlinie"


def _connector(s: SmbServer, root: str) -> SmbConnector:
    return SmbConnector(
        s.dc.ip,
        SHARE,
        root,
        username="Administrator",
        password=s.dc.admin_password,
        max_file_size=1_000_000,
        share_allow=["everyone"],
    )


def test_the_real_server_answers_the_extended_query_and_plain_files_are_still_indexed(
    smb_server: SmbServer, policy_folder: str
) -> None:
    """Samba accepts SCOPE|LABEL in the same query; nothing changes for a file without a policy."""
    docs = [d for d in _connector(smb_server, policy_folder).scan() if isinstance(d, SourceDocument)]
    assert sorted(d.path for d in docs) == ["cap.txt", "frei.txt"]


def test_a_file_under_a_central_access_policy_is_a_failed_item_with_the_reason(
    smb_server: SmbServer, policy_folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside the real thing: the server's own descriptor of cap.txt, as Windows would return it under a
    central access policy (a scoped-policy ACE in the SACL); the scan refuses that file and goes on."""
    real = smb_io.security_descriptors

    def under_policy(uncs: list[str], **kwargs: Any) -> list[tuple[bytes, int] | Exception]:
        answers = real(uncs, **kwargs)
        for n, (unc, answer) in enumerate(zip(uncs, answers, strict=True)):
            if unc.endswith("cap.txt") and not isinstance(answer, Exception):
                answers[n] = (with_sacl(answer[0], build_ace(SCOPED_POLICY_ID, 0, "S-1-17-1")), answer[1])
        return answers

    monkeypatch.setattr(smb_io, "security_descriptors", under_policy)
    items = list(_connector(smb_server, policy_folder).scan())
    failed = [i for i in items if isinstance(i, FailedItem)]
    assert [d.path for d in items if isinstance(d, SourceDocument)] == ["frei.txt"]
    assert [(f.source_uri.rsplit("/", 1)[-1], f.kind) for f in failed] == [("cap.txt", "acl")]
    assert "central access policy" in failed[0].reason


# -- share permissions must be said ------------------------------------------------------------------


def test_share_allow_is_required_and_everyone_must_be_said() -> None:
    """An empty share_allow used to mean "no share restriction": now it is a configuration error."""
    missing: tuple[str, ...] | list[str]
    for missing in ((), []):
        with pytest.raises(ConfigurationError, match=r'share_allow.*\["everyone"\]'):
            share_tokens(missing)
    assert share_tokens(["everyone"]) == frozenset()  # the share admits Everyone: NTFS alone decides
    assert share_tokens(["Everyone", HR]) == frozenset()
    assert share_tokens([HR, f"sid:{HR}"]) == {f"sid:{HR}"}
    for bad in (["HR-Gruppe"], "everyone", [None]):
        with pytest.raises(ConfigurationError, match="share_allow"):
            share_tokens(bad)  # type: ignore[arg-type]


def test_an_smb_connector_without_share_allow_is_refused_before_it_connects() -> None:
    with pytest.raises(ConfigurationError, match="share_allow"):
        SmbConnector("fileserver", "abteilungen", username="svc", password="x", max_file_size=10)
    connector = SmbConnector(
        "fileserver", "abteilungen", username="svc", password="x", max_file_size=10, share_allow=[HR]
    )
    assert connector.share_allow == (HR,)  # recorded with the source by a one-off ingest


SOURCE = textwrap.dedent("""\
    sources:
      - name: hr-share
        location: smb://fileserver/abteilungen/hr
        username_env: U
        password_env: P
    """)


def _parse(text: str) -> list[SourceSpec]:
    return parse_sources(text, origin="s.yaml", schemes=DEFAULT_SCHEMES, environ={"U": "u", "P": "pw"})


def test_a_sources_file_with_an_smb_source_without_share_allow_is_refused_on_its_line() -> None:
    with pytest.raises(ConfigurationError) as caught:
        _parse(SOURCE)
    assert "s.yaml:2:" in str(caught.value) and "share_allow" in str(caught.value) and "everyone" in str(caught.value)
    with pytest.raises(ConfigurationError, match=r"s\.yaml:6:.*non-empty list"):
        _parse(SOURCE + "    share_allow: []\n")
    (spec,) = _parse(SOURCE + "    share_allow: everyone\n")
    assert spec.options["share_allow"] == "everyone"


def test_the_registry_builds_no_smb_connector_without_a_said_share_permission() -> None:
    spec = SourceSpec(name="hr", location="smb://fileserver/abteilungen/hr", scheme="smb")
    ctx = ConnectorContext(max_file_bytes=10, environ={}, smb_username="svc", smb_password="pw")
    with pytest.raises(ConfigurationError, match="share_allow"):
        build_connector(spec, ctx)
    said = SourceSpec(spec.name, spec.location, "smb", options={"share_allow": "everyone"})
    assert build_connector(said, ctx).share_allow == ("everyone",)  # type: ignore[attr-defined]
    from_env = ConnectorContext(10, {}, "svc", "pw", smb_share_allow=[HR])
    assert build_connector(spec, from_env).share_allow == (HR,)  # type: ignore[attr-defined]
