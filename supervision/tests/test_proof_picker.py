"""补充送达凭证 on 我的提醒 picks the receipt and the recording from the records the officer may read
(查找, then select): nothing is typed by number, the list is a logged read, and an id out of sight posted
by hand is refused with who may act and logged as a refusal."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from ledger.models import Event
from matters.models import Service
from org.tests.factories import SectionFactory
from records.selectors import record_list
from supervision.choices import Check
from supervision.models import Finding
from supervision.services import findings_scan
from supervision.tests.test_fault_picker import _record

pytestmark = pytest.mark.django_db

SERVED = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)


def unproven_service(desk):
    """A 直接送达 entered from the paper file without its receipt or signer: the scan finds it."""
    matter = desk.close_inspection()
    service = Service.objects.create(instrument=matter.instruments.order_by("pk").last(), method="direct",
                                     recipient="王某", served_at=SERVED, details={}, recorded_by=desk.officer)
    findings_scan(agency=desk.agency)
    return service, Finding.objects.get(kind=Check.SERVICE_PROOF)


def offered(html: str, finding, name: str) -> set[int]:
    form = re.search(rf'<form[^>]*id="proof-{finding.pk}".*?</form>', html, re.S).group(0)
    select = re.search(rf'<select name="{name}".*?</select>', form, re.S).group(0)
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select)}


def test_the_proof_form_offers_only_what_the_officer_may_read_and_refuses_the_rest(desk, make_staff, login):
    service, finding = unproven_service(desk)
    receipt = desk.receipt("补签回执.docx")
    other = desk.receipt("仓库检查笔录.docx")
    clip = desk.clip("送达过程.mp4")
    elsewhere = SectionFactory(agency=desk.agency, name="执法监察二大队")
    stranger = make_staff("officer", section=elsewhere, name="吴执法", username="wu")
    hidden = _record(desk, "二大队送达回执", by=stranger, section=elsewhere)
    client = login(desk.officer)
    url = reverse("supervision:reminders")

    page = client.get(url).content.decode()
    assert "记录编号" not in page  # nothing typed by number
    readable = set(record_list(viewer=desk.officer).values_list("pk", flat=True))
    receipts, recordings = offered(page, finding, "receipt"), offered(page, finding, "av")
    assert {receipt.pk, other.pk} <= receipts <= readable and hidden.pk not in receipts
    assert clip.pk in recordings <= readable and not recordings & receipts  # scans for the receipt, video for the av
    listed = Event.objects.filter(kind="record.list", actor=desk.officer).latest("pk")
    assert set(listed.data["records"]) == receipts | recordings

    # 查找 narrows the list, keeps what was filled in and picked, and saves nothing
    act = reverse("supervision:service_proof")
    body = {"finding": finding.pk, "signer": "王某", "receipt": other.pk, "receipt_q": "补签", "find": "receipt"}
    html = client.post(act, body).content.decode()
    assert offered(html, finding, "receipt") == {receipt.pk, other.pk}  # the picked one stays offered
    assert re.search(rf'<option value="{other.pk}" selected', html) and 'value="王某"' in html
    html = client.post(act, {**body, "receipt": ""}).content.decode()
    assert offered(html, finding, "receipt") == {receipt.pk}
    assert "没有找到您可查看的音像记录（“不存在”）" in client.post(
        act, {"finding": finding.pk, "av_q": "不存在", "find": "av"}).content.decode()
    assert Service.objects.get(pk=service.pk).details == {} and finding.events.count() == 1

    # an id out of sight, posted by hand: refused with who may act, logged as a refusal, nothing added
    html = client.post(act, {"finding": finding.pk, "signer": "王某", "receipt": hidden.pk}, follow=True).content.decode()
    assert "未补充" in html and "执法监察二大队" in html
    assert Event.objects.filter(kind="record.denied", actor=desk.officer, subject_id=str(hidden.pk)).exists()
    html = client.post(act, {"finding": finding.pk, "av": 987654}, follow=True).content.decode()
    assert "没有记录#987654" in html
    assert Service.objects.get(pk=service.pk).details == {} and not Service.objects.get(pk=service.pk).records.exists()

    html = client.post(act, {"finding": finding.pk, "signer": "王某", "receipt": receipt.pk},
                       follow=True).content.decode()
    assert "该问题已纠正" in html
    finding.refresh_from_db()
    assert not finding.is_open and set(Service.objects.get(pk=service.pk).records.all()) == {receipt}


def test_someone_else_cannot_search_or_add_to_the_officers_finding(desk, login):
    service, finding = unproven_service(desk)
    partner = login(desk.partner)
    act = reverse("supervision:service_proof")
    assert partner.post(act, {"finding": finding.pk, "receipt_q": "回执", "find": "receipt"}).status_code == 404
    assert Event.objects.filter(kind="finding.denied", subject_id=str(finding.pk), actor=desk.partner).exists()
    assert partner.post(act, {"finding": finding.pk, "signer": "张某"}).status_code == 404
    assert 'id="proof-' not in partner.get(reverse("supervision:reminders")).content.decode()
    assert Service.objects.get(pk=service.pk).details == {}
