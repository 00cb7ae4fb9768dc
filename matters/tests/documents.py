"""Read generated 文书 back from the vault, the way a reader would: Word text, PDF text and fonts.

PDF text comes from PDFium (the engine of Chrome's viewer): what it extracts is what a reader's
viewer maps the glyphs to, and a page that renders without errors is a page that opens.
"""

import ctypes
import io
import re

from records.storage import blob_store


def record_bytes(record) -> bytes:
    version = record.current_version
    with blob_store().open(version.sha256) as stream:
        return stream.read()


def docx_text(record) -> str:
    from docx import Document

    doc = Document(io.BytesIO(record_bytes(record)))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def pdf_text(record) -> str:
    """All pages' text as PDFium extracts it, after rendering each page (so a page that cannot be
    drawn fails here)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(record_bytes(record))
    try:
        out = []
        for page in pdf:
            bitmap = page.render(scale=0.5)
            assert bitmap.width > 0
            out.append(page.get_textpage().get_text_range())
        return "\n".join(out)
    finally:
        pdf.close()


def pdf_fonts(record) -> list[dict]:
    """Every font the text on the pages uses: its name, whether PDFium finds it embedded, and which
    font-file key the PDF gives its descriptor (/FontFile2 TrueType, /FontFile3 CFF)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    data = record_bytes(record)
    files = set(re.findall(rb"/FontFile[23]?\b", data))
    pdf = pdfium.PdfDocument(data)
    fonts = {}
    try:
        for page in pdf:
            for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
                font = raw.FPDFTextObj_GetFont(obj.raw)
                size = raw.FPDFFont_GetBaseFontName(font, None, 0)
                buffer = ctypes.create_string_buffer(size)
                raw.FPDFFont_GetBaseFontName(font, buffer, size)
                name = buffer.value.decode("latin-1")
                fonts[name] = {
                    "name": name,
                    "embedded": bool(raw.FPDFFont_GetIsEmbedded(font)),
                    "file": "/FontFile3" if files == {b"/FontFile3"} else ",".join(sorted(f.decode() for f in files)),
                }
    finally:
        pdf.close()
    return list(fonts.values())


def flat(text: str) -> str:
    """Text without layout whitespace (PDF lines wrap mid-sentence; paragraphs are indented)."""
    return re.sub(r"[\s\u3000]+", "", text)


def assert_shows(instrument, *phrases: str) -> None:
    """Both the DOCX and the PDF of `instrument` show every phrase."""
    for label, text in (("DOCX", docx_text(instrument.docx)), ("PDF", pdf_text(instrument.pdf))):
        missing = [p for p in phrases if flat(p) not in flat(text)]
        assert not missing, f"{label} of {instrument} lacks {missing}:\n{text}"


def assert_hides(instrument, *phrases: str) -> None:
    for label, text in (("DOCX", docx_text(instrument.docx)), ("PDF", pdf_text(instrument.pdf))):
        shown = [p for p in phrases if flat(p) in flat(text)]
        assert not shown, f"{label} of {instrument} shows {shown}"
