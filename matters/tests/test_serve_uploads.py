"""Proofs uploaded on the serve page (电子送达's 发送记录 and 到达回执, a 送达回证 or 送达地址确认书 scan)
are filed only when the service they prove is accepted, in its transaction: a refused attempt, whatever
refuses it, leaves no record behind and nothing new in the pickers, and is logged."""

import itertools
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from matters.models import Service, ServiceAddress
from matters.serving import service_address_record
from matters.tests.test_serving import _decided, _scan
from records.models import DuplicateDelivery, Record
from records.tests.clips import make_image

pytestmark = pytest.mark.django_db

_SIZES = itertools.count(400)
PROOF_SELECTS = ("receipt", "sent_record", "delivery_receipt", "scan_record")


def _upload(team, name, content: bytes | None = None):
    if content is None:
        path = team.folder / name
        make_image(path, size=(64 + next(_SIZES), 48))
        content = path.read_bytes()
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def _offered(client, officer, url) -> dict:
    """The records each proof picker of the serve page offers."""
    client.force_login(officer)
    page = client.get(url).content.decode()
    offered = {}
    for name in PROOF_SELECTS:
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
        if select is not None:  # the service form goes once the 文书 is served
            offered[name] = re.findall(r'<option value="(\d+)"', select.group(0))
    return offered


def _state(matter):
    """What a refused attempt must leave as it was: the records and deliveries, the services, and the
    bytes in the blob store (every refusal comes before a new byte is stored)."""
    blobs = settings.DATA_DIR / "blobs"
    return (Record.objects.count(), DuplicateDelivery.objects.count(), Service.objects.count(),
            ServiceAddress.objects.count(), sorted(matter.instruments.values_list("services", flat=True).distinct()),
            sorted(blobs.rglob("*")) if blobs.exists() else [])


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_refused_service_files_none_of_its_uploaded_proofs_and_an_accepted_one_files_and_links_them(
    client, team, make_staff
):
    matter, decision = _decided(team)
    signed = _scan(team, "送达地址确认书")
    address = service_address_record(acting_user=team.officer, matter=matter, scan=signed, recipient="王某",
                                     electronic=True, email="aq@dongxing.example.cn", signed_on=timezone.localdate())
    picked = _scan(team, "本案邮件发送记录")
    url = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": decision.pk})
    body = {"method": "electronic", "recipient": "王某", "address": address.pk, "served_at": _when(timezone.now())}
    stranger = make_staff("officer", certificate=True, name="周执法", username="zhou")
    offered = _offered(client, team.officer, url)
    assert set(offered) == set(PROOF_SELECTS)
    assert str(picked.pk) in offered["sent_record"] and str(signed.pk) not in offered["sent_record"]
    before = _state(matter)

    def files(*, sent=True, reached=True):
        out = {}
        if sent:
            out["sent_record_file"] = _upload(team, f"sent-{next(_SIZES)}.jpg")
        if reached:
            out["delivery_receipt_file"] = _upload(team, f"reached-{next(_SIZES)}.jpg")
        return out

    attempts = [
        # 行政处罚法第六十一条第二款: no confirmation agreeing to electronic service
        (team.officer, {**body, "address": "", **files()}, 400, "第六十一条"),
        (team.officer, {**body, "served_at": _when(timezone.now() + timedelta(days=1)), **files()}, 400, "晚于现在"),
        (team.officer, {**body, "served_at": _when(decision.issued_at - timedelta(hours=3)), **files()}, 400,
         "早于文书制作时间"),
        (team.officer, {**body, **files(sent=False)}, 400, "系统发送记录"),  # the pack's list is incomplete
        (team.officer, {**body, "place": "other@example.cn", **files()}, 400, "确认的地址"),
        (team.officer, {**body, "sent_record": picked.pk, **files()}, 400, "二者选一"),
        (team.officer, {**body, "sent_record_file": _upload(team, "a.jpg", b"\xff\xd8same"),
                        "delivery_receipt_file": _upload(team, "b.jpg", b"\xff\xd8same")}, 400, "同一个文件"),
        # refused only once filed (the upload is the confirmation's own scan): the filing is undone
        (team.officer, {**body, "sent_record_file": _upload(team, "again.jpg", (team.folder / "送达地址确认书.jpg").read_bytes()),
                        **files(sent=False)}, 400, "送达地址确认书的扫描件"),
        (stranger, {**body, **files()}, 403, "只有承办本事项的执法人员"),
    ]
    for user, data, status, fragment in attempts:
        client.force_login(user)
        logged = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
        response = client.post(url, data)
        text = response.content.decode()
        assert response.status_code == status, (fragment, text[-1500:])
        assert fragment in text, fragment
        assert _state(matter) == before, fragment  # no record, duplicate delivery or service written
        refusal = Event.objects.filter(pk__gt=logged, kind__in=("matter.denied", "matter.view"), actor=user).first()
        assert refusal is not None, fragment
        if status == 403:
            assert refusal.kind == "matter.denied" and "登记文书送达被拒绝" in refusal.data["reason"]
        else:
            assert refusal.data["purpose"] == "登记文书送达未通过校验"
        assert _offered(client, team.officer, url) == offered, fragment

    client.force_login(team.officer)
    response = client.post(url, {**body, **files()})
    assert response.status_code == 302, response.content.decode()[-1500:]
    service = Service.objects.get(instrument=decision)
    filed = Record.objects.filter(pk__gt=picked.pk)
    assert Record.objects.count() == before[0] + 2 and set(service.records.all()) == set(filed)
    assert {r.title for r in filed} == {f"{decision.title}{decision.number}系统发送记录",
                                        f"{decision.title}{decision.number}到达受送达人特定系统的回执记录"}
    assert all(r.party_id == matter.party_id for r in filed)
    for r in filed:  # filed in the service's transaction, each with its ingest event
        assert Event.objects.filter(kind="record.create", subject_id=str(r.pk)).exists()
    now_offered = _offered(client, team.officer, url)
    assert set(now_offered) == {"receipt"} and str(picked.pk) in now_offered["receipt"]
    assert not {str(r.pk) for r in filed} & {pk for pks in now_offered.values() for pk in pks}  # used: not offered

    # served once: a second attempt with new files is refused and files nothing
    count = Record.objects.count()
    response = client.post(url, {**body, **files()})
    assert response.status_code == 400 and "不能重复登记" in response.content.decode()
    assert Record.objects.count() == count and Service.objects.count() == before[2] + 1


