"""What decides access to a file on an SMB share beyond its DACL, and what ragwarden does about it.

**Central access policies** (Dynamic Access Control): Windows evaluates a central access policy *in
addition* to the DACL; the DACL alone then over-states who may read. The policy's presence shows as a
SYSTEM_SCOPED_POLICY_ID ACE in the SACL, which a server returns for SCOPE_SECURITY_INFORMATION with no more
than READ_CONTROL ([MS-DTYP] 2.4.4.16, 2.4.7). Such a file is refused (a failed item with the reason),
never indexed from its DACL. A server that refuses the extra information class fails the file the same way
(fail closed per file; there is no fallback that would index without knowing).

**Mandatory labels** (LABEL_SECURITY_INFORMATION, also READ_CONTROL only): a label with NO_READ_UP keeps
lower-integrity readers out whatever the DACL says, so such a file is refused too.

**Conditional (callback) ACEs** in the DACL grant or deny by claims, device groups or resource attributes,
which no principal token can express: refused. (:mod:`ntfs_acl` refuses every ACE type it does not map; this
check says why, and holds whatever the mapping learns later.)

**Share permissions** are not part of a file's descriptor (they live behind the SRVSVC RPC interface,
NetShareGetInfo level 502, which smbprotocol does not speak and which needs administrator rights on the
file server). So an smb source must *say* what the share's permissions admit: ``share_allow`` lists those
SIDs (they become ``acl_share``, intersected with the NTFS allow set), or ``["everyone"]`` for a share open
to Everyone. A source that says nothing is refused: silence used to mean "no share restriction".
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError, ConfigurationError

# SECURITY_INFORMATION bits ([MS-DTYP] 2.4.7); reading each of these needs READ_CONTROL only
OWNER, GROUP, DACL, LABEL, SCOPE = 0x01, 0x02, 0x04, 0x10, 0x40
SECURITY_INFO = OWNER | GROUP | DACL | LABEL | SCOPE

_SACL_PRESENT = 0x0010
_DACL_PRESENT = 0x0004
_MANDATORY_LABEL = 0x11
_RESOURCE_ATTRIBUTE = 0x12
_SCOPED_POLICY_ID = 0x13
_NO_READ_UP = 0x2
_AUDIT_OR_ALARM = frozenset({0x02, 0x03, 0x07, 0x08, 0x0D, 0x0E, 0x0F, 0x10})  # log access, never decide it
_CALLBACK = {0x09: "allowed", 0x0A: "denied", 0x0B: "object allowed", 0x0C: "object denied"}

EVERYONE_WORDS = frozenset({"everyone", "s-1-1-0", "sid:s-1-1-0"})
SHARE_ALLOW_HELP = (
    'share_allow must list the SIDs the share\'s own permissions admit (e.g. ["S-1-5-21-…-1105"]), '
    'or ["everyone"] for a share open to Everyone; ragwarden cannot read share permissions itself'
)


class CentralAccessPolicyError(AccessControlError):
    """Access to the file is also decided by something ragwarden cannot map to tokens."""


def refuse_beyond_dacl(descriptor: bytes) -> None:
    """Raises :class:`CentralAccessPolicyError` if anything besides owner, group and a plain DACL decides
    who may read the file; :class:`AccessControlError` if the descriptor is malformed."""
    if len(descriptor) < 20:
        raise AccessControlError("security descriptor shorter than its header")
    control, _owner, _group, sacl_at, dacl_at = struct.unpack_from("<HIIII", descriptor, 2)
    if control & _DACL_PRESENT and dacl_at:
        for ace_type, _mask in _aces(descriptor, dacl_at):
            if ace_type in _CALLBACK:
                raise CentralAccessPolicyError(
                    f"conditional (callback {_CALLBACK[ace_type]}) ACE: access depends on claims or attributes"
                )
    if not (control & _SACL_PRESENT and sacl_at):
        return
    for ace_type, mask in _aces(descriptor, sacl_at):
        if ace_type == _SCOPED_POLICY_ID:
            raise CentralAccessPolicyError("a central access policy applies (Dynamic Access Control)")
        if ace_type == _MANDATORY_LABEL and mask & _NO_READ_UP:
            raise CentralAccessPolicyError("a mandatory integrity label forbids reading up (NO_READ_UP)")
        if ace_type not in _AUDIT_OR_ALARM | {_MANDATORY_LABEL, _RESOURCE_ATTRIBUTE}:
            raise CentralAccessPolicyError(f"SACL entry of unknown type 0x{ace_type:02x}")


def _aces(data: bytes, offset: int) -> list[tuple[int, int]]:
    """(type, mask) of each ACE of the ACL at ``offset``; the mask is 0 for an ACE too short to hold one."""
    if offset + 8 > len(data):
        raise AccessControlError("truncated ACL header")
    _revision, _, size, count, _ = struct.unpack_from("<BBHHH", data, offset)
    end = offset + size
    if end > len(data):
        raise AccessControlError(f"malformed ACL (size {size})")
    found, at = [], offset + 8
    for _ in range(count):
        if at + 4 > end:
            raise AccessControlError("truncated ACE")
        ace_type, _flags, ace_size = struct.unpack_from("<BBH", data, at)
        if ace_size < 4 or at + ace_size > end:
            raise AccessControlError(f"malformed ACE (size {ace_size})")
        mask = struct.unpack_from("<I", data, at + 4)[0] if ace_size >= 8 else 0
        found.append((ace_type, mask))
        at += ace_size
    return found


def share_tokens(share_allow: Sequence[str]) -> frozenset[str]:
    """The ``acl_share`` tokens of a share whose permissions admit ``share_allow``; empty for Everyone.

    Raises :class:`ConfigurationError` for an empty list (the share's permissions were not said) or a
    value that is neither a SID nor ``everyone``.
    """
    if isinstance(share_allow, str) or not share_allow:
        raise ConfigurationError(SHARE_ALLOW_HELP)
    if any(not isinstance(s, str) for s in share_allow):
        raise ConfigurationError(f"share_allow: every entry must be a SID or 'everyone'; {SHARE_ALLOW_HELP}")
    if any(s.strip().lower() in EVERYONE_WORDS for s in share_allow):
        return frozenset()  # Everyone is admitted by the share: only the NTFS permissions decide
    try:
        return frozenset(tokens.sid(s.strip().removeprefix("sid:")) for s in share_allow)
    except AccessControlError as exc:
        raise ConfigurationError(f"share_allow: {exc}; {SHARE_ALLOW_HELP}") from exc
