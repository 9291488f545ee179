"""SMB round trips of the SMB connector: a file's security descriptor, and a file read together with what
identifies it, all through one open handle.

Why one handle: the ACL stamped on a document must describe the very bytes that are indexed. A path names
whatever file sits there *now*; a handle names one file for as long as it is open. So the read opens the
file once (not following a reparse point, not letting anyone rename or delete it meanwhile), asks that
handle for its file id, last-write time, size, attributes and security descriptor, reads the bytes, then asks
again for the last-write time and size. The connector compares all of it with what its scan saw.
"""

from __future__ import annotations

from collections.abc import Sequence
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


class _Compound:
    """The requests of one related compound (create, queries, close) with how to read each answer: what
    smbclient's ``SMBFileTransaction`` gathers, kept here so that the compound is sent without waiting."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.actions: list[tuple[Any, Any]] = []

    def __iadd__(self, action: tuple[Any, Any]) -> _Compound:
        self.actions.append(action)
        return self


def _send_descriptor_query(unc: str, kwargs: dict[str, Any]) -> tuple[_Compound, list[Any]]:
    from smbclient._io import SMBRawIO, query_info
    from smbprotocol.file_info import FileInternalInformation

    raw = SMBRawIO(
        unc,
        mode="r",
        share_access="rwd",
        desired_access=READ_CONTROL | FILE_READ_ATTRIBUTES,
        create_options=FILE_OPEN_REPARSE_POINT,
        **kwargs,
    )
    compound = _Compound(raw)
    raw.open(transaction=compound)
    _security_request(compound)
    query_info(compound, FileInternalInformation)
    raw.close(transaction=compound)
    tree = raw.fd.tree_connect
    messages = [message for message, _ in compound.actions]
    return compound, raw.fd.connection.send_compound(messages, tree.session.session_id, tree.tree_connect_id, True)


def _descriptor_answer(compound: _Compound, requests: list[Any]) -> tuple[bytes, int] | Exception:
    from smbprotocol.exceptions import SMBOSError, SMBResponseException

    results: list[Any] = []
    failure: Exception | None = None
    for (_, unpack), request in zip(compound.actions, requests, strict=True):
        try:  # every answer is awaited, a failed one too: an unread answer would stay in the connection
            results.append(unpack(request))
        except SMBResponseException as exc:
            failure = failure or SMBOSError(exc.status, compound.raw.name)
        except Exception as exc:  # noqa: BLE001 - this file's failure, not the batch's
            failure = failure or exc
    if failure is not None:
        return failure
    return bytes(results[1]), int(results[2]["index_number"].get_value())


def security_descriptors(uncs: Sequence[str], **kwargs: Any) -> list[tuple[bytes, int] | Exception]:
    """(descriptor, file id) of each file in ``uncs``, or the error that file met: per file, create
    (READ_CONTROL) + two QUERY_INFO + close in one compound; the id tells the caller whether the descriptor
    belongs to the file it listed. Every compound is sent before the first answer is awaited: one at a time,
    a permission pass over 10 000 files waited for the server 10 000 times while the client's CPU idled
    (and the other way round)."""
    sent: list[tuple[_Compound, list[Any]] | Exception] = []
    for unc in uncs:
        try:
            sent.append(_send_descriptor_query(unc, kwargs))
        except Exception as exc:  # noqa: BLE001 - e.g. a name the client refuses: this file only
            sent.append(exc)
    return [item if isinstance(item, Exception) else _descriptor_answer(*item) for item in sent]


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
