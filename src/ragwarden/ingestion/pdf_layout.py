"""PDF text to unstructured elements: pdfminer.six boxes, unstructured's classifier, font sizes for headings.

This is what unstructured's ``partition_pdf(strategy="fast")`` does (pdfminer text boxes classified by
``element_from_text`` with their position, so page headers and footers are recognised), without
``partition_pdf`` itself: it imports ``unstructured_inference`` (OpenCV, ONNX Runtime, timm) at module
level even for the ``fast`` strategy. Two corrections on top:

- text-only heuristics call every short line a Title, and in PDFs every table cell is a short line; a
  PDF states its headings through font size, so a Title counts only when its font is larger than the
  body text's, and a short line in a larger font is a Title whatever the heuristics said; larger fonts
  nest shallower;
- a header or footer is dropped only when it repeats on several pages (a chapter title set high on
  its page is no running header); footers may differ in their digits ("Seite 3 von 9").
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

HEADING_MIN_GROWTH = 1.0  # points above the body text's font size
_MAX_HEADING_WORDS = 15


def pdf_elements(data: bytes) -> list[Any]:
    """The PDF's text boxes as unstructured elements with page numbers (empty: no text layer)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer
    from unstructured.documents.coordinates import PixelSpace
    from unstructured.partition.text import element_from_text

    boxes: list[tuple[Any, float]] = []
    sizes: Counter[float] = Counter()
    for number, page in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams()), start=1):
        system = PixelSpace(width=page.width, height=page.height)
        for box in page:
            text = unwrap(box.get_text()) if isinstance(box, LTTextContainer) else ""
            if not text:
                continue
            top, bottom = page.height - box.y1, page.height - box.y0  # y grows downwards
            corners = ((box.x0, top), (box.x0, bottom), (box.x1, bottom), (box.x1, top))
            element = element_from_text(text, coordinates=corners, coordinate_system=system)
            element.metadata.page_number = number
            size, chars = _font_size(box)
            sizes[size] += chars
            boxes.append((element, size))
    if not boxes:
        return []
    body = sizes.most_common(1)[0][0]
    heading_sizes = sorted((s for s in sizes if s >= body + HEADING_MIN_GROWTH), reverse=True)
    return [_by_font(element, size, heading_sizes) for element, size in _drop_running_margins(boxes)]


def unwrap(box_text: str) -> str:
    """One text box as one paragraph: lines joined, hyphenated line breaks mended."""
    out = ""
    for line in (line.strip() for line in box_text.splitlines()):
        if not line:
            continue
        if out.endswith("-") and line[:1].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def _font_size(box: Any) -> tuple[float, int]:
    """The box's dominant font size (rounded to half points) and its number of characters."""
    from pdfminer.layout import LTChar

    counts: Counter[float] = Counter()
    for line in box:
        for char in line if hasattr(line, "__iter__") else ():
            if isinstance(char, LTChar) and char.get_text().strip():
                counts[round(char.size * 2) / 2] += 1
    if not counts:
        return 0.0, 0
    size, _ = counts.most_common(1)[0]
    return size, sum(counts.values())


def _by_font(element: Any, size: float, heading_sizes: list[float]) -> Any:
    """Title only in a heading-sized font; the largest heading font is depth 0."""
    from unstructured.documents.elements import Text, Title

    larger = size in heading_sizes
    if element.category == "Title" and not larger:
        element = _retyped(element, Text)
    elif larger and element.category in ("NarrativeText", "Text", "UncategorizedText"):
        words = element.text.split()
        if len(words) <= _MAX_HEADING_WORDS and not element.text.endswith((".", "!", ",", ";")):
            element = _retyped(element, Title)
    if element.category == "Title":
        element.metadata.category_depth = heading_sizes.index(size)
    return element


def _retyped(element: Any, kind: Any) -> Any:
    new = kind(text=element.text)
    new.metadata = element.metadata
    return new


def _drop_running_margins(boxes: list[tuple[Any, float]]) -> list[tuple[Any, float]]:
    """Headers/footers repeated on several pages go; one-offs become plain text again."""
    from unstructured.documents.elements import Text

    def key(element: Any) -> str:
        text = " ".join(element.text.split())
        return f"F:{re.sub(r'[0-9]+', '#', text)}" if element.category == "Footer" else f"H:{text}"

    pages: dict[str, set[int]] = {}
    for element, _ in boxes:
        if element.category in ("Header", "Footer"):
            pages.setdefault(key(element), set()).add(element.metadata.page_number)
    out = []
    for element, size in boxes:
        if element.category in ("Header", "Footer"):
            if len(pages[key(element)]) > 1:
                continue
            element = _retyped(element, Text)
        out.append((element, size))
    return out
