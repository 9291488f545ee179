"""Table rows as quotable facts: each data row with the header cell of every column it fills.

The parser writes a table one row a line, its cells joined by " | " (markdown tables arrive with their
outer pipes and a ``| --- |`` separator row). A bare row such as "Bestandssystem NORIS | sehr hoch |
15 Minuten | 4 Stunden" is the answer to "Wie schnell muss NORIS wieder laufen?", but it does not say
which number is which, and neither its words nor its meaning match the question: those are in the
header ("RPO", "RTO"). So a row is quoted as "System: Bestandssystem NORIS | Kritikalität: sehr hoch |
RPO: 15 Minuten | RTO: 4 Stunden": every word still the document's own, each value with its label.

Which first row is a header is not marked in the text. A chunk may also start in the middle of a table,
where the first row is data; labelling the rows below with it would pair values with the wrong names.
So the first row counts as a header only when it looks like one and the rows below do not: none of its
cells starts with a digit, while in some column most data cells do ("RPO" over "15 Minuten", "1 Stunde").
A separator row right after it makes it a header in any case. Otherwise the rows stay as they are: a
table of words only (a glossary, a list of responsibilities) is not labelled, which costs a label, never
a wrong one.
"""

from __future__ import annotations

import re

MIN_ROWS = 2  # a header and at least one row under it
_ROW = re.compile(r"\s*\||.*\s\|\s")  # as in sentences: a line with " | " or a leading pipe
_SEPARATOR = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_VALUE = re.compile(r"[-+−~≈<>≤≥]?\s*(?:EUR|€|\$|£|CHF)?\s*\d")

__all__ = ["is_row", "labelled_rows"]


def is_row(line: str) -> bool:
    """Whether ``line`` is a table row as the parser writes it (or a markdown one)."""
    return bool(_ROW.match(line))


def labelled_rows(text: str) -> dict[str, str]:
    """Each data row of the tables in ``text`` (its line, whitespace collapsed) mapped to the row with
    its column headers: ``"RTO: 4 Stunden"``. Rows of tables without a recognisable header are left out."""
    labelled: dict[str, str] = {}
    for run in _table_runs(text.splitlines()):
        header, rows = _header_and_rows(run)
        for line, cells in rows:
            labelled[" ".join(line.split())] = _label(header, cells)
    return labelled


def _table_runs(lines: list[str]) -> list[list[str]]:
    """Consecutive table lines, each run one table."""
    runs: list[list[str]] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip() and _ROW.match(line):
            current.append(line)
        elif current:
            runs.append(current)
            current = []
    return runs


def _cells(line: str) -> list[str]:
    stripped = line.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|"):
        stripped = stripped[:-1]
    return [" ".join(cell.split()) for cell in stripped.split("|")]


def _header_and_rows(run: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The header's cells and the data rows (line, cells) under it; no rows when there is no header."""
    if len(run) < MIN_ROWS:
        return [], []
    header = _cells(run[0])
    marked = bool(_SEPARATOR.match(run[1]))
    body = [line for line in run[1:] if not _SEPARATOR.match(line)]
    rows = [(line, cells) for line in body if len(cells := _cells(line)) == len(header)]
    if len(header) < 2 or not rows:
        return [], []
    if marked or _looks_like_header(header, [cells for _line, cells in rows]):
        return header, rows
    return [], []


def _looks_like_header(header: list[str], rows: list[list[str]]) -> bool:
    """No header cell is a value, and some column holds values in most of its rows."""
    if any(_VALUE.match(cell) for cell in header):
        return False
    for column in range(len(header)):
        values = sum(bool(_VALUE.match(cells[column])) for cells in rows)
        if header[column] and values * 2 > len(rows):
            return True
    return False


def _label(header: list[str], cells: list[str]) -> str:
    parts = []
    for name, cell in zip(header, cells, strict=True):
        if not cell:
            continue
        parts.append(f"{name}: {cell}" if name and name != cell else cell)
    return " | ".join(parts)
