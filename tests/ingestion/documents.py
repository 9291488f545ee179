"""Small real documents of every supported format, built in memory by the libraries that write them."""

from __future__ import annotations

import io
from email.message import EmailMessage


def docx_bytes(*, password: str | None = None) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Reisekostenrichtlinie", 1)
    document.add_paragraph("Diese Richtlinie gilt für alle Mitarbeiterinnen und Mitarbeiter der Firma.")
    document.add_heading("Hotels", 2)
    document.add_paragraph("Hotel costs are reimbursed up to 120 EUR per night in every city we travel to.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Stadt", (0, 1): "Limit", (1, 0): "Berlin", (1, 1): "150"}.items():
        table.cell(row, col).text = text
    out = io.BytesIO()
    document.save(out)
    return _encrypt_ooxml(out.getvalue(), password) if password else out.getvalue()


def pptx_bytes() -> bytes:
    import pptx

    presentation = pptx.Presentation()
    for title, body in [
        ("Quarterly results", "Revenue grew by twelve percent in the third quarter."),
        ("Ausblick", "Wir erwarten im nächsten Jahr weiteres Wachstum im Ausland."),
    ]:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    budget = workbook.active
    budget.title = "Budget"
    for row in (["Abteilung", "Budget"], ["HR", 1000], ["IT", 2000]):
        budget.append(row)
    staff = workbook.create_sheet("Staff")
    for row in (["Name", "Role"], ["Alice", "Lead"]):
        staff.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pdf_bytes(pages: int = 2, *, password: str | None = None) -> bytes:
    from fpdf import FPDF

    class WithFooter(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 8, f"Vertraulich - Seite {self.page_no()}", align="C")

    pdf = WithFooter()
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, f"Kapitel {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 5, f"Seite {number}: Die Mitarbeiter erhalten ihr Gehalt monatlich. " * 3)
        pdf.ln(4)
        for cells in (("Stadt", "Limit"), ("Berlin", "150 EUR"), ("Hamburg", "130 EUR")):  # a table
            for cell in cells:
                pdf.cell(40, 6, cell, border=1)
            pdf.ln(6)
    data = bytes(pdf.output())
    return _encrypt_pdf(data, password) if password is not None else data


HTML = (
    "<html><head><title>Benefits</title></head><body><h1>Benefits</h1>"
    "<p>All staff get a Jobrad bicycle.</p><h2>Gehalt</h2><p>Das Gehalt wird am Monatsende gezahlt.</p>"
    "<table><tr><th>Stufe</th><th>Betrag</th></tr><tr><td>A</td><td>100</td></tr></table></body></html>"
)

MARKDOWN = (
    "# Backup policy\n\nServers are backed up nightly.\n\n## Restore\n\nRestores take one hour.\n\n"
    "| Tier | Hours |\n|---|---|\n| gold | 1 |\n"
)

TEXT = (
    "VPN access\n\nStaff connect through the VPN gateway before they open any internal page.\n\n"
    "Passwort\n\nDas Passwort muss alle neunzig Tage geändert werden, sagt die IT-Abteilung.\n"
)


def eml_bytes() -> bytes:
    message = EmailMessage()
    message["Subject"] = "Passwort Änderung"
    message["From"] = "it@corp.example"
    message["To"] = "all@corp.example"
    message.set_content("Bitte ändern Sie Ihr Passwort bis Freitag.\n\nThanks, IT")
    return bytes(message)


def _encrypt_pdf(data: bytes, password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _encrypt_ooxml(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()
