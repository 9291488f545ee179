"""NTFS security descriptors → document ACLs: a pure parser and mapping, no I/O.

Who may **read** a file, from its self-relative security descriptor ([MS-DTYP] 2.4.6):

- an ACCESS_ALLOWED ACE whose mask includes ``FILE_READ_DATA`` (or ``GENERIC_READ`` / ``GENERIC_ALL``,
  which every composite read mask such as ``FILE_GENERIC_READ``, read & execute, modify and full control
  contains) allows its SID; an ACE granting only write, delete, attribute or permission rights does not;
- an ACCESS_DENIED ACE denying **any** read right (data, attributes, extended attributes, the security
  descriptor, ``GENERIC_READ`` / ``GENERIC_ALL``) denies its SID. A deny that blocks only reading the
  attributes still breaks every ordinary "open for reading" (it asks for ``FILE_GENERIC_READ``), and
  "any matching deny wins" is stricter than Windows' ordered evaluation: it may hide, never leak;
- inherited ACEs count like explicit ones; INHERIT_ONLY ACEs apply to children only and are skipped;
- fail closed (:class:`UnsupportedAclError`, the file is not indexed and the reason is reported): a NULL
  DACL (Windows: everyone, full control; "public" only on explicit evidence, not by omission), an empty
  DACL or one where no ACE grants read (nobody may read), object ACEs, callback (conditional) ACEs and
  any other ACE type, and any malformed structure.

SIDs become canonical ``sid:`` tokens (:func:`ragwarden.acl.tokens.sid`) exactly as the descriptor names
them, well-known, BUILTIN and the file server's machine-local SIDs included: this mapping says what the
file system says. Whether a caller can ever hold such a token is decided at ingest
(:mod:`ragwarden.acl.principals`): Everyone (``S-1-1-0``), Authenticated Users (``S-1-5-11``) and the
domain's accounts resolve; BUILTIN (``S-1-5-32-*``, evaluated by the file server against its own local
groups), NETWORK, INTERACTIVE, CREATOR OWNER, machine-local and foreign-domain SIDs do not by default, so
an allow for them grants nothing and a deny for them keeps the file out of the index.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError
from ragwarden.core.models import AccessControl

# access mask bits ([MS-DTYP] 2.4.3, [MS-SMB2] 2.2.13.1.1)
FILE_READ_DATA = 0x00000001
FILE_READ_EA = 0x00000008
FILE_READ_ATTRIBUTES = 0x00000080
READ_CONTROL = 0x00020000
GENERIC_ALL = 0x10000000
GENERIC_READ = 0x80000000
FILE_GENERIC_READ = 0x00120089
FILE_ALL_ACCESS = 0x001F01FF

GRANTS_READ = FILE_READ_DATA | GENERIC_READ | GENERIC_ALL
DENIES_READ = FILE_READ_DATA | FILE_READ_EA | FILE_READ_ATTRIBUTES | READ_CONTROL | GENERIC_READ | GENERIC_ALL

# ACE types and flags
ACCESS_ALLOWED = 0x00
ACCESS_DENIED = 0x01
INHERIT_ONLY = 0x08
INHERITED = 0x10
_ACE_TYPE_NAMES = {
    0x02: "system audit",
    0x03: "system alarm",
    0x04: "compound allowed",
    0x05: "object allowed",
    0x06: "object denied",
    0x07: "object audit",
    0x08: "object alarm",
    0x09: "callback (conditional) allowed",
    0x0A: "callback (conditional) denied",
    0x0B: "callback object allowed",
    0x0C: "callback object denied",
    0x0D: "callback audit",
    0x0E: "callback alarm",
    0x0F: "callback object audit",
    0x10: "callback object alarm",
    0x11: "mandatory label",
    0x12: "resource attribute",
    0x13: "scoped policy id",
}

# security descriptor control bits
SE_DACL_PRESENT = 0x0004
SE_DACL_PROTECTED = 0x1000
SE_SELF_RELATIVE = 0x8000


class UnsupportedAclError(AccessControlError):
    """The descriptor is valid but cannot be mapped safely (NULL/empty DACL, unknown ACE)."""


@dataclass(frozen=True, slots=True)
class Ace:
    type: int
    flags: int
    mask: int
    sid: str | None  # None for ACE types whose body is not parsed

    @property
    def inherit_only(self) -> bool:
        return bool(self.flags & INHERIT_ONLY)

    @property
    def inherited(self) -> bool:
        return bool(self.flags & INHERITED)


@dataclass(frozen=True, slots=True)
class SecurityDescriptor:
    control: int
    owner: str | None
    group: str | None
    dacl: tuple[Ace, ...] | None  # None: a NULL DACL (no DACL present)

    @property
    def protected(self) -> bool:
        """Inheritance from the parent is blocked ("broken inheritance")."""
        return bool(self.control & SE_DACL_PROTECTED)


def parse_sid(data: bytes, offset: int = 0) -> tuple[str, int]:
    """A binary SID at ``offset`` as ``S-1-…`` text, and its length in bytes."""
    if offset + 8 > len(data):
        raise AccessControlError("truncated SID")
    revision, count = data[offset], data[offset + 1]
    authority = int.from_bytes(data[offset + 2 : offset + 8], "big")
    end = offset + 8 + 4 * count
    if revision != 1 or count > 15 or end > len(data):
        raise AccessControlError(f"malformed SID (revision {revision}, {count} sub-authorities)")
    subs = struct.unpack_from(f"<{count}I", data, offset + 8)
    return "-".join(["S", "1", str(authority), *(str(s) for s in subs)]), end - offset


def parse_security_descriptor(data: bytes) -> SecurityDescriptor:
    """Parse a self-relative security descriptor; anything malformed raises :class:`AccessControlError`."""
    if len(data) < 20:
        raise AccessControlError("security descriptor shorter than its header")
    revision, _, control, owner_at, group_at, _sacl_at, dacl_at = struct.unpack_from("<BBHIIII", data)
    if revision != 1 or not control & SE_SELF_RELATIVE:
        raise AccessControlError(f"not a self-relative security descriptor (revision {revision})")
    owner = parse_sid(data, owner_at)[0] if owner_at else None
    group = parse_sid(data, group_at)[0] if group_at else None
    dacl = _parse_acl(data, dacl_at) if control & SE_DACL_PRESENT and dacl_at else None
    return SecurityDescriptor(control, owner, group, dacl)


def _parse_acl(data: bytes, offset: int) -> tuple[Ace, ...]:
    if offset + 8 > len(data):
        raise AccessControlError("truncated ACL header")
    revision, _, size, count, _ = struct.unpack_from("<BBHHH", data, offset)
    end = offset + size
    if revision not in (2, 3, 4) or end > len(data):  # ACL_REVISION2..4 (Samba writes 3)
        raise AccessControlError(f"malformed ACL (revision {revision}, size {size})")
    aces: list[Ace] = []
    at = offset + 8
    for _ in range(count):
        if at + 4 > end:
            raise AccessControlError("truncated ACE")
        ace_type, flags, ace_size = struct.unpack_from("<BBH", data, at)
        if ace_size < 4 or at + ace_size > end:
            raise AccessControlError(f"malformed ACE (size {ace_size})")
        body = data[at + 4 : at + ace_size]
        aces.append(_parse_ace(ace_type, flags, body))
        at += ace_size
    return tuple(aces)


def _parse_ace(ace_type: int, flags: int, body: bytes) -> Ace:
    if ace_type not in (ACCESS_ALLOWED, ACCESS_DENIED):
        mask = struct.unpack_from("<I", body)[0] if len(body) >= 4 else 0
        return Ace(ace_type, flags, mask, None)
    if len(body) < 12:
        raise AccessControlError("truncated access ACE")
    mask = struct.unpack_from("<I", body)[0]
    return Ace(ace_type, flags, mask, parse_sid(body, 4)[0])


def dacl_to_access(descriptor: SecurityDescriptor, share: Iterable[str] = ()) -> AccessControl:
    """The document ACL of a file with this descriptor; ``share`` are the share-permission tokens.

    Raises :class:`UnsupportedAclError` (fail closed) as the module docstring lists.
    """
    if descriptor.dacl is None:
        raise UnsupportedAclError(
            "NULL DACL (Windows grants everyone full control): not indexed without explicit evidence"
        )
    if not descriptor.dacl:
        raise UnsupportedAclError("empty DACL: nobody may read the file")
    allow: set[str] = set()
    deny: set[str] = set()
    for ace in descriptor.dacl:
        if ace.type not in (ACCESS_ALLOWED, ACCESS_DENIED) or ace.sid is None:
            name = _ACE_TYPE_NAMES.get(ace.type, f"unknown type 0x{ace.type:02x}")
            raise UnsupportedAclError(f"{name} ACE not supported")
        if ace.inherit_only:
            continue  # applies to objects created below a folder, not to this object
        if ace.type == ACCESS_DENIED and ace.mask & DENIES_READ:
            deny.add(tokens.sid(ace.sid))
        elif ace.type == ACCESS_ALLOWED and ace.mask & GRANTS_READ:
            allow.add(tokens.sid(ace.sid))
    if not allow:
        raise UnsupportedAclError("no ACE grants read access: nobody may read the file")
    return AccessControl(allow=frozenset(allow), deny=frozenset(deny), share=frozenset(share))


def sd_to_access(data: bytes, share: Iterable[str] = ()) -> AccessControl:
    """Parse and map in one step."""
    return dacl_to_access(parse_security_descriptor(data), share)


# -- building descriptors (tests, tools) ---------------------------------------------------------


def sid_bytes(sid: str) -> bytes:
    parts = sid.split("-")
    if len(parts) < 3 or parts[0] != "S" or parts[1] != "1":
        raise AccessControlError(f"invalid SID: {sid!r}")
    subs = [int(p) for p in parts[3:]]
    return bytes([1, len(subs)]) + int(parts[2]).to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def build_ace(ace_type: int, mask: int, sid: str, flags: int = 0) -> bytes:
    body = struct.pack("<I", mask) + sid_bytes(sid)
    return struct.pack("<BBH", ace_type, flags, 4 + len(body)) + body


def build_descriptor(
    aces: list[bytes] | None, owner: str | None = "S-1-5-32-544", control: int = 0, revision: int = 2
) -> bytes:
    """A self-relative descriptor; ``aces`` None builds a NULL DACL."""
    owner_b = sid_bytes(owner) if owner else b""
    acl = b""
    if aces is not None:
        payload = b"".join(aces)
        acl = struct.pack("<BBHHH", revision, 0, 8 + len(payload), len(aces), 0) + payload
        control |= SE_DACL_PRESENT
    owner_at = 20 if owner_b else 0
    dacl_at = 20 + len(owner_b) if aces is not None else 0
    header = struct.pack("<BBHIIII", 1, 0, control | SE_SELF_RELATIVE, owner_at, 0, 0, dacl_at)
    return header + owner_b + acl
