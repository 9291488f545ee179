"""Parsing with unstructured: every supported format to sections, every bad file to its error class."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ragwarden.core.errors import DocumentTooLargeError, ParseError, UnsupportedFormatError
from ragwarden.core.models import Section
from ragwarden.ingestion.parsing import SUPPORTED_EXTENSIONS, parse
from tests.ingestion import documents

LIMIT = 10 * 1024 * 1024


def _parse(data: bytes | str, name: str) -> list[Section]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return parse(raw, name, max_bytes=LIMIT)


def _by_heading(sections: list[Section]) -> dict[str, str]:
    out: dict[str, str] = {}
    for section in sections:
        out[section.heading] = out.get(section.heading, "") + section.text
    return out


def test_supported_extensions_cover_the_issue_formats() -> None:
    assert {".pdf", ".docx", ".pptx", ".xlsx", ".html", ".md", ".txt", ".eml"} <= SUPPORTED_EXTENSIONS


def test_docx_headings_nest_and_tables_become_rows() -> None:
    sections = _by_heading(_parse(documents.docx_bytes(), "policy.docx"))
    assert "Mitarbeiterinnen" in sections["Reisekostenrichtlinie"]
    hotels = sections["Reisekostenrichtlinie › Hotels"]
    assert "120 EUR per night" in hotels
    assert "Stadt | Limit" in hotels and "Berlin | 150" in hotels


def test_pptx_slides_keep_title_and_slide_number_as_page() -> None:
    sections = _parse(documents.pptx_bytes(), "results.PPTX")
    assert [(s.heading, s.page) for s in sections] == [("Quarterly results", 1), ("Ausblick", 2)]
    assert "twelve percent" in sections[0].text and "Wachstum" in sections[1].text


def test_xlsx_sheets_are_sections_named_after_the_sheet() -> None:
    sections = _parse(documents.xlsx_bytes(), "budget.xlsx")
    assert [(s.heading, s.page) for s in sections] == [("Budget", 1), ("Staff", 2)]
    assert sections[0].text.splitlines() == ["Abteilung | Budget", "HR | 1000", "IT | 2000"]


def test_pdf_pages_are_kept_and_headings_found_by_font_size() -> None:
    """Short table cells in body font are text, not headings; the larger-font lines are headings."""
    sections = _parse(documents.pdf_bytes(pages=3), "handbook.pdf")
    assert [(s.heading, s.page) for s in sections] == [("Kapitel 1", 1), ("Kapitel 2", 2), ("Kapitel 3", 3)]
    assert all(f"Seite {s.page}:" in s.text and "Hamburg" in s.text for s in sections)


def test_pdf_running_footers_are_dropped() -> None:
    sections = _parse(documents.pdf_bytes(pages=2), "handbook.pdf")
    assert not any("Vertraulich" in s.text or "Vertraulich" in s.heading for s in sections)


def test_pdf_with_owner_password_only_is_still_readable() -> None:
    sections = _parse(documents.pdf_bytes(pages=1, password=""), "open.pdf")
    assert "Gehalt" in sections[0].text


def test_html_headings_nest_and_tables_become_rows() -> None:
    sections = _by_heading(_parse(documents.HTML, "benefits.html"))
    assert "Jobrad" in sections["Benefits"]
    assert "Monatsende" in sections["Benefits › Gehalt"]
    assert "Stufe | Betrag" in sections["Benefits › Gehalt"]


def test_markdown_headings_nest() -> None:
    sections = _by_heading(_parse(documents.MARKDOWN, "backup.md"))
    assert "nightly" in sections["Backup policy"]
    assert "one hour" in sections["Backup policy › Restore"]
    assert "gold | 1" in sections["Backup policy › Restore"]


def test_plain_text_short_lines_become_headings() -> None:
    sections = _by_heading(_parse(documents.TEXT, "it.txt"))
    assert "VPN gateway" in sections["VPN access"]
    assert "neunzig Tage" in sections["Passwort"]


def test_plain_text_in_windows_1252_is_decoded() -> None:
    sections = _parse("Gebühren für Überstunden werden quartalsweise ausgezahlt.".encode("cp1252"), "a.txt")
    assert "Gebühren für Überstunden" in sections[0].text


def test_email_subject_is_the_heading_and_no_text_is_lost() -> None:
    sections = _parse(documents.eml_bytes(), "mail.eml")
    assert {s.heading for s in sections} == {"Passwort Änderung"}
    text = "\n".join(s.text for s in sections)
    assert "Passwort bis Freitag" in text and "Thanks, IT" in text


def test_a_one_sentence_paragraph_is_text_not_a_heading() -> None:
    sections = _parse("Intro\n\nDie Mitarbeiter erhalten ein Gehalt.\n\nUrlaub gibt es auch.", "a.txt")
    assert {s.heading for s in sections} == {"Intro"}


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(DocumentTooLargeError):
        parse(b"%PDF-1.7 not really a pdf" * 100, "big.pdf", max_bytes=1000)


@pytest.mark.parametrize("name", ["archive.zip", "image.png", "README", "legacy.doc"])
def test_unknown_extension_is_unsupported(name: str) -> None:
    with pytest.raises(UnsupportedFormatError):
        _parse(b"some bytes", name)


@pytest.mark.parametrize("name", ["a.pdf", "a.docx", "a.txt", "a.md", "a.eml", "a.xlsx"])
def test_empty_file_has_no_text(name: str) -> None:
    with pytest.raises(ParseError, match="no text"):
        _parse(b"", name)


def test_whitespace_only_text_has_no_text() -> None:
    with pytest.raises(ParseError, match="no text"):
        _parse(b"  \n\n \t \n", "blank.txt")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"this is not a pdf at all", "a.pdf"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref", "b.pdf"),
        (b"plain words, not a zip", "a.docx"),
        (b"PK\x03\x04 truncated zip", "a.pptx"),
        (b"PK\x03\x04 truncated zip", "a.xlsx"),
        (b"\x00\x01\x02 binary \x00 data", "a.txt"),
    ],
)
def test_corrupt_files_are_parse_errors(data: bytes, name: str) -> None:
    with pytest.raises(ParseError) as info:
        _parse(data, name)
    assert str(info.value) and len(str(info.value)) < 300


def test_truncated_docx_is_a_parse_error() -> None:
    data = documents.docx_bytes()
    with pytest.raises(ParseError):
        _parse(data[: len(data) // 2], "cut.docx")


def test_encrypted_pdf_is_reported_as_encrypted() -> None:
    with pytest.raises(ParseError, match="encrypted"):
        _parse(documents.pdf_bytes(password="geheim"), "secret.pdf")


def test_password_protected_docx_is_reported_as_encrypted() -> None:
    with pytest.raises(ParseError, match="encrypted"):
        _parse(documents.docx_bytes(password="geheim"), "secret.docx")


def test_pdf_without_text_is_no_text() -> None:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ParseError, match="no text"):
        _parse(out.getvalue(), "scan.pdf")


def test_parsing_never_opens_a_network_connection(tmp_path) -> None:
    """No telemetry ping, no spaCy model download: every socket use is recorded in a fresh process."""
    samples = {
        "a.docx": documents.docx_bytes(),
        "a.pptx": documents.pptx_bytes(),
        "a.xlsx": documents.xlsx_bytes(),
        "a.pdf": documents.pdf_bytes(pages=1),
        "a.html": documents.HTML.encode(),
        "a.md": documents.MARKDOWN.encode(),
        "a.txt": documents.TEXT.encode(),
        "a.eml": documents.eml_bytes(),
    }
    for name, data in samples.items():
        (tmp_path / name).write_bytes(data)
    script = textwrap.dedent(
        f"""
        import os, socket, pathlib
        for var in ("DO_NOT_TRACK", "SCARF_NO_ANALYTICS", "HF_HUB_OFFLINE"):
            os.environ.pop(var, None)
        attempts = []
        def record(name):
            def refuse(*args, **kwargs):
                attempts.append((name, args[:2]))
                raise OSError("network disabled in this test")
            return refuse
        socket.socket.connect = record("connect")
        socket.getaddrinfo = record("getaddrinfo")
        socket.create_connection = record("create_connection")
        from ragwarden.core.errors import ConfigurationError
        from ragwarden.core.runtime import prepare_process
        from ragwarden.ingestion.parsing import parse
        from ragwarden.ingestion.partitioners import warm_up
        try:
            warm_up()  # before the entry point's set-up: refused, and nothing imported or sent
            raise AssertionError("parsing ran without the offline environment")
        except ConfigurationError as exc:
            assert "prepare_process" in str(exc), exc
        prepare_process()  # what every entry point does first
        warm_up()
        for path in sorted(pathlib.Path({str(tmp_path)!r}).iterdir()):
            assert parse(path.read_bytes(), path.name, max_bytes=10**7), path
        print("ATTEMPTS", attempts)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ATTEMPTS []" in result.stdout, result.stdout[-2000:]
