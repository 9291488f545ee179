"""DACL → document ACL mapping on hand-built security descriptors (pure, no server)."""

from __future__ import annotations

import pytest

from ragwarden.connectors.ntfs_acl import (
    ACCESS_ALLOWED,
    ACCESS_DENIED,
    INHERIT_ONLY,
    INHERITED,
    UnsupportedAclError,
    build_ace,
    build_descriptor,
    parse_security_descriptor,
    sd_to_access,
)
from ragwarden.core.errors import AccessControlError

HR = "S-1-5-21-1-2-3-1101"
BOB = "S-1-5-21-1-2-3-1102"
ADM = "S-1-5-21-1-2-3-500"


def allow(sid: str, mask: int, flags: int = 0) -> bytes:
    return build_ace(ACCESS_ALLOWED, mask, sid, flags)


def deny(sid: str, mask: int, flags: int = 0) -> bytes:
    return build_ace(ACCESS_DENIED, mask, sid, flags)


@pytest.mark.parametrize("mask", [0x1, 0x80000000, 0x10000000, 0x120089, 0x1F01FF, 0x1200A9, 0x1301BF], ids=hex)
def test_every_read_granting_mask_allows_the_sid(mask: int) -> None:
    acl = sd_to_access(build_descriptor([allow(HR, mask)]))
    assert acl.allow == {f"sid:{HR}"} and not acl.deny


@pytest.mark.parametrize("mask", [0x2, 0x4, 0x116, 0x10000, 0x40000, 0x80, 0x20000], ids=hex)
def test_write_delete_attribute_or_permission_rights_do_not_grant_read(mask: int) -> None:
    with pytest.raises(UnsupportedAclError, match="no ACE grants read"):
        sd_to_access(build_descriptor([allow(HR, mask)]))
    acl = sd_to_access(build_descriptor([allow(HR, mask), allow(ADM, 0x1F01FF)]))
    assert acl.allow == {f"sid:{ADM}"}


@pytest.mark.parametrize("mask", [0x1, 0x8, 0x80, 0x20000, 0x80000000, 0x10000000, 0x1F01FF], ids=hex)
def test_a_deny_of_any_read_right_becomes_a_deny_token(mask: int) -> None:
    acl = sd_to_access(build_descriptor([deny(BOB, mask), allow(HR, 0x1200A9)]))
    assert acl.deny == {f"sid:{BOB}"}


def test_a_deny_of_write_only_is_not_a_read_deny() -> None:
    acl = sd_to_access(build_descriptor([deny(BOB, 0x116), allow(HR, 0x1200A9)]))
    assert not acl.deny


def test_inherited_aces_count_and_inherit_only_aces_are_ignored() -> None:
    acl = sd_to_access(
        build_descriptor(
            [
                allow(HR, 0x1200A9, INHERITED),
                allow(BOB, 0x1F01FF, INHERIT_ONLY | 0x3),
                deny(ADM, 0x1, INHERIT_ONLY),
            ]
        )
    )
    assert acl.allow == {f"sid:{HR}"} and not acl.deny


def test_well_known_sids_are_full_sid_tokens_and_share_tokens_pass_through() -> None:
    acl = sd_to_access(build_descriptor([allow("S-1-1-0", 0x1200A9), allow("S-1-5-32-545", 0x1200A9)]), ["sid:" + HR])
    assert acl.allow == {"sid:S-1-1-0", "sid:S-1-5-32-545"} and acl.share == {f"sid:{HR}"}


def test_null_dacl_fails_closed() -> None:
    with pytest.raises(UnsupportedAclError, match="NULL DACL"):
        sd_to_access(build_descriptor(None))


def test_empty_dacl_fails_closed() -> None:
    with pytest.raises(UnsupportedAclError, match="empty DACL"):
        sd_to_access(build_descriptor([]))


@pytest.mark.parametrize("ace_type", [0x05, 0x06, 0x09, 0x0A, 0x0B, 0x11, 0x7F], ids=hex)
def test_object_callback_and_unknown_aces_fail_closed(ace_type: int) -> None:
    odd = build_ace(ace_type, 0x1, BOB)
    with pytest.raises(UnsupportedAclError, match="not supported"):
        sd_to_access(build_descriptor([allow(HR, 0x1200A9), odd]))


@pytest.mark.parametrize("cut", [5, 19, 30, 60])
def test_truncated_descriptors_raise(cut: int) -> None:
    data = build_descriptor([allow(HR, 0x1200A9), deny(BOB, 0x1)])
    with pytest.raises(AccessControlError):
        sd_to_access(data[:cut])


def test_parser_reads_owner_and_protection() -> None:
    sd = parse_security_descriptor(build_descriptor([allow(HR, 1)], owner=ADM, control=0x1000))
    assert sd.owner == ADM and sd.protected and sd.dacl is not None and sd.dacl[0].sid == HR
