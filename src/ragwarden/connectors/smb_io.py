"""SMB round trips of the SMB connector: a file's security descriptor, and a file read together with what
identifies it, all through one open handle.

Why one handle: the ACL stamped on a document must describe the very bytes that are indexed. A path names
whatever file sits there *now*; a handle names one file for as long as it is open. So the read opens the
file once (not following a reparse point, not letting anyone rename or delete it meanwhile), asks that
handle for its file id, last-write time, size, attributes and security descriptor, reads the bytes, then asks
again for the last-write time and size. The connector compares all of it with what its scan saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ragwarden.connectors.smb_policy import SECURITY_INFO

READ_CONTROL = 0x00020000
FILE_READ_DATA = 0x00000001
FILE_READ_ATTRIBUTES = 0x00000080
FILE_OPEN_REPARSE_POINT = 0x00200000
REPARSE_POINT = 0x400
_SD_BUFFER = 64 * 1024
_FILETIME_EPOCH = 116444736000000000  # 1970-01-01 in 100 ns steps since 1601
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FileState:
    """What one open handle says about its file."""

    file_id: int
    last_write: datetime
    size: int
    attributes: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A file's bytes with its state before and after reading them and its descriptor, from one handle."""

    data: bytes
    before: FileState
    after: FileState
    descriptor: bytes


def _security_request(transaction: Any) -> None:
    from smbprotocol.file_info import InfoType
    from smbprotocol.open import SMB2QueryInfoRequest, SMB2QueryInfoResponse

    raw = transaction.raw
    request = SMB2QueryInfoRequest()
    request["info_type"] = InfoType.SMB2_0_INFO_SECURITY
    request["output_buffer_length"] = _SD_BUFFER
    request["additional_information"] = SECURITY_INFO
    request["file_id"] = raw.fd.file_id

    def unpack(sent: Any) -> bytes:
        response = raw.fd.connection.receive(sent)
        parsed = SMB2QueryInfoResponse()
        parsed.unpack(response["data"].get_value())
        return bytes(parsed["buffer"].get_value())

    transaction += (request, unpack)


def _state_requests(transaction: Any) -> None:
    from smbclient._io import query_info
    from smbprotocol.file_info import FileBasicInformation, FileInternalInformation, FileStandardInformation

    for info in (FileInternalInformation, FileBasicInformation, FileStandardInformation):
        query_info(transaction, info)


def _state(results: tuple[Any, ...]) -> FileState:
    internal, basic, standard = results
    return FileState(
        file_id=int(internal["index_number"].get_value()),
        last_write=filetime(basic["last_write_time"].get_value()),
        size=int(standard["end_of_file"].get_value()),
        attributes=int(basic["file_attributes"].get_value()),
    )


def filetime(value: int | datetime) -> datetime:
    """A FILETIME as the datetime smbprotocol gives for it in directory listings (microseconds, UTC),
    so that what the read sees compares with what the scan listed."""
    if isinstance(value, datetime):
        return value
    return _UNIX_EPOCH + timedelta(microseconds=(int(value) - _FILETIME_EPOCH) // 10)


def _commit(transaction: Any) -> tuple[Any, ...]:
    transaction.commit()  # raises the first failure; otherwise every request has its result
    return tuple(transaction.results or ())


def security_descriptor(unc: str, **kwargs: Any) -> tuple[bytes, int]:
    """(descriptor, file id) of the file at ``unc``: create (READ_CONTROL) + two QUERY_INFO + close in one
    round trip; the id tells the caller whether the descriptor belongs to the file it listed."""
    from smbclient._io import SMBFileTransaction, SMBRawIO, query_info
    from smbprotocol.file_info import FileInternalInformation

    raw = SMBRawIO(
        unc,
        mode="r",
        share_access="rwd",
        desired_access=READ_CONTROL | FILE_READ_ATTRIBUTES,
        create_options=FILE_OPEN_REPARSE_POINT,
        **kwargs,
    )
    with SMBFileTransaction(raw) as transaction:
        _security_request(transaction)
        query_info(transaction, FileInternalInformation)
    descriptor, internal = transaction.results
    return bytes(descriptor), int(internal["index_number"].get_value())


def read_snapshot(unc: str, limit: int, **kwargs: Any) -> Snapshot:
    """At most ``limit`` bytes of the file at ``unc``, with its state and descriptor from the same handle.

    Others may keep reading and writing it meanwhile (a file open in an editor stays readable), but not
    rename, replace or delete it: the share mode leaves out delete access."""
    from smbclient._io import SMBFileIO, SMBFileTransaction

    raw = SMBFileIO(
        unc,
        mode="r",
        share_access="rw",
        desired_access=FILE_READ_DATA | FILE_READ_ATTRIBUTES | READ_CONTROL,
        create_options=FILE_OPEN_REPARSE_POINT,
        **kwargs,
    )
    with raw:
        first = SMBFileTransaction(raw)
        _state_requests(first)
        _security_request(first)
        results = _commit(first)
        before, descriptor = _state(results[:3]), bytes(results[3])
        data = bytearray()
        while len(data) < limit and (piece := raw.read(min(limit - len(data), 1 << 20))):
            data += piece
        second = SMBFileTransaction(raw)
        _state_requests(second)
        after = _state(_commit(second))
    return Snapshot(bytes(data), before, after, descriptor)
