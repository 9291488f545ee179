"""Document bytes to text sections: the format checked, then partitioned, and one bad file is one ParseError.

The format is chosen by file extension and checked by a cheap content sniff (magic bytes, encryption
markers) before any partitioner runs (:mod:`ragwarden.ingestion.partitioners`: ``unstructured``, offline).
Elements are grouped into :class:`Section` s by their Title elements
(:func:`ragwarden.ingestion.sections.group_sections`); tables become " | "-separated rows. Whatever goes wrong
on the way is this document's :class:`~ragwarden.core.errors.ParseError`, with a reason, never a crash.
"""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any

from ragwarden.core.errors import DocumentTooLargeError, ParseError, UnsupportedFormatError
from ragwarden.core.models import Section
from ragwarden.ingestion.partitioners import elements_of
from ragwarden.ingestion.sections import group_sections

_KINDS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "text",
    ".text": "text",
    ".eml": "email",
}
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_KINDS)

_OOXML = {"docx", "pptx", "xlsx"}
_TEXTUAL = {"html", "md", "text", "email"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_REASON = 200


def file_kind(file_name: str) -> str:
    """The parser for ``file_name`` by its extension; unknown extensions are unsupported."""
    suffix = PurePath(file_name).suffix.lower()
    kind = _KINDS.get(suffix)
    if kind is None:
        shown = suffix or "(no extension)"
        raise UnsupportedFormatError(f"unsupported file type {shown}; supported: {', '.join(sorted(_KINDS))}")
    return kind


def parse(data: bytes, file_name: str, *, max_bytes: int) -> list[Section]:
    """The text of one document as sections (heading and page kept), or a per-item error.

    Raises ``DocumentTooLargeError`` (checked before anything is parsed), ``UnsupportedFormatError``
    or ``ParseError`` (corrupt, encrypted, empty: the reason says which). Never anything else.
    """
    if len(data) > max_bytes:
        raise DocumentTooLargeError(f"{len(data)} bytes is over the limit of {max_bytes} bytes")
    kind = file_kind(file_name)
    if not data.strip():
        raise ParseError("no text (empty file)")
    _sniff(kind, data)
    elements = _partition(kind, data)
    try:
        sections = group_sections(elements)
    except Exception as exc:  # noqa: BLE001 - odd element metadata must not crash a sync
        raise ParseError(_reason(exc)) from exc
    if not sections:
        raise ParseError("no text")
    return sections


def _sniff(kind: str, data: bytes) -> None:
    """Cheap content checks that give a clearer reason than a partitioner's traceback would."""
    head = data[:8]
    if kind == "pdf":
        if b"%PDF-" not in data[:1024]:
            raise ParseError("corrupt file: not a PDF (no %PDF header)")
        _check_pdf_encryption(data)
    elif kind in _OOXML:
        if head.startswith(_OLE_MAGIC):
            # Password-protected OOXML is stored inside an OLE container, not a zip.
            if _ole_is_encrypted(data):
                raise ParseError(f"encrypted (password-protected) {kind} document")
            raise ParseError(f"corrupt file: not a {kind} document (legacy binary Office format?)")
        if not head.startswith(_ZIP_MAGIC):
            raise ParseError(f"corrupt file: not a {kind} document (not a zip container)")
    elif kind in _TEXTUAL and b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError(f"corrupt file: binary content in a {kind} file")


def _check_pdf_encryption(data: bytes) -> None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        # An owner password alone (empty user password) still lets anyone read the text.
        if encrypted and not reader.decrypt(""):
            raise ParseError("encrypted PDF (a password is required to open it)")
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for broken files
        if "crypt" in str(exc).lower() or "password" in str(exc).lower():
            raise ParseError(f"encrypted PDF ({_reason(exc)})") from exc
        raise ParseError(f"corrupt PDF: {_reason(exc)}") from exc


def _ole_is_encrypted(data: bytes) -> bool:
    try:
        import msoffcrypto

        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:  # noqa: BLE001 - an unreadable OLE file is reported as corrupt instead
        return False


def _partition(kind: str, data: bytes) -> list[Any]:
    try:
        return elements_of(kind, data)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - any partitioner failure is this document's failure
        raise ParseError(f"unreadable {kind} file: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason[:_MAX_REASON]
