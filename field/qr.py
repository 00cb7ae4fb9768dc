"""QR codes drawn by zhifa itself (segno computes the matrix; nothing is fetched): as SVG for a
page, and as vector squares on a PDF page."""

from functools import lru_cache

import segno


@lru_cache(maxsize=64)
def matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    code = segno.make_qr(text, error="m", boost_error=False)
    return tuple(tuple(bool(cell) for cell in row) for row in code.matrix)


def svg(text: str, *, scale: int = 6) -> str:
    """An inline SVG element (no XML declaration) for a page."""
    code = segno.make_qr(text, error="m", boost_error=False)
    # a viewBox, so that a page may draw it at any size (a print at 28 mm), and its natural size
    width, height = code.symbol_size(scale=scale, border=4)
    svg = code.svg_inline(scale=scale, border=4, dark="#000", light="#fff", omitsize=True)
    return svg.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)


def draw_pdf(pdf, text: str, *, x: float, y: float, size: float) -> None:
    """Draw the code at (x, y), `size` mm square, quiet zone included, one rectangle per run of
    dark modules in a row."""
    rows = matrix(text)
    n = len(rows) + 8  # four modules of quiet zone on each side
    cell = size / n
    with pdf.local_context(fill_color=(255, 255, 255)):
        pdf.rect(x, y, size, size, style="F")
    with pdf.local_context(fill_color=(0, 0, 0)):
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + (start + 4) * cell, y + (r + 4) * cell, (c - start) * cell, cell, style="F")
