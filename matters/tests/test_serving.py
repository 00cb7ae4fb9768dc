"""Service after issuing (issue 13 item 2): an issued 文书 waits in 待送达 until its service is recorded
on its own (API and page), the scanned 送达回证 follows, belongs to one 文书 and is used once, and
电子送达 needs the party's signed 送达地址确认书 (行政处罚法第六十一条第二款)."""

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from matters.models import Instrument, Matter, Service, ServiceAddress
from matters.queues import matter_queues
from matters.selectors import matter_receipt_candidates, matter_unserved_instruments
from matters.services import matter_open, matter_transition, service_deferrable
from matters.workflows import workflow_for
from records.services import record_ingest
from records.tests.clips import make_image

pytestmark = pytest.mark.django_db

_PAGES = itertools.count(200)


def _iso(moment):
    return timezone.localtime(moment).isoformat(timespec="minutes")


def _decided(team, title="东兴化工当场处罚"):
    """A 简易程序 case decided on the spot: its 当场行政处罚决定书 is issued and not yet served."""
    matter = matter_open(
        acting_user=team.officer, kind="penalty", procedure="simple", title=title, party=team.party,
        officers=[team.officer, team.partner],
    )
    matter_transition(
        acting_user=team.officer, matter=matter, transition="decide_on_spot", officers=[team.officer, team.partner],
        data={"time": timezone.now(), "place": "厂区大门", "facts": "未按规定佩戴劳动防护用品",
              "basis": "安全生产法第九十九条", "amount": "2000", "defence": "当事人未提出陈述申辩"},
    )
    return matter, matter.instruments.get()


def _scan(team, title, *, party=True):
    """A scanned page filed for the case's party (as the page's upload files it)."""
    path = team.folder / f"{title}.jpg"
    make_image(path, size=(64 + next(_PAGES), 48))
    return record_ingest(
        acting_user=team.officer, section=team.section, path=path, original_name=path.name, title=title,
        party=team.party if party else None,
    ).version.record


def _serve_url(matter, instrument):
    return reverse("api-matter-instrument-services", kwargs={"pk": matter.pk, "instrument": instrument.pk})


def _post(client, user, url, body):
    client.force_login(user)
    return client.post(url, body, content_type="application/json")


def _refused(client, user, url, body, *fragments):
    """Refused with a Chinese message naming its rule; nothing is written and nothing logged."""
    before = (Service.objects.count(), ServiceAddress.objects.count(), Event.objects.count())
    states = list(Matter.objects.values_list("state", flat=True).order_by("pk"))
    response = _post(client, user, url, body)
    assert response.status_code == 400, response.json()
    detail = response.json()["detail"]
    for fragment in fragments:
        assert fragment in detail, (fragment, detail)
    assert (Service.objects.count(), ServiceAddress.objects.count(), Event.objects.count()) == before
    assert list(Matter.objects.values_list("state", flat=True).order_by("pk")) == states
    return detail


def _waiting(user) -> list:
    queue = next(q for q in matter_queues(user) if q.code == "matters.serve")
    return [(item.label, item.url) for item in queue.items]


