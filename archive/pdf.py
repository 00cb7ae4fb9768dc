"""The printed case file: cover (案卷封面), contents list (卷内目录), every 文书 and scanned page in
order with its page number stamped (页号), then the 备考表 — one PDF.

The cover, contents and 备考表 are drawn with fpdf2 and the Noto CJK face the 文书 use
(matters.rendering); the 文书 PDFs are merged with pypdf and stamped, their content unchanged.
"""

import io
from pathlib import Path

from django.utils import timezone

from matters.rendering import _face_index, cn_date, font_path, wrap
from records.storage import blob_store

IMAGE_FORMATS = ("jpg", "jpeg", "png")
CM = 10  # mm


def _fpdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    font = font_path()
    pdf.add_font("cjk", fname=str(font), collection_font_number=_face_index(str(font)))
    pdf.fonts["cjk"].ttfont.recalcBBoxes = False
    pdf.set_margins(25, 25, 20)
    pdf.set_auto_page_break(True, margin=20)
    return pdf


def page_count(item) -> int:
    """Pages an item adds to the printed file: a PDF's own pages, one for a scanned image, none for
    a recording or another format (listed in the contents and described in the 备考表)."""
    fmt = (item.version.format or "").lower()
    if fmt in IMAGE_FORMATS:
        return 1
    if fmt != "pdf":
        return 0
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with blob_store().open(item.version.sha256) as stream:
        data = stream.read()
    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except (PyPdfError, ValueError, OSError):
        return 0


def _front(pdf, case_file, items) -> None:
    from fpdf.enums import Align, XPos, YPos

    pdf.add_page()
    pdf.set_font("cjk", size=22)
    pdf.ln(20)
    pdf.cell(0, 14, case_file.agency.name, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=30)
    pdf.cell(0, 20, "行政执法案卷", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(12)
    pdf.set_font("cjk", size=13)
    rows = [
        ("档号", case_file.code),
        ("卷次", f"第{case_file.volume}卷" + (f"（{case_file.volume_reason}）" if case_file.volume_reason else "")),
        ("案由", case_file.cause),
        ("当事人", case_file.party_name or "—"),
        ("立案日期", cn_date(case_file.filed_on) if case_file.filed_on else "—"),
        ("结案日期", cn_date(case_file.closed_on)),
        ("承办人", case_file.handlers or "—"),
        ("承办科室", case_file.section.name),
        ("保管期限", case_file.retention_label),
        ("卷内文件", f"{len(items)} 件"),
    ]
    with pdf.table(col_widths=(30, 100), first_row_as_headings=False, line_height=9, padding=2) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(str(value))
    # 卷内目录
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, "卷内目录", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9.5)
    from fpdf.fonts import FontFace

    with pdf.table(
        col_widths=(10, 34, 24, 62, 20, 15), line_height=5.5, padding=1, text_align="LEFT",
        headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
    ) as table:
        head = table.row()
        for label in ("序号", "文号", "责任者", "题名", "日期", "页号"):
            head.cell(label)
        for item in items:
            row = table.row()
            row.cell(str(item.position))
            row.cell(item.number or "")
            row.cell(item.author)
            row.cell(item.title)
            row.cell(item.dated.isoformat())
            row.cell(item.page_label or ("音像" if item.record.kind in ("video", "audio") else ""))


def _back(pdf, case_file, items, total_pages: int) -> None:
    from fpdf.enums import Align, XPos, YPos

    pdf.add_page(format="A4")
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, "备考表", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=11)
    av = [i for i in items if i.record.kind in ("video", "audio", "photo") and not i.pages]
    other = [i for i in items if not i.pages and i not in av]
    lines = [
        f"本卷共有文件 {len(items)} 件，文字材料 {total_pages} 页，音像资料 {len(av)} 件。",
    ]
    for i in av:
        made = timezone.localtime(i.av_made_at).strftime("%Y-%m-%d %H:%M") if i.av_made_at else "—"
        lines.append(
            f"音像资料第{i.position}件《{i.title}》：承办科室 {i.av_section or '—'}，制作人 {i.av_maker or '—'}，"
            f"制作时间 {made}，证明内容 {i.av_proves or '—'}；SHA-256 {i.version.sha256}。"
        )
    for i in other:
        lines.append(f"第{i.position}件《{i.title}》（{i.version.format or '文件'}）以电子文件保存，SHA-256 {i.version.sha256}。")
    for i in items:
        if i.added_reason:
            lines.append(f"第{i.position}件为归档时补充：{i.added_reason}。")
    if case_file.remarks:
        lines.append(f"情况说明：{case_file.remarks}")
    lines.append(f"立卷人：{case_file.sealed_by.name if case_file.sealed_by else '（未归档）'}")
    lines.append(f"立卷时间：{cn_date(timezone.localtime(case_file.sealed_at).date()) if case_file.sealed_at else '—'}")
    pdf.set_auto_page_break(True, margin=20)
    for line in lines:
        for part in wrap(line, pdf.epw - 2, pdf.get_string_width):
            pdf.cell(0, 7, part, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _image_page(data: bytes, fmt: str) -> bytes:
    """A scanned page on an A4 page, the image embedded as stored (a JPEG is not re-encoded)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(io.BytesIO(data), x=10, y=10, w=190, keep_aspect_ratio=True, h=277)
    return bytes(pdf.output())


def _stamp_pages(pdf, sizes: list[tuple[float, float]]) -> None:
    """One overlay page per document page, of the same size (points), with its page number at the
    bottom right."""
    pdf.set_auto_page_break(False)
    for number, (width, height) in enumerate(sizes, start=1):
        w, h = width * 25.4 / 72, height * 25.4 / 72  # the document is in millimetres
        pdf.add_page(format=(w, h))
        pdf.set_font("cjk", size=10)
        pdf.set_xy(w - 32, h - 11)
        pdf.cell(25, 5, f"第 {number} 页", align="R")


def render_case_file(case_file, out: Path) -> int:
    """Write the whole printed file to `out`; returns its number of pages. Cover, contents, page
    numbers and 备考表 are one fpdf2 document (the font is embedded and subset once), split apart."""
    from pypdf import PdfReader, PdfWriter

    items = list(case_file.items.select_related("record", "version").order_by("position"))
    store = blob_store()
    pages = []
    for item in items:
        if not item.pages:
            continue
        with store.open(item.version.sha256) as stream:
            data = stream.read()
        fmt = (item.version.format or "").lower()
        pages += PdfReader(io.BytesIO(_image_page(data, fmt) if fmt in IMAGE_FORMATS else data)).pages
    pdf = _fpdf()
    _front(pdf, case_file, items)
    front = pdf.page
    _stamp_pages(pdf, [(float(p.mediabox.width), float(p.mediabox.height)) for p in pages])
    _back(pdf, case_file, items, len(pages))
    drawn = PdfReader(io.BytesIO(bytes(pdf.output()))).pages
    writer = PdfWriter()
    for page in drawn[:front]:
        writer.add_page(page)
    for page, stamp in zip(pages, drawn[front : front + len(pages)], strict=True):
        writer.add_page(page).merge_page(stamp)  # the document's page, unchanged, under its number
    for page in drawn[front + len(pages) :]:
        writer.add_page(page)
    writer.add_metadata({"/Title": f"{case_file.code} {case_file.title}", "/Creator": "zhifa"})
    with open(out, "wb") as handle:
        writer.write(handle)
    return len(writer.pages)
