"""unstructured elements to :class:`~ragwarden.core.models.Section` s: the text of a document with its headings.

Apart from :mod:`ragwarden.ingestion.parsing` because it is the one step that does not depend on the format:
every partitioner's elements are grouped here alike. A new section starts at every Title element and every
new page; headings nest by depth, and a section's heading is the path to it. Tables become " | "-separated
rows; headers, footers, page numbers and images are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ragwarden.core.models import Section

_SKIPPED = {"Header", "Footer", "PageBreak", "PageNumber", "Image"}
# A "title" ending like a sentence is a one-sentence paragraph the heuristics misread (partitioners.py).
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