def test_the_receipt_and_address_uploads_are_filed_only_when_accepted(client, team):
    matter, decision = _decided(team)
    client.force_login(team.officer)
    serve = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": decision.pk})
    receipt_url = reverse("matters:serve_receipt", kwargs={"pk": matter.pk, "instrument": decision.pk})
    address_url = reverse("matters:service_address", kwargs={"pk": matter.pk})
    count = Record.objects.count()

    # 补充送达回证 before the service is recorded
    response = client.post(receipt_url, {"scan": _upload(team, "回证.jpg")}, follow=True)
    assert "尚未登记送达" in response.content.decode() and Record.objects.count() == count
    # a confirmation agreeing to electronic service without an address to serve at
    signed_on = timezone.localdate().isoformat()
    confirmation = {"instrument": decision.pk, "recipient": "王某", "electronic": "on", "signed_on": signed_on}
    response = client.post(address_url, {**confirmation, "scan": _upload(team, "确认书.jpg")}, follow=True)
    assert "电子邮箱、传真号码或手机号码" in response.content.decode() and Record.objects.count() == count
    assert not ServiceAddress.objects.exists()

    response = client.post(address_url, {**confirmation, "email": "aq@dongxing.example.cn",
                                         "scan": _upload(team, "确认书2.jpg")})
    assert response.status_code == 302
    address = ServiceAddress.objects.get()
    assert Record.objects.count() == count + 1 and address.scan.title == "送达地址确认书"

    response = client.post(serve, {"method": "direct", "recipient": "王某", "signer": "王某",
                                   "served_at": _when(timezone.now())})
    assert response.status_code == 302
    response = client.post(receipt_url, {"scan": _upload(team, "回证2.jpg")})
    assert response.status_code == 302
    service = Service.objects.get(instrument=decision)
    assert Record.objects.count() == count + 2 and service.receipt.title == f"{decision.title}{decision.number}送达回证"
    assert service.receipt in service.records.all()
