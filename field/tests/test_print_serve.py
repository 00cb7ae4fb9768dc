"""The signed 文书 to the party from the app: printed on site (80 mm roll or A4, through the browser's
print) with its signatures and QR code, or served electronically where the party signed a 送达地址
确认书 agreeing to it — refused otherwise with the article and what to do next."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from field.models import InstrumentCheck
from field.services import signature_capture
from field.tests.test_sync import _planned, signature_png
from ledger.models import Event
from matters.models import Service
from matters.services import matter_transition
from matters.serving import service_address_record, service_scan_file
from records.tests.clips import make_image

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_pdf")]


def _ordered(team):
    """An inspection done, its 责令限期整改指令书 issued and not yet served, the party's signature on it."""
    import base64

    insp = _planned(team)
    matter_transition(
        acting_user=team.officer, matter=insp, transition="inspect", officers=[team.officer, team.partner],
        records=[team.scan("现场检查照片")],
        data={"place": "储罐区", "time": timezone.now() - timedelta(minutes=10), "findings": "报警器未投用",
              "hazards": "1号储罐可燃气体报警器未投用"},
    )
    matter_transition(
        acting_user=team.officer, matter=insp, transition="order_rectification",
        data={"basis": "安全生产法第四十一条", "rectify_by": timezone.localdate() + timedelta(days=15)},
    )
    order = insp.instruments.get(type="rectification_order")
    signature_capture(
        instrument=order, role="party", name="王某", signed_at=timezone.now(),
        image=base64.b64decode(signature_png().split(",")[1]), acting_user=team.officer,
    )
    return insp, order


def test_the_signed_instrument_prints_on_a_roll_or_a4_with_its_signature_and_qr(team, client):
    _, order = _ordered(team)
    client.force_login(team.officer)
    page = client.get(f"/field/instruments/{order.pk}/print/?paper=80")
    html = page.content.decode()
    assert page.status_code == 200
    assert order.number in html and "责令限期整改指令书" in html and "安全生产法第四十一条" in html
    assert "size:80mm 297mm" in html and 'src="data:image/png;base64,' in html and "王某" in html
    check = InstrumentCheck.objects.get(instrument=order)
    assert f"/public/check/{check.token}/" in html and "<svg" in html
    read = Event.objects.filter(kind="record.download", data__purpose="现场打印《责令限期整改指令书》")
    assert read.count() == 1  # the signature image read for the print is logged
    assert "size:A4" in client.get(f"/field/instruments/{order.pk}/print/?paper=a4").content.decode()

    # another agency's officer sees no such 文书, and the refusal is logged
    from org.tests.factories import AgencyFactory, SectionFactory, StaffFactory

    other_agency = AgencyFactory()
    stranger = StaffFactory(agency=other_agency, section=SectionFactory(agency=other_agency), roles=["officer"])
    client.force_login(stranger)
    assert client.get(f"/field/instruments/{order.pk}/print/").status_code == 404


def test_electronic_service_needs_the_signed_address_confirmation(team, client):
    insp, order = _ordered(team)
    client.force_login(team.officer)
    page = client.get(f"/field/instruments/{order.pk}/print/").content.decode()
    assert "第六十一条第二款" in page and "送达地址确认书" in page and "直接送达" in page

    events = Event.objects.count()
    response = client.post(f"/field/instruments/{order.pk}/send/", follow=True)
    text = response.content.decode()
    assert "第六十一条第二款" in text and "请先登记当事人签署的送达地址确认书" in text
    assert not mail.outbox and not Service.objects.filter(instrument=order).exists()
    assert not Event.objects.filter(kind="instrument.electronic_send").exists()
    # only looks were logged (the refused attempt among them), nothing else
    new = set(Event.objects.order_by("pk")[events:].values_list("kind", flat=True))
    assert new == {"matter.view", "record.download"}
    assert Event.objects.filter(kind="matter.view", data__purpose="电子送达未通过校验").count() == 1

    service_address_record(
        acting_user=team.officer, matter=insp, recipient="王某", signed_on=timezone.localdate(),
        scan=service_scan_file(
            acting_user=team.officer, matter=insp, path=make_image(team.folder / "addr.jpg", size=(70, 99)),
            original_name="送达地址确认书.jpg", title="送达地址确认书",
        ), electronic=True, email="wang@dongxing.example",
    )
    response = client.post(f"/field/instruments/{order.pk}/send/", follow=True)
    assert "已发送至wang@dongxing.example" in response.content.decode()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["wang@dongxing.example"] and order.number in sent.subject
    _, content, kind = sent.attachments[0]
    assert kind == "application/pdf" and content.startswith(b"%PDF")
    event = Event.objects.get(kind="instrument.electronic_send")
    assert event.data["pdf_sha256"] == order.pdf.versions.get().sha256

    # the arrival shown on the party's phone, photographed: the service is recorded through matters
    photo = make_image(team.folder / "arrival.jpg", size=(90, 70))
    arrived = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    early = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    with photo.open("rb") as f:
        refused = client.post(
            f"/field/instruments/{order.pk}/arrived/",
            {"sent_record": event.data["sent_record"], "arrived_at": early, "photo": f}, follow=True,
        ).content.decode()
    assert "到达时间早于发送时间" in refused and not Service.objects.filter(instrument=order).exists()
    with photo.open("rb") as f:
        done = client.post(
            f"/field/instruments/{order.pk}/arrived/",
            {"sent_record": event.data["sent_record"], "arrived_at": arrived, "photo": f}, follow=True,
        ).content.decode()
    assert "已登记《责令限期整改指令书》" in done, done[:3000]
    service = Service.objects.get(instrument=order)
    assert service.method == "electronic" and service.place == "wang@dongxing.example"
    assert service.address is not None and service.address.email == "wang@dongxing.example"
    assert event.data["sent_record"] in set(service.records.values_list("pk", flat=True))
    assert service.records.count() == 2  # the message sent and the photo of its arrival
    assert Event.objects.filter(kind__in=("matter.instrument_serve", "matter.order_rectification")).exists()
    again = client.post(f"/field/instruments/{order.pk}/send/", follow=True).content.decode()
    assert "不需要送达或已登记送达" in again and len(mail.outbox) == 1
