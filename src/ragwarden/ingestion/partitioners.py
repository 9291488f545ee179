"""Bytes of a supported format to ``unstructured`` elements: one partitioner per format, kept offline.

Apart from :mod:`ragwarden.ingestion.parsing` (which chooses the format, checks the bytes and turns every
failure into a :class:`~ragwarden.core.errors.ParseError`) because this is where the heavy libraries are met:
each partitioner is imported when first used, and :func:`warm_up` does that work ahead of time.

Offline by construction: unstructured's telemetry ping is switched off by the entry points
(:func:`ragwarden.core.runtime.prepare_process`), and its spaCy model (which it would otherwise download from
the internet on first use, for its title/narrative heuristics) is replaced by spaCy's blank multi-language
tokenizer with a rule-based sentencizer (:func:`_prepare_offline`). PDFs go through
:mod:`ragwarden.ingestion.pdf_layout` (pdfminer.six and unstructured's own classifier, as ``partition_pdf``'s
``fast`` strategy, without its heavy ``unstructured_inference`` import).
"""

from __future__ import annotations

import functools
import importlib
import io
import threading
from typing import Any

from ragwarden.core.errors import ParseError
from ragwarden.core.runtime import require_offline

# Language hints skip unstructured's per-document language detection (langdetect, ~25 ms a
# document); the corpus is German and English.
_LANGUAGES = ["eng", "deu"]


def elements_of(kind: str, data: bytes) -> list[Any]:
    """The elements of ``data``, a document of ``kind`` (see :func:`ragwarden.ingestion.parsing.file_kind`);
    raises whatever the partitioner raises."""
    _prepare_offline()
    return _pdf(data) if kind == "pdf" else _unstructured(kind, data)


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
    # The environment unstructured reads at import (its usage ping) is set by the entry points
    # (prepare_process); without it, nothing of unstructured is imported.
    require_offline("parsing with unstructured")
    with _offline_lock:
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
