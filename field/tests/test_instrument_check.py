"""A 文书 anyone can check: the QR code printed on every page of its PDF opens the verification
page, which says the 文书 exists, who issued it, and whether a copy in hand is the one issued."""

import hashlib

import pytest
from django.conf import settings

from field import qr
from field.hooks import QR_RIGHT_MM, QR_SIZE_MM, QR_TOP_MM, check_url
from field.models import InstrumentCheck
from ledger.models import Event
from matters.instruments import instrument_issue
from matters.services import matter_open
from matters.tests.documents import record_bytes

pytestmark = pytest.mark.django_db


def _issued(team):
    matter = matter_open(acting_user=team.officer, kind="inspection", title="专项检查", party=team.party,
                         officers=[team.officer, team.partner])
    return instrument_issue(
        matter=matter, type_code="inspection_record", content={"findings": "储罐区可燃气体报警装置未投用"},
        acting_user=team.officer,
    )


def _page_image(data: bytes, page_index: int):
    """A page as PDFium draws it (greyscale, 864 dpi), with pixels per mm and the page width in mm."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[page_index]
        scale = 12  # 864 dpi: a module of a 20 mm code is some 15 pixels
        image = page.render(scale=scale, grayscale=True).to_pil()
        width_mm = page.get_width() * 25.4 / 72
        px = scale * 72 / 25.4
        return px, image, width_mm
    finally:
        pdf.close()


def test_the_pdf_carries_a_qr_code_of_its_verification_page_on_every_page(team):
    instrument = _issued(team)
    check = InstrumentCheck.objects.get(instrument=instrument)
    assert Event.objects.filter(kind="instrument.check_register", subject_id=str(check.pk)).exists()
    url = check_url(check.token)
    assert url.startswith(settings.ZHIFA_PUBLIC_URL)
    expected = qr.matrix(url)
    n = len(expected) + 8
    data = record_bytes(instrument.pdf)
    import pypdfium2 as pdfium

    pages = len(pdfium.PdfDocument(data))
    for index in range(pages):
        px, image, width_mm = _page_image(data, index)
        left = width_mm - QR_RIGHT_MM - QR_SIZE_MM
        cell = QR_SIZE_MM / n
        drawn = [
            [
                image.getpixel((int((left + (c + 4.5) * cell) * px), int((QR_TOP_MM + (r + 4.5) * cell) * px))) < 128
                for c in range(len(expected))
            ]
            for r in range(len(expected))
        ]
        assert drawn == [list(row) for row in expected]


def test_the_issued_pdf_verifies_and_an_altered_copy_does_not(team, client):
    instrument = _issued(team)
    token = instrument.verification.token
    data = record_bytes(instrument.pdf)
    issued = hashlib.sha256(data).hexdigest()

    page = client.get(f"/public/check/{token}/").content.decode()
    assert instrument.number in page and team.agency.name in page and issued in page
    assert "储罐区" not in page  # the page never shows the content

    from django.core.files.uploadedfile import SimpleUploadedFile

    same = client.post(f"/public/check/{token}/", {"file": SimpleUploadedFile("a.pdf", data, "application/pdf")})
    assert "一致" in same.content.decode() and "不一致" not in same.content.decode()
    altered = data.replace(b"/Creator (zhifa)", b"/Creator (zhifb)")
    assert altered != data
    other = client.post(f"/public/check/{token}/", {"file": SimpleUploadedFile("a.pdf", altered, "application/pdf")})
    assert "不一致" in other.content.decode()
    pasted = client.post(f"/public/check/{token}/", {"sha256": issued.upper()})
    assert "不一致" not in pasted.content.decode() and 'id="check-answer"' in pasted.content.decode()
    bad = client.post(f"/public/check/{token}/", {"sha256": "xyz"})
    assert "64位十六进制" in bad.content.decode() and 'id="check-answer"' not in bad.content.decode()
    empty = client.post(f"/public/check/{token}/", {})
    assert "请上传" in empty.content.decode()
    answers = Event.objects.filter(kind="instrument.check", subject_id=str(instrument.verification.pk))
    assert [e.data["match"] for e in answers.order_by("index")] == [None, True, False, True]
    assert client.get(f"/public/check/{'0' * 32}/").status_code == 404
    big = client.post(f"/public/check/{token}/", {"sha256": issued}, CONTENT_LENGTH=str(60 * 2**20))
    assert big.status_code == 413 and "MiB" in big.content.decode()


def test_a_pdf_that_is_no_issued_instrument_carries_no_code(tmp_path):
    """An access register or a disc log is drawn by the same renderer but is no 文书 of the
    register: it gets no QR code that would open nothing."""
    from django.utils import timezone

    from matters.rendering import Block, render_pdf

    path = tmp_path / "register.pdf"
    render_pdf([Block("title", "查阅登记簿")], path, title="查阅登记簿", number="", identifier="某机关",
               moment=timezone.localtime())
    px, image, width_mm = _page_image(path.read_bytes(), 0)
    left = width_mm - QR_RIGHT_MM - QR_SIZE_MM
    corner = image.crop((int(left * px), int(QR_TOP_MM * px), int((left + QR_SIZE_MM) * px),
                         int((QR_TOP_MM + QR_SIZE_MM) * px)))
    assert corner.getextrema()[0] > 200  # white: nothing drawn there
