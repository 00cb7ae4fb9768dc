import pytest

from matters.tests.conftest import Team, team  # noqa: F401  (the 通化 agency fixture, shared)


@pytest.fixture
def plain_pdf(monkeypatch):
    """Each 文书 is still rendered (DOCX) and filed, with its QR stamp, but its PDF has no CJK face:
    embedding it takes most of a step's time, and the layout is matters' subject."""
    from fpdf import FPDF

    from matters import rendering

    def render_pdf(blocks, path, *, title, number, identifier, moment):
        pdf = FPDF(format="A4", unit="mm")
        pdf.add_page()
        pdf.set_font("helvetica", size=10)
        pdf.set_keywords(identifier)
        pdf.cell(text=identifier)
        for stamp in rendering._pdf_stamps:
            stamp(pdf, identifier=identifier, number=number)
        pdf.output(str(path))

    monkeypatch.setattr(rendering, "render_pdf", render_pdf)
