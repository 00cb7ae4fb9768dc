"""扫码入企 in two phones (Chromium's mobile emulation): the officer starts a drawn 双随机 task in the
app, which shows the 检查码; the enterprise's phone reads the code off the officer's screen (the
rendered image, decoded by ZXing), opens it, sees who inspects on which item and basis, and rates the
inspection afterwards by clicking. The QR code printed in the issued 文书 PDF, decoded from the
rendered page, opens the verification page, which accepts the issued PDF and rejects an altered one."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from field.models import InspectionCode, InspectionRating
from field.tests.tasks import drawn_task
from matters.services import matter_transition
from matters.tests.documents import record_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_pdf")]

PHONE = {
    "locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 390, "height": 844},
    "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
}


def decode(png: bytes) -> str:
    """What a phone's scanner reads in an image: the text of the one QR code in it."""
    import zxingcpp

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, found
    return found[0].text


def pdf_page_png(data: bytes) -> bytes:
    """The first page of a PDF as a phone's camera would see it printed (PDFium, 200 dpi)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        out = io.BytesIO()
        pdf[0].render(scale=200 / 72).to_pil().save(out, format="PNG")
        return out.getvalue()
    finally:
        pdf.close()


def test_the_enterprise_scans_the_code_on_the_officers_phone_and_checks_the_pdf(
    browser, live_server, team, settings, tmp_path
):
    from org.tests.factories import PASSWORD

    settings.ZHIFA_PUBLIC_URL = live_server.url  # the address printed in the codes
    task = drawn_task(team)

    officer = browser.new_context(**PHONE)
    page = officer.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", team.officer.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    with page.expect_navigation():
        page.click("nav >> text=掌上执法")
    page.click("#tasks >> text=危险化学品企业安全生产检查")
    assert "《安全生产法》第六十五条" in page.inner_text("#task-basis")
    page.fill("#start-place", "东兴化工储罐区")
    page.click("#start-go")
    page.wait_for_selector("#code-qr svg")
    task.refresh_from_db()
    code = InspectionCode.objects.get(matter=task.matter)
    shown = page.locator("#code-qr").screenshot()
    # the 现场检查方案 made with it, printed on the portable printer's 80 mm roll: its QR code too
    with page.expect_navigation():
        page.click("#issued a.print")
    printed = page.pdf(prefer_css_page_size=True, print_background=True)
    officer.close()

    url = decode(shown)
    assert url == f"{live_server.url}/public/visit/{code.token}/"
    enterprise = browser.new_context(**PHONE)
    phone = enterprise.new_page()
    phone.goto(url)  # what the scanner app does with the code it read
    assert team.agency.name in phone.inner_text("#visit-agency")
    body = phone.inner_text("main") if phone.locator("main").count() else phone.inner_text("body")
    assert "危险化学品企业安全生产检查" in body and "《安全生产法》第六十五条" in body
    officers = phone.inner_text("#visit-officers")
    for person in (team.officer, team.partner):
        cert = person.certificates.order_by("-valid_to").first()
        assert person.name in officers and cert.number in officers
    assert phone.locator("#rate").count() == 0  # not before the inspection

    matter_transition(
        acting_user=team.officer, matter=task.matter, transition="inspect", officers=[team.officer, team.partner],
        records=[team.scan("现场检查照片")],
        data={"place": "东兴化工储罐区", "time": timezone.now() - timedelta(minutes=1), "findings": "未发现问题"},
    )
    phone.reload()
    phone.click("#rate >> text=很满意")
    with phone.expect_navigation():
        phone.click("#rate button[type=submit]")
    assert "很满意" in phone.inner_text("#rated")
    assert InspectionRating.objects.get(code=code).score == 5

    # the 现场检查方案 issued when the task was started: its PDF's QR code, read off the page
    plan = task.matter.instruments.get(type="inspection_plan")
    issued = record_bytes(plan.pdf)
    check_url = decode(pdf_page_png(issued))
    assert check_url == f"{live_server.url}/public/check/{plan.verification.token}/"
    import pypdfium2 as pdfium

    roll = pdfium.PdfDocument(printed)
    assert round(roll[0].get_width() * 25.4 / 72) == 80  # mm
    roll.close()
    assert decode(pdf_page_png(printed)) == check_url
    phone.goto(check_url)
    assert plan.number in phone.inner_text("#check-number")
    copy = tmp_path / "手中的文书.pdf"
    copy.write_bytes(issued)
    phone.set_input_files("#check-form input[type=file]", str(copy))
    with phone.expect_navigation():
        phone.click("#check-form button[type=submit]")
    assert "一致" in phone.inner_text("#check-answer") and "不一致" not in phone.inner_text("#check-answer")
    altered = tmp_path / "改过的文书.pdf"
    altered.write_bytes(issued.replace(b"/Creator (", b"/Creator (x", 1) if b"/Creator (" in issued else issued + b"\n")
    phone.set_input_files("#check-form input[type=file]", str(altered))
    with phone.expect_navigation():
        phone.click("#check-form button[type=submit]")
    assert "不一致" in phone.inner_text("#check-answer")
    enterprise.close()
