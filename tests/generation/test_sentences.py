"""Sentence units for extractive answers: German and English business text as our parser writes it."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragwarden.generation import sentences
from ragwarden.generation.sentences import MAX_UNIT_CHARS, Sentence, split_sentences

GERMAN = [
    # abbreviations
    pytest.param(
        "Bitte reichen Sie z. B. Taxiquittungen ein. Die Frist beträgt 14 Tage.",
        ["Bitte reichen Sie z. B. Taxiquittungen ein.", "Die Frist beträgt 14 Tage."],
        id="z. B.",
    ),
    pytest.param(
        "Das gilt z.B. für Dienstreisen. Ausnahmen regelt die Leitung.",
        ["Das gilt z.B. für Dienstreisen.", "Ausnahmen regelt die Leitung."],
        id="z.B.",
    ),
    pytest.param(
        "Das Urlaubsgeld, d. h. die Sonderzahlung im Juni, ist steuerpflichtig. Es wird mit dem Gehalt ausgezahlt.",
        [
            "Das Urlaubsgeld, d. h. die Sonderzahlung im Juni, ist steuerpflichtig.",
            "Es wird mit dem Gehalt ausgezahlt.",
        ],
        id="d. h.",
    ),
    pytest.param(
        "Teilnehmen können u. a. Auszubildende und Werkstudierende. Die Anmeldung ist freiwillig.",
        ["Teilnehmen können u. a. Auszubildende und Werkstudierende.", "Die Anmeldung ist freiwillig."],
        id="u. a.",
    ),
    pytest.param(
        "Die Pauschale bzw. der Zuschuss wird jährlich angepasst. Die Höhe legt die Geschäftsführung fest.",
        ["Die Pauschale bzw. der Zuschuss wird jährlich angepasst.", "Die Höhe legt die Geschäftsführung fest."],
        id="bzw.",
    ),
    pytest.param(
        "Es nahmen ca. 40 Personen teil. Das Feedback war positiv.",
        ["Es nahmen ca. 40 Personen teil.", "Das Feedback war positiv."],
        id="ca.",
    ),
    pytest.param(
        "Siehe Formular Nr. 12 im Intranet. Es ist vollständig auszufüllen.",
        ["Siehe Formular Nr. 12 im Intranet.", "Es ist vollständig auszufüllen."],
        id="Nr.",
    ),
    pytest.param(
        "Dr. Müller aus der Rechtsabteilung prüft den Vertrag. Sie antwortet innerhalb einer Woche.",
        ["Dr. Müller aus der Rechtsabteilung prüft den Vertrag.", "Sie antwortet innerhalb einer Woche."],
        id="Dr.",
    ),
    pytest.param(
        "Bitte wenden Sie sich an Frau Dr. Weber. Sie leitet das Projekt.",
        ["Bitte wenden Sie sich an Frau Dr. Weber.", "Sie leitet das Projekt."],
        id="Dr. before a name at the end",
    ),
    pytest.param(
        "Gemäß § 87 Abs. 1 BetrVG ist der Betriebsrat zu beteiligen. Die Frist beträgt eine Woche.",
        ["Gemäß § 87 Abs. 1 BetrVG ist der Betriebsrat zu beteiligen.", "Die Frist beträgt eine Woche."],
        id="Abs. before a number",
    ),
    pytest.param(
        "Die Regelung in Abs. Drei gilt sinngemäß. Das bestätigt die Rechtsabteilung.",
        ["Die Regelung in Abs. Drei gilt sinngemäß.", "Das bestätigt die Rechtsabteilung."],
        id="Abs. before a capital",
    ),
    pytest.param(
        "Die Kosten werden ggf. anteilig erstattet. Belege sind einzureichen.",
        ["Die Kosten werden ggf. anteilig erstattet.", "Belege sind einzureichen."],
        id="ggf.",
    ),
    pytest.param(
        "Der Preis beträgt 120 EUR inkl. Versand. Die Lieferung erfolgt in 5 Tagen.",
        ["Der Preis beträgt 120 EUR inkl. Versand.", "Die Lieferung erfolgt in 5 Tagen."],
        id="inkl.",
    ),
    pytest.param(
        "Zahlbar zzgl. MwSt. und Versand. Rechnungen kommen per E-Mail.",
        ["Zahlbar zzgl. MwSt. und Versand.", "Rechnungen kommen per E-Mail."],
        id="zzgl. MwSt.",
    ),
    pytest.param(
        "Es kostet max. Hundert Euro. Das Auto gehört Max. Er fährt gern.",
        ["Es kostet max. Hundert Euro.", "Das Auto gehört Max.", "Er fährt gern."],
        id="max. and Max.",
    ),
    pytest.param(
        "Kontakt: Fa. Müller GmbH, Tel. 0711 12345. Sie liefert montags.",
        ["Kontakt: Fa. Müller GmbH, Tel. 0711 12345.", "Sie liefert montags."],
        id="Fa. Tel.",
    ),
    # dates
    pytest.param(
        "Der Antrag ist bis zum 31. März 2026 zu stellen. Danach verfällt der Anspruch.",
        ["Der Antrag ist bis zum 31. März 2026 zu stellen.", "Danach verfällt der Anspruch."],
        id="31. März 2026",
    ),
    pytest.param(
        "Die Regelung gilt ab 1.4.2026 für alle Mitarbeitenden. Sie ersetzt die alte Fassung.",
        ["Die Regelung gilt ab 1.4.2026 für alle Mitarbeitenden.", "Sie ersetzt die alte Fassung."],
        id="1.4.2026",
    ),
    pytest.param(
        "Ab 01.04.2026 gilt die neue Reisekostenordnung. Bitte beachten Sie die Übergangsregeln.",
        ["Ab 01.04.2026 gilt die neue Reisekostenordnung.", "Bitte beachten Sie die Übergangsregeln."],
        id="01.04.2026",
    ),
    pytest.param(
        "Die Frist endet am 01.04.2026. Danach gilt die neue Regel.",
        ["Die Frist endet am 01.04.2026.", "Danach gilt die neue Regel."],
        id="date at the end of a sentence",
    ),
    pytest.param(
        "Der Vertrag läuft bis 2026. Eine Verlängerung ist möglich.",
        ["Der Vertrag läuft bis 2026.", "Eine Verlängerung ist möglich."],
        id="year at the end of a sentence",
    ),
    pytest.param(
        "Die Auszahlung erfolgt im 3. Quartal. Rückfragen an die Personalabteilung.",
        ["Die Auszahlung erfolgt im 3. Quartal.", "Rückfragen an die Personalabteilung."],
        id="3. Quartal",
    ),
    pytest.param(
        "Kommst du am 7.10. zum Termin? Er beginnt um 15 Uhr.",
        ["Kommst du am 7.10. zum Termin?", "Er beginnt um 15 Uhr."],
        id="7.10. without a year",
    ),
    # numbers, ordinals, times
    pytest.param(
        "Der Zuschuss beträgt 1.500,00 EUR pro Jahr. Er wird monatlich ausgezahlt.",
        ["Der Zuschuss beträgt 1.500,00 EUR pro Jahr.", "Er wird monatlich ausgezahlt."],
        id="1.500,00 EUR",
    ),
    pytest.param(
        "Die Gehälter steigen um 3.5 % zum Jahresbeginn. Das betrifft alle Tarifgruppen.",
        ["Die Gehälter steigen um 3.5 % zum Jahresbeginn.", "Das betrifft alle Tarifgruppen."],
        id="3.5 %",
    ),
    pytest.param(
        "Das Budget beträgt 2,5 Mio. Euro für das Jahr. Es wird quartalsweise freigegeben.",
        ["Das Budget beträgt 2,5 Mio. Euro für das Jahr.", "Es wird quartalsweise freigegeben."],
        id="2,5 Mio.",
    ),
    pytest.param(
        "Die Krankmeldung ist am 2. Arbeitstag vorzulegen. Ein Attest ist ab dem 3. Krankheitstag nötig.",
        ["Die Krankmeldung ist am 2. Arbeitstag vorzulegen.", "Ein Attest ist ab dem 3. Krankheitstag nötig."],
        id="am 2. Arbeitstag",
    ),
    pytest.param(
        "Wir sind Nr. 1. Das bleibt so.",
        ["Wir sind Nr. 1.", "Das bleibt so."],
        id="number at the end before an article",
    ),
    pytest.param(
        "Das Meeting beginnt um 11:30 Uhr. Bitte seien Sie pünktlich.",
        ["Das Meeting beginnt um 11:30 Uhr.", "Bitte seien Sie pünktlich."],
        id="11:30 Uhr",
    ),
    # e-mail, URL, version
    pytest.param(
        "Schreiben Sie an hr@example.de oder besuchen Sie https://intranet.example.de/hr/urlaub.html. "
        "Dort finden Sie alle Formulare.",
        [
            "Schreiben Sie an hr@example.de oder besuchen Sie https://intranet.example.de/hr/urlaub.html.",
            "Dort finden Sie alle Formulare.",
        ],
        id="e-mail and URL",
    ),
    pytest.param(
        "Das Portal www.example.de ist rund um die Uhr erreichbar. Störungen meldet die IT.",
        ["Das Portal www.example.de ist rund um die Uhr erreichbar.", "Störungen meldet die IT."],
        id="www.",
    ),
    pytest.param(
        "Installieren Sie den Client v2.3.1 bis Freitag. Ältere Versionen werden nicht unterstützt.",
        ["Installieren Sie den Client v2.3.1 bis Freitag.", "Ältere Versionen werden nicht unterstützt."],
        id="v2.3.1",
    ),
    # quotes, brackets, ? and !
    pytest.param(
        "Die Richtlinie sagt: „Mobiles Arbeiten ist bis zu drei Tage pro Woche möglich.“ Das gilt für alle Teams.",
        ["Die Richtlinie sagt: „Mobiles Arbeiten ist bis zu drei Tage pro Woche möglich.“", "Das gilt für alle Teams."],
        id="German quotes",
    ),
    pytest.param(
        "Die Erstattung (siehe Abschnitt 4.2) erfolgt monatlich. Belege sind aufzubewahren.",
        ["Die Erstattung (siehe Abschnitt 4.2) erfolgt monatlich.", "Belege sind aufzubewahren."],
        id="brackets inside a sentence",
    ),
    pytest.param(
        "(Die Regelung gilt auch für Teilzeitkräfte.) Details regelt die Betriebsvereinbarung.",
        ["(Die Regelung gilt auch für Teilzeitkräfte.)", "Details regelt die Betriebsvereinbarung."],
        id="a bracketed sentence",
    ),
    pytest.param(
        "Die Regel gilt. (Ausnahmen (siehe unten) sind möglich.) Danach geht es weiter.",
        ["Die Regel gilt.", "(Ausnahmen (siehe unten) sind möglich.)", "Danach geht es weiter."],
        id="nested brackets",
    ),
    pytest.param(
        "Es gelten (z. B.) Kunden und Lieferanten.\n(siehe Anl.) Danach folgt der Rest.",
        ["Es gelten (z. B.) Kunden und Lieferanten.", "(siehe Anl.) Danach folgt der Rest."],
        id="abbreviations in brackets",
    ),
    pytest.param(
        "Wer genehmigt den Urlaub? Die direkte Führungskraft! Danach informiert sie die Personalabteilung.",
        ["Wer genehmigt den Urlaub?", "Die direkte Führungskraft!", "Danach informiert sie die Personalabteilung."],
        id="? and !",
    ),
    # blocks: headings, list items, table rows
    pytest.param(
        "# Urlaubsregelung\nMitarbeitende haben Anspruch auf 30 Tage Urlaub. Resturlaub verfällt am 31. März.",
        ["# Urlaubsregelung", "Mitarbeitende haben Anspruch auf 30 Tage Urlaub.", "Resturlaub verfällt am 31. März."],
        id="markdown heading",
    ),
    pytest.param(
        "## 3. Reisekosten\n3.1 Bahnfahrten werden in der 2. Klasse erstattet.",
        ["## 3. Reisekosten", "3.1 Bahnfahrten werden in der 2. Klasse erstattet."],
        id="numbered heading",
    ),
    pytest.param(
        "Reisekosten\nDie Erstattung erfolgt nach Vorlage der Belege.",
        ["Reisekosten", "Die Erstattung erfolgt nach Vorlage der Belege."],
        id="heading without markup",
    ),
    pytest.param(
        "Stand: 01.04.2026\nDiese Fassung ersetzt alle früheren.",
        ["Stand: 01.04.2026", "Diese Fassung ersetzt alle früheren."],
        id="line without final punctuation",
    ),
    pytest.param(
        "Mitarbeitende erhalten einen Zuschuss\n\nDie Auszahlung erfolgt im Juni.",
        ["Mitarbeitende erhalten einen Zuschuss", "Die Auszahlung erfolgt im Juni."],
        id="paragraphs",
    ),
    pytest.param(
        "Folgende Unterlagen sind nötig:\n- Antrag\n- Belege\n- Unterschrift der Führungskraft",
        ["Folgende Unterlagen sind nötig:", "- Antrag", "- Belege", "- Unterschrift der Führungskraft"],
        id="dash list",
    ),
    pytest.param(
        "1. Antrag ausfüllen.\n2. Belege anhängen.\n3. An die Personalabteilung senden.",
        ["1. Antrag ausfüllen.", "2. Belege anhängen.", "3. An die Personalabteilung senden."],
        id="numbered list",
    ),
    pytest.param(
        "a) Dienstreisen im Inland\nb) Dienstreisen ins Ausland\n(c) Fortbildungen",
        ["a) Dienstreisen im Inland", "b) Dienstreisen ins Ausland", "(c) Fortbildungen"],
        id="lettered list",
    ),
    pytest.param(
        "• Gleitzeit von 7 bis 19 Uhr\n• Kernzeit von 10 bis 15 Uhr\n* Ausnahmen nach Absprache",
        ["• Gleitzeit von 7 bis 19 Uhr", "• Kernzeit von 10 bis 15 Uhr", "* Ausnahmen nach Absprache"],
        id="bullets",
    ),
    pytest.param(
        "- Antrag ausfüllen. Danach an HR senden.\n- Belege beifügen",
        ["- Antrag ausfüllen.", "Danach an HR senden.", "- Belege beifügen"],
        id="list item of two sentences",
    ),
    pytest.param(
        "| Stufe | Betrag |\n| --- | --- |\n| A | 1.500,00 EUR |\n| B | 2.000,00 EUR |",
        ["| Stufe | Betrag |", "| A | 1.500,00 EUR |", "| B | 2.000,00 EUR |"],
        id="markdown table",
    ),
    pytest.param(
        "Stufe | Betrag\nA | 1.500,00 EUR. Gilt ab 2026.\nDer Betrag wird jährlich angepasst.",
        ["Stufe | Betrag", "A | 1.500,00 EUR. Gilt ab 2026.", "Der Betrag wird jährlich angepasst."],
        id="table as the parser writes it",
    ),
]

ENGLISH = [
    pytest.param(
        "Submit receipts, e.g. taxi or train tickets, within 30 days. Late claims are rejected.",
        ["Submit receipts, e.g. taxi or train tickets, within 30 days.", "Late claims are rejected."],
        id="e.g.",
    ),
    pytest.param(
        "The allowance, i.e. the monthly lump sum, is taxable. It is paid with the salary.",
        ["The allowance, i.e. the monthly lump sum, is taxable.", "It is paid with the salary."],
        id="i.e.",
    ),
    pytest.param(
        "Mr. Smith approves all requests. He is on leave until Monday.",
        ["Mr. Smith approves all requests.", "He is on leave until Monday."],
        id="Mr.",
    ),
    pytest.param(
        "The budget is approx. 2.5 million EUR. It covers all regions.",
        ["The budget is approx. 2.5 million EUR.", "It covers all regions."],
        id="approx.",
    ),
    pytest.param(
        "We cover travel, meals, etc. and parking. The rest is paid by the employee.",
        ["We cover travel, meals, etc. and parking.", "The rest is paid by the employee."],
        id="etc.",
    ),
    pytest.param(
        "Dr. Jones signed the policy on 31 March 2026. It is effective immediately.",
        ["Dr. Jones signed the policy on 31 March 2026.", "It is effective immediately."],
        id="Dr. and a date",
    ),
    pytest.param(
        "Salaries rise by 3.5 % in January. The increase applies to all staff.",
        ["Salaries rise by 3.5 % in January.", "The increase applies to all staff."],
        id="3.5 %",
    ),
    pytest.param(
        "The grant is 1,500.00 EUR per year. It is paid monthly.",
        ["The grant is 1,500.00 EUR per year.", "It is paid monthly."],
        id="1,500.00 EUR",
    ),
    pytest.param(
        "Use form No. 12 for travel. It is on the intranet.",
        ["Use form No. 12 for travel.", "It is on the intranet."],
        id="No.",
    ),
    pytest.param(
        "Prices incl. VAT apply. The meeting starts at 11:30 sharp.",
        ["Prices incl. VAT apply.", "The meeting starts at 11:30 sharp."],
        id="incl. and 11:30",
    ),
    pytest.param(
        "The policy applies from 01.04.2026 to all staff. It replaces the old version.",
        ["The policy applies from 01.04.2026 to all staff.", "It replaces the old version."],
        id="01.04.2026",
    ),
    pytest.param(
        "See https://example.com/docs/v2.3.1/index.html for details. Contact it@example.com if needed.",
        ["See https://example.com/docs/v2.3.1/index.html for details.", "Contact it@example.com if needed."],
        id="URL and e-mail",
    ),
    pytest.param(
        "Update the client to v2.3.1 by Friday. Older versions are not supported.",
        ["Update the client to v2.3.1 by Friday.", "Older versions are not supported."],
        id="v2.3.1",
    ),
    pytest.param(
        'The policy says: "Remote work is allowed up to three days a week." Managers may grant exceptions.',
        ['The policy says: "Remote work is allowed up to three days a week."', "Managers may grant exceptions."],
        id="quotes",
    ),
    pytest.param(
        "Expenses (e.g. hotels) are reimbursed. (This applies to part-time staff too.) Meals are not.",
        ["Expenses (e.g. hotels) are reimbursed.", "(This applies to part-time staff too.)", "Meals are not."],
        id="brackets",
    ),
    pytest.param(
        "Who approves leave? Your line manager! HR is informed afterwards.",
        ["Who approves leave?", "Your line manager!", "HR is informed afterwards."],
        id="? and !",
    ),
    pytest.param(
        "# Travel policy\nEmployees travel second class. First class needs approval.",
        ["# Travel policy", "Employees travel second class.", "First class needs approval."],
        id="heading",
    ),
    pytest.param(
        "You need:\n- the form\n- receipts\n1. Fill in the form.\n2. Send it to HR.",
        ["You need:", "- the form", "- receipts", "1. Fill in the form.", "2. Send it to HR."],
        id="lists",
    ),
    pytest.param(
        "| Level | Amount |\n|---|---|\n| A | 1,500 EUR |",
        ["| Level | Amount |", "| A | 1,500 EUR |"],
        id="table",
    ),
]


def texts(units: list[Sentence]) -> list[str]:
    return [unit.text for unit in units]


def assert_consistent(original: str, units: list[Sentence]) -> None:
    """Each unit is its slice of the original, whitespace collapsed; the units are in order, apart."""
    previous_end = 0
    for unit in units:
        assert previous_end <= unit.start < unit.end <= len(original)
        assert unit.text == " ".join(original[unit.start : unit.end].split())
        assert not original[unit.start].isspace() and not original[unit.end - 1].isspace()
        assert any(char.isalnum() for char in unit.text)
        assert len(unit.text) <= MAX_UNIT_CHARS
        previous_end = unit.end


@pytest.mark.parametrize(("text", "expected"), GERMAN)
def test_german(text: str, expected: list[str]) -> None:
    units = split_sentences(text, "de")
    assert texts(units) == expected
    assert_consistent(text, units)


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english(text: str, expected: list[str]) -> None:
    units = split_sentences(text, "en")
    assert texts(units) == expected
    assert_consistent(text, units)


def test_offsets_point_into_the_original_text() -> None:
    text = "  # Urlaub\r\n\r\n- Antrag   stellen.  Danach\twarten.\n\n| A | 1.500,00 EUR |  \n"
    units = split_sentences(text)
    assert texts(units) == ["# Urlaub", "- Antrag stellen.", "Danach warten.", "| A | 1.500,00 EUR |"]
    assert [text[unit.start : unit.end] for unit in units] == [
        "# Urlaub",
        "- Antrag   stellen.",
        "Danach\twarten.",
        "| A | 1.500,00 EUR |",
    ]
    assert_consistent(text, units)


@pytest.mark.parametrize("text", ["", " ", "\n\n\t \r\n", "---\n***\n| --- | --- |\n- \n•", "#\n## \n| | |"])
def test_nothing_to_quote_is_no_unit(text: str) -> None:
    assert split_sentences(text) == []
    assert split_sentences(text, "en") == []


def test_unicode_spaces_and_line_separators() -> None:
    # sentencex 1.0.32 panics on non-ASCII spaces next to some periods: they never reach it as such.
    text = "Gilt z.\u202fB. ab dem 1.\u00a0Mai. Danach\u2009nicht.\u2028Neue Zeile\u00a0. B\u00a0.B aa"
    units = split_sentences(text)
    assert texts(units)[:3] == ["Gilt z. B. ab dem 1. Mai.", "Danach nicht.", "Neue Zeile ."]
    assert_consistent(text, units)


def test_a_long_text_without_punctuation_comes_back_in_bounded_pieces() -> None:
    words = " ".join(f"wort{i}" for i in range(20_000))  # ~190 000 characters, one line
    started = time.perf_counter()
    units = split_sentences(words)
    assert time.perf_counter() - started < 2
    assert all(len(unit.text) <= MAX_UNIT_CHARS for unit in units)
    assert all(len(unit.text) > MAX_UNIT_CHARS - 20 for unit in units[:-1])  # cut near the cap, at a space
    assert " ".join(texts(units)) == words  # cut between words, nothing lost
    assert_consistent(words, units)


def test_a_run_without_spaces_is_cut_hard_at_the_cap() -> None:
    text = "x" * (3 * MAX_UNIT_CHARS + 7)
    units = split_sentences(text)
    assert [len(unit.text) for unit in units] == [MAX_UNIT_CHARS] * 3 + [7]
    assert_consistent(text, units)


@pytest.mark.parametrize(
    "text",
    [
        "am 2. Arbeitstag " * 10_000,
        "inkl. Versand " * 10_000,
        "(Gilt auch so.) " * 10_000,
        "(" * 50_000 + "a. B " * 10_000,
        "1. " * 50_000,
    ],
    ids=["ordinals", "abbreviations", "bracketed sentences", "open brackets", "numbers"],
)
def test_pathological_lines_stay_linear(text: str) -> None:
    started = time.perf_counter()
    units = split_sentences(text)
    assert time.perf_counter() - started < 2
    assert_consistent(text, units)


def test_ten_chunks_take_a_few_milliseconds() -> None:
    paragraph = (
        "Mitarbeitende haben Anspruch auf 30 Tage Urlaub im Kalenderjahr. Der Urlaub ist bis zum 31. März des "
        "Folgejahres zu nehmen, sonst verfällt er. Ausnahmen, z. B. bei längerer Krankheit, regelt § 7 Abs. 3 "
        "BUrlG. Anträge sind über https://intranet.example.de/urlaub zu stellen. Die Genehmigung erteilt ggf. "
        "die Führungskraft bzw. deren Vertretung. Fragen beantwortet Dr. Müller (hr@example.de).\n"
    )
    chunks = [(paragraph * 3)[:1000] for _ in range(10)]
    split_sentences(chunks[0])
    best = min(_timed(lambda: [split_sentences(chunk) for chunk in chunks]) for _ in range(5))
    assert best < 0.05  # measured ~1.5 ms; generous for a loaded CI machine


def _timed(work: object) -> float:
    assert callable(work)
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


@pytest.mark.parametrize("language", ["de", "DE", "de-DE", "de_AT"])
def test_german_spellings_of_the_language(language: str) -> None:
    assert texts(split_sentences("Die Auszahlung erfolgt im 3. Quartal.", language)) == [
        "Die Auszahlung erfolgt im 3. Quartal."
    ]


@pytest.mark.parametrize("language", ["en", "fr", "", "deu"])
def test_anything_else_is_english(language: str) -> None:
    text = "It costs approx. Ten dollars. The 3. Quartal is German."
    assert split_sentences(text, language) == split_sentences(text, "en")
    assert texts(split_sentences(text, language)) == ["It costs approx. Ten dollars.", "The 3.", "Quartal is German."]


def test_a_panic_in_sentencex_costs_only_that_line_its_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panicking(language: str, text: str) -> list[dict[str, object]]:
        if "Panik" in text:
            raise PanicException("byte index is not a char boundary")
        return real(language, text)

    real = sentences.sentencex.get_sentence_boundaries
    monkeypatch.setattr(sentences.sentencex, "get_sentence_boundaries", panicking)
    units = split_sentences("Erster Satz. Zweiter Satz.\nPanik hier. Und hier.")
    assert texts(units) == ["Erster Satz.", "Zweiter Satz.", "Panik hier. Und hier."]


def test_other_errors_from_sentencex_are_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(language: str, text: str) -> list[dict[str, object]]:
        raise KeyboardInterrupt

    monkeypatch.setattr(sentences.sentencex, "get_sentence_boundaries", interrupted)
    with pytest.raises(KeyboardInterrupt):
        split_sentences("Ein Satz.")


_ALPHABET = st.sampled_from(
    list("abcXYZäöüß019 .,;:!?-*•#|()[]„“\"'\n\t")
    + [
        "\u00a0",
        "\u202f",
        "\u2028",
        "\r\n",
        "z. B. ",
        "Nr. ",
        "inkl. ",
        "3. ",
        "- ",
        "1. ",
        "(a) ",
        "https://x.de/a.b ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=120).map("".join), st.sampled_from(["de", "en"]))
def test_any_text_gives_consistent_units_and_loses_no_word(text: str, language: str) -> None:
    units = split_sentences(text, language)
    assert_consistent(text, units)
    covered = set()
    for unit in units:
        covered.update(range(unit.start, unit.end))
    assert all(index in covered for index, char in enumerate(text) if char.isalnum())