def test_a_decision_waits_in_the_queue_and_is_served_on_its_own_with_the_receipt_afterwards(client, team):
    matter, decision = _decided(team)
    serve_page = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": decision.pk})
    assert (f"{decision.title} {decision.number}", serve_page) in _waiting(team.officer)
    url = _serve_url(matter, decision)
    direct = {"method": "direct", "recipient": "王某", "signer": "王某"}

    # Before the 文书 was issued, and in the future: refused.
    early = decision.issued_at - timedelta(hours=2)
    _refused(client, team.officer, url, {**direct, "served_at": _iso(early)}, "早于文书制作时间")
    _refused(client, team.officer, url, {**direct, "served_at": _iso(timezone.now() + timedelta(hours=1))},
             "晚于现在")
    # The pack's items for the method are still required (通化 第十八条: the recipient signs).
    _refused(client, team.officer, url, {**direct, "signer": "", "served_at": _iso(timezone.now())},
             "受送达人或签收人签名", "第十八条")

    response = _post(client, team.officer, url, {**direct, "served_at": _iso(timezone.now())})
    assert response.status_code == 201, response.json()
    served = response.json()
    assert served["receipt"] is None and served["details"]["pending"] == ["receipt"]
    matter.refresh_from_db()
    assert matter.state == "served"  # the workflow's service step was taken, payment period running
    assert matter.steps.filter(transition="serve").exists()
    waiting = _waiting(team.officer)
    assert (f"{decision.title} {decision.number}", serve_page) not in waiting
    assert (f"{decision.title} {decision.number} 待补充送达回证", serve_page) in waiting
    _refused(client, team.officer, url, {**direct, "served_at": _iso(timezone.now())}, "不能重复登记送达")

    # The picker: this matter's unused scans only (not another case's, not an unfiled page, no video).
    mine = _scan(team, "决定书送达回证")
    other, other_decision = _decided(team, "另一当场处罚")
    theirs = _scan(team, "另一案件回证")
    loose = _scan(team, "无当事人的扫描件", party=False)
    other.steps.get(transition="decide_on_spot").records.add(theirs)
    candidates = set(matter_receipt_candidates(matter))
    assert mine in candidates and theirs not in candidates and loose not in candidates
    receipt_url = reverse("api-matter-instrument-receipt", kwargs={"pk": matter.pk, "instrument": decision.pk})
    _refused(client, team.officer, receipt_url, {"receipt": theirs.pk}, "不是本案的记录")
    response = _post(client, team.officer, receipt_url, {"receipt": mine.pk})
    assert response.status_code == 200, response.json()
    assert response.json()["receipt"] == mine.pk and "pending" not in response.json()["details"]
    assert mine not in set(matter_receipt_candidates(matter))
    assert Event.objects.filter(kind="matter.service_receipt").count() == 1

    # The same scan for the other case's decision: used once, refused.
    _post(client, team.officer, _serve_url(other, other_decision),
          {**direct, "served_at": _iso(timezone.now())})
    other_receipt = reverse("api-matter-instrument-receipt", kwargs={"pk": other.pk, "instrument": other_decision.pk})
    _refused(client, team.officer, other_receipt, {"receipt": mine.pk}, "一份回执只能证明一次送达")
    # A second receipt for a service that has one: refused.
    _refused(client, team.officer, receipt_url, {"receipt": _scan(team, "又一份回证").pk}, "一次送达只有一份回证")


