"""Table rows become quotable facts with their column headers, and only where the header is a header:
a row labelled with the wrong names would be worse than a bare one."""

from __future__ import annotations

from ragwarden.generation.tables import is_row, labelled_rows

TARGETS = (
    "Die Ziele gelten für alle Systeme.\n"
    "System | Kritikalität | RPO | RTO\n"
    "Buchungssystem | sehr hoch | 15 Minuten | 4 Stunden\n"
    "Intranet | niedrig | 1 Tag | 3 Tage\n"
    "Quartalsweise wird getestet."
)


def test_each_data_row_is_labelled_with_the_header_cell_of_its_column() -> None:
    rows = labelled_rows(TARGETS)
    assert rows == {
        "Buchungssystem | sehr hoch | 15 Minuten | 4 Stunden":
            "System: Buchungssystem | Kritikalität: sehr hoch | RPO: 15 Minuten | RTO: 4 Stunden",
        "Intranet | niedrig | 1 Tag | 3 Tage": "System: Intranet | Kritikalität: niedrig | RPO: 1 Tag | RTO: 3 Tage",
    }  # fmt: skip
    assert "System | Kritikalität | RPO | RTO" not in rows  # the header itself is no fact


def test_a_markdown_table_with_a_separator_row_is_labelled_even_without_numbers() -> None:
    text = "| Rolle | Aufgabe |\n| --- | --- |\n| IT-Betrieb | Betrieb der Sicherung |\n"
    assert labelled_rows(text) == {
        "| IT-Betrieb | Betrieb der Sicherung |": "Rolle: IT-Betrieb | Aufgabe: Betrieb der Sicherung"
    }


def test_a_chunk_that_starts_inside_a_table_does_not_take_a_data_row_for_the_header() -> None:
    continued = (
        "Schadenplattform | sehr hoch | 15 Minuten | 4 Stunden\nE-Mail und Kalender | hoch | 1 Stunde | 8 Stunden"
    )
    assert labelled_rows(continued) == {}


def test_a_table_of_words_only_stays_unlabelled_and_empty_cells_are_left_out() -> None:
    assert labelled_rows("Rolle | Aufgabe\nIT-Betrieb | Sicherung\nFachbereiche | Bestätigung") == {}
    rows = labelled_rows("Tag | Menü | Preis (EUR)\nMontag |  | 6.5\nDienstag | Curry | 5.6")
    assert rows["Montag | | 6.5"] == "Tag: Montag | Preis (EUR): 6.5"


def test_rows_are_recognised_as_the_parser_writes_them() -> None:
    assert is_row("a | b") and is_row("| a | b |")
    assert not is_row("Kein Tisch, nur Text.") and not is_row("a|b")
