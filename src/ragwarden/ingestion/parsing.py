"""Document bytes to text sections with ``unstructured``: offline, and one bad file is one ParseError.

The format is chosen by file extension and checked by a cheap content sniff (magic bytes, encryption
markers) before any partitioner runs. Elements are grouped into :class:`Section` s by their Title
elements (:func:`group_sections`); tables become " | "-separated rows.

Offline by construction (:func:`_prepare_offline`): unstructured's telemetry ping is switched off, and
its spaCy model (which it would otherwise download from the internet on first use, for its
title/narrative heuristics) is replaced by spaCy's blank multi-language tokenizer with a rule-based
sentencizer. PDFs go through :mod:`ragwarden.ingestion.pdf_layout` (pdfminer.six and unstructured's own
classifier, as ``partition_pdf``'s ``fast`` strategy, without its heavy ``unstructured_inference`` import).
"""

from __future__ import annotations

import functools
import importlib
import io
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ragwarden.core.errors import DocumentTooLargeError, ParseError, UnsupportedFormatError
from ragwarden.core.models import Section

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

# Language hints skip unstructured's per-document language detection (langdetect, ~25 ms a
# document); the corpus is German and English.
_LANGUAGES = ["eng", "deu"]
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
        _prepare_offline()
        return _pdf(data) if kind == "pdf" else _unstructured(kind, data)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - any partitioner failure is this document's failure
        raise ParseError(f"unreadable {kind} file: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason[:_MAX_REASON]


def _decode(data: bytes) -> str:
    """Text files in the wild: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _pdf(data: bytes) -> list[Any]:
    from ragwarden.ingestion.pdf_layout import pdf_elements

    elements = pdf_elements(data)
    if not elements:
        raise ParseError("no text (a scanned PDF? OCR is not enabled)")
    return elements


# kind → (unstructured.partition module, how the bytes go in)
_UNSTRUCTURED = {
    "docx": ("docx", "file"),
    "pptx": ("pptx", "file"),
    "xlsx": ("xlsx", "file"),
    "html": ("html", "file"),
    "md": ("md", "text"),
    "text": ("text", "text"),
    "email": ("email", "file"),
}


def _unstructured(kind: str, data: bytes) -> list[Any]:
    module_name, source = _UNSTRUCTURED[kind]
    module = importlib.import_module(f"unstructured.partition.{module_name}")
    partition = getattr(module, f"partition_{module_name}")
    arg: dict[str, Any] = {"text": _decode(data)} if source == "text" else {"file": io.BytesIO(data)}
    if kind == "email":
        arg["process_attachments"] = False
    return list(partition(**arg, languages=_LANGUAGES))


_SKIPPED = {"Header", "Footer", "PageBreak", "PageNumber", "Image"}
# A "title" ending like a sentence is a one-sentence paragraph the heuristics misread (see above).
_SENTENCE_END = (".", "!", ",", ";")
_MAX_HEADING_CHARS = 200
HEADING_SEPARATOR = " › "


def group_sections(elements: Iterable[Any]) -> list[Section]:
    """unstructured elements to sections: a new section at every heading and every new page.

    Headings nest by ``category_depth`` and a section's heading is the path to it (an e-mail's
    subject or a sheet's name first). A heading with no text under it becomes text itself, so no
    word is lost; adjacent pieces with the same heading and page are merged.
    """
    grouper = _Grouper()
    for element in elements:
        grouper.add(element)
    return grouper.finish()


@dataclass
class _Heading:
    text: str
    depth: int
    page: int | None
    used: bool = False


@dataclass
class _Grouper:
    sections: list[Section] = field(default_factory=list)
    stack: list[_Heading] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    page: int | None = None
    context: str = ""

    def add(self, element: Any) -> None:
        category = str(getattr(element, "category", ""))
        text = _element_text(element, category)
        if category in _SKIPPED or not text:
            return
        meta = element.metadata
        page = meta.page_number
        context = " ".join(str(meta.page_name or getattr(meta, "subject", None) or "").split())
        if context != self.context:
            self._flush()
            self._pop_to(0)
            self.context = context
        if category == "Title" and len(text) <= _MAX_HEADING_CHARS and not text.endswith(_SENTENCE_END):
            self._flush()
            depth = int(meta.category_depth or 0)
            self._pop_to(depth)
            self.stack.append(_Heading(text, depth, page))
            return
        if self.lines and page != self.page:
            self._flush()
        if not self.lines:
            self.page = page
        self.lines.append(text)

    def finish(self) -> list[Section]:
        self._flush()
        self._pop_to(0)
        return self.sections

    def _pop_to(self, depth: int) -> None:
        """Close every heading at ``depth`` or deeper; an empty one is kept as text."""
        while self.stack and self.stack[-1].depth >= depth:
            heading = self.stack.pop()
            if not heading.used:
                self._emit(heading.text, heading.page)

    def _flush(self) -> None:
        if self.lines:
            self._emit("\n".join(self.lines), self.page)
            self.lines = []

    def _emit(self, text: str, page: int | None) -> None:
        for heading in self.stack:
            heading.used = True
        path = [self.context] if self.context else []
        path += [h.text for h in self.stack]
        name = HEADING_SEPARATOR.join(path)
        last = self.sections[-1] if self.sections else None
        if last is not None and last.heading == name and last.page == page:
            self.sections[-1] = Section(f"{last.text}\n{text}", name, page)
        else:
            self.sections.append(Section(text, name, page))


def _element_text(element: Any, category: str) -> str:
    if category == "Table":
        rows = _table_rows(getattr(element.metadata, "text_as_html", None))
        if rows:
            return "\n".join(rows)
    text = " ".join(str(getattr(element, "text", "") or "").split())
    if category == "ListItem":
        return f"- {text}" if text.strip("•·‣◦▪*-– ") else ""  # a bare bullet carries nothing
    return text


def _table_rows(html: str | None) -> list[str]:
    """A table as lines of " | "-separated cells: rows stay rows for the reader and the embedder."""
    if not html:
        return []
    from lxml import html as lxml_html

    rows = []
    for row in lxml_html.fromstring(html).iter("tr"):
        cells = [" ".join(cell.text_content().split()) for cell in row if cell.tag in ("td", "th")]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


_offline_lock = threading.Lock()


def warm_up() -> None:
    """Do the one-off work now (offline set-up, partitioner imports: pandas alone takes a second),
    e.g. in a freshly started worker process, so the first documents do not pay for it."""
    _prepare_offline()
    for module_name, _ in _UNSTRUCTURED.values():
        importlib.import_module(f"unstructured.partition.{module_name}")
    importlib.import_module("pdfminer.high_level")


@functools.cache
def _prepare_offline() -> None:
    """Make unstructured safe for an air-gapped, privacy-bound deployment, once per process."""
    with _offline_lock:
        # Read by unstructured at import (a usage ping) and at every partition call.
        os.environ["DO_NOT_TRACK"] = "1"
        os.environ["SCARF_NO_ANALYTICS"] = "1"
        os.environ["UNSTRUCTURED_DISABLE_NOTICE"] = "1"
        os.environ["HF_HUB_OFFLINE"] = "1"
        import spacy
        from unstructured.nlp import tokenize

        nlp = spacy.blank("xx")
        nlp.add_pipe("sentencizer")
        # Without a tagger no token is a verb: a one-sentence paragraph may come back as a Title.
        # group_sections() demotes titles that read like sentences, which is good enough.
        tokenize._get_nlp = lambda: nlp  # type: ignore[assignment]
        tokenize._install_spacy_model = _refuse_download


def _refuse_download() -> None:
    raise ParseError("unstructured tried to download a spaCy model; model downloads are disabled")