def test_electronic_service_needs_the_partys_address_confirmation(client, team):
    matter, decision = _decided(team)
    url = _serve_url(matter, decision)
    sent, reached = _scan(team, "电子邮件发送记录"), _scan(team, "电子邮件送达回执")
    electronic = {"method": "electronic", "recipient": "通化东兴化工有限公司", "served_at": _iso(timezone.now()),
                  "sent_record": sent.pk, "delivery_receipt": reached.pk}
    detail = _refused(client, team.officer, url, electronic, "第六十一条", "送达地址确认书")
    assert "请先登记" in detail

    addresses = reverse("api-matter-service-addresses", kwargs={"pk": matter.pk})
    signed = _scan(team, "送达地址确认书")
    confirmation = {"recipient": "通化东兴化工有限公司", "electronic": True, "signed_on": timezone.localdate().isoformat(),
                    "scan": signed.pk}
    _refused(client, team.officer, addresses, confirmation, "电子邮箱、传真号码或手机号码")
    _refused(client, team.officer, addresses, {**confirmation, "email": "not-an-address"}, "电子邮箱格式不正确")
    _refused(client, team.officer, addresses,
             {**confirmation, "email": "aq@dongxing.example.cn",
              "signed_on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "不能晚于今天")
    response = _post(client, team.officer, addresses, {**confirmation, "email": "aq@dongxing.example.cn"})
    assert response.status_code == 201, response.json()
    address = response.json()["id"]
    assert signed not in set(matter_receipt_candidates(matter))  # the scan is used: not offered as a receipt

    # With the confirmation: the proof of delivery the pack requires, at the address the party gave.
    _refused(client, team.officer, url, {**electronic, "address": address, "delivery_receipt": None},
             "文书到达受送达人特定系统的回执记录", "第六十一条第二款")
    _refused(client, team.officer, url, {**electronic, "address": address, "place": "other@example.cn"},
             "确认的地址")
    response = _post(client, team.officer, url, {**electronic, "address": address})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["method"] == "electronic" and body["place"] == "aq@dongxing.example.cn"
    assert body["address"] == address and set(body["records"]) == {sent.pk, reached.pk}
    assert matter_unserved_instruments(matter) == []
    assert Matter.objects.get(pk=matter.pk).state == "served"
    listed = client.get(addresses).json()
    assert [a["email"] for a in listed] == ["aq@dongxing.example.cn"]


def test_the_serve_page_offers_this_matters_scans_and_records_the_service(client, team):
    matter, decision = _decided(team)
    mine, loose = _scan(team, "本案回证扫描件"), _scan(team, "他处扫描件", party=False)
    client.force_login(team.officer)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    serve_url = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": decision.pk})
    assert "待送达" in page and serve_url in page and "登记送达" in page

    body = client.get(serve_url).content.decode()
    assert f'value="{mine.pk}"' in body and f'value="{loose.pk}"' not in body
    assert "电子送达" in body and "第六十一条第二款" in body  # the pack's requirements, with the article

    response = client.post(serve_url, {"method": "electronic", "recipient": "王某",
                                       "served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400 and "第六十一条" in response.content.decode()
    assert not Service.objects.exists()
    response = client.post(serve_url, {"method": "direct", "recipient": "王某", "signer": "王某",
                                       "served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302, response.content.decode()[-2000:]
    service = Service.objects.get(instrument=decision)
    assert service.receipt is None

    body = client.get(serve_url).content.decode()
    assert "补充送达回证" in body
    receipt_url = reverse("matters:serve_receipt", kwargs={"pk": matter.pk, "instrument": decision.pk})
    response = client.post(receipt_url, {"receipt": mine.pk})
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.receipt_id == mine.pk and service.receipt_added_at is not None
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "本案回证扫描件" in page and Instrument.objects.filter(services__isnull=True, matter=matter).count() == 0


def test_the_serve_page_tells_an_officer_not_on_the_case_who_serves_instead_of_offering_forms(client, team,
                                                                                              make_staff):
    """An officer of the section who does not handle the matter sees who may serve it and what to do,
    with no form that would be refused (and no scan of the case listed); posting is still refused."""
    matter, decision = _decided(team)
    _scan(team, "本案回证扫描件")
    serve_url = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": decision.pk})
    client.force_login(make_staff("officer", certificate=True, name="周执法", username="zhou"))
    body = client.get(serve_url).content.decode()
    assert 'id="serve-denied"' in body and "只有承办本事项的执法人员（李执法、张执法）" in body
    assert "请由承办人员办理" in body
    assert 'id="serve-form"' not in body and "登记确认书" not in body and "本案回证扫描件" not in body
    response = client.post(serve_url, {"method": "direct", "recipient": "王某", "signer": "王某",
                                       "served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 403 and "李执法、张执法" in response.content.decode()
    assert not Service.objects.exists()
    client.force_login(team.partner)
    assert 'id="serve-form"' in client.get(serve_url).content.decode()


def test_a_step_may_issue_its_document_and_leave_the_service_for_later(client, team):
    """先行登记保存证据处理决定书 issued by its step without a service waits in 待送达 and is served on its
    own; the matter stays where it is. A 告知书 may not: its 陈述申辩 period runs from the service."""
    matter = matter_open(acting_user=team.officer, kind="penalty", title="东兴化工证据保全", party=team.party,
                         officers=[team.officer, team.partner])
    matter_transition(acting_user=team.officer, matter=matter, transition="request_filing",
                      data={"facts": "储罐区未设置警示标志", "basis": "安全生产法第九十九条"})
    matter_transition(acting_user=team.leader, matter=matter, transition="approve_filing", data={})
    workflow = workflow_for("penalty", "general")
    assert service_deferrable(workflow.transition("decide_preservation"))
    assert not any(service_deferrable(workflow.transition(c)) for c in ("notify", "notify_hearing", "demand"))
    # The step's form offers “not served yet”.
    client.force_login(team.officer)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "当场未送达" in page
    response = client.post(
        reverse("matters:transition", kwargs={"pk": matter.pk, "code": "decide_preservation"}),
        {"decide_preservation-items": "警示标志 1块", "decide_preservation-decision": "解除先行登记保存",
         "decide_preservation-officers": [team.officer.pk], "decide_preservation-service_method": ""},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    (decision,) = matter.steps.get(transition="decide_preservation").instruments.all()
    assert matter_unserved_instruments(matter) == [decision]
    assert (f"{decision.title} {decision.number}",
            reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": decision.pk})) in _waiting(team.officer)
    steps = matter.steps.count()
    response = _post(client, team.officer, _serve_url(matter, decision),
                     {"method": "direct", "recipient": "王某", "signer": "王某", "served_at": _iso(timezone.now())})
    assert response.status_code == 201, response.json()
    assert matter.steps.count() == steps and Matter.objects.get(pk=matter.pk).state == "filed"
    event = Event.objects.filter(kind="matter.instrument_serve").get()
    assert event.data["instrument"] == decision.pk and event.data["pending"] == ["receipt"]
    assert matter_unserved_instruments(matter) == []


def test_the_serve_page_takes_the_electronic_proofs_as_uploads(client, team):
    """电子送达's proofs come from the sending system, not the scanner: the page files them itself."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from matters.serving import service_address_record
    from records.models import Record

    matter, decision = _decided(team)
    address = service_address_record(
        acting_user=team.officer, matter=matter, scan=_scan(team, "送达地址确认书"), recipient="王某", electronic=True,
        email="aq@dongxing.example.cn", signed_on=timezone.localdate(),
    )
    serve_url = reverse("matters:serve", kwargs={"pk": matter.pk, "instrument": decision.pk})
    client.force_login(team.officer)

    def upload(name):
        path = team.folder / name
        make_image(path, size=(64 + next(_PAGES), 48))
        return SimpleUploadedFile(name, path.read_bytes(), content_type="image/jpeg")

    body = {"method": "electronic", "recipient": "王某", "address": address.pk,
            "served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    # a proof both picked and uploaded: one or the other
    picked = _scan(team, "邮件发送记录")
    filed = Record.objects.count()
    response = client.post(serve_url, {**body, "sent_record": picked.pk, "sent_record_file": upload("sent.jpg"),
                                       "delivery_receipt_file": upload("reached.jpg")})
    assert response.status_code == 400 and "二者选一" in response.content.decode()
    assert not Service.objects.exists() and Record.objects.count() == filed  # nothing filed either
    response = client.post(serve_url, {**body, "sent_record_file": upload("sent2.jpg"),
                                       "delivery_receipt_file": upload("reached2.jpg")})
    assert response.status_code == 302, response.content.decode()[-1500:]
    service = Service.objects.get(instrument=decision)
    titles = {r.title for r in service.records.all()}
    assert service.method == "electronic" and any(t.endswith("系统发送记录") for t in titles), titles
    assert any(t.endswith("到达受送达人特定系统的回执记录") for t in titles), titles
    assert all(r.party_id == matter.party_id for r in service.records.all())


def test_the_step_form_asks_about_a_dispute_where_the_list_asks_it_of_a_way_of_service(team):
    """平顶山 003 附件1 films a directly served 告知 when it may give rise to a dispute: the page must ask,
    though the way of service is chosen in the same form (it asked only of steps without one)."""
    from matters.forms import TransitionForm

    matter, _ = _decided(team)
    notify = next(t for t in workflow_for("penalty", "general").transitions if t.code == "notify")
    form = TransitionForm(transition=notify, matter=matter, viewer=team.officer)
    assert "disputed" not in form.fields  # 通化's list asks no such question
    team.agency.policy_pack = "pingdingshan-hitech"
    team.agency.save(update_fields=["policy_pack"])
    form = TransitionForm(transition=notify, matter=matter, viewer=team.officer)
    assert "直接送达、公告送达方式送达且可能引发争议" in form.fields["disputed"].label
