"""The matter pages through Django's test client: workbench, list, opening, the matter page and
its step forms (refusals show the Chinese message and change nothing), signatures, 重大案件."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from matters.models import Matter, Signature, Step
from matters.services import ServiceInput, matter_open, matter_transition

pytestmark = pytest.mark.django_db

FMT = "%Y-%m-%dT%H:%M"


def _local(moment):
    return timezone.localtime(moment).strftime(FMT)


def _post_step(client, matter, code, fields, *, service=None, officers=(), records=(), exemption=None):
    """POST a step form as the page does: fields are prefixed with the transition code."""
    body = {f"{code}-{k}": v for k, v in fields.items()}
    for k, v in (service or {}).items():
        body[f"{code}-service_{k}"] = v
    body[f"{code}-officers"] = [o.pk for o in officers]
    body[f"{code}-records"] = [r.pk for r in records]
    if exemption is not None:
        body[f"{code}-exemption"] = exemption.pk
    return client.post(reverse("matters:transition", kwargs={"pk": matter.pk, "code": code}), body)


def _filed(team):
    matter = matter_open(
        acting_user=team.officer, kind="penalty", title="未设置安全警示标志", party=team.party,
        officers=[team.officer, team.partner],
    )
    matter_transition(acting_user=team.officer, matter=matter, transition="request_filing",
                      data={"facts": "储罐区未设置警示标志", "basis": "安全生产法第九十九条"})
    matter_transition(acting_user=team.leader, matter=matter, transition="approve_filing", data={})
    return matter


def test_open_a_matter_from_the_form(client, team, make_staff):
    make_staff("officer", name="无证人员", username="nocert")
    client.force_login(team.officer)
    page = client.get(reverse("matters:new"))
    body = page.content.decode()
    assert page.status_code == 200 and "通化东兴化工有限公司" in body and "李执法" in body
    assert "无证人员" not in body  # only officers with a valid 执法证 may be assigned
    response = client.post(
        reverse("matters:new"),
        {"kind": "penalty", "procedure": "general", "title": "储罐区未设置警示标志", "party": team.party.pk,
         "officers": [team.officer.pk, team.partner.pk], "confidentiality": "normal"},
    )
    matter = Matter.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("matters:detail", kwargs={"pk": matter.pk})
    assert set(matter.officers.all()) == {team.officer, team.partner} and matter.party_id == team.party.pk
    refused = client.post(
        reverse("matters:new"),
        {"kind": "inspection", "procedure": "simple", "title": "x", "confidentiality": "normal"},
    )
    assert refused.status_code == 200 and "简易程序只适用于行政处罚" in refused.content.decode()
    assert Matter.objects.count() == 1


def test_list_filters(client, team):
    matter_open(acting_user=team.officer, kind="penalty", title="处罚案件甲", party=team.party)
    matter_open(acting_user=team.officer, kind="inspection", title="检查事项乙")
    client.force_login(team.officer)
    body = client.get(reverse("matters:list"), {"kind": "inspection"}).content.decode()
    assert "检查事项乙" in body and "处罚案件甲" not in body
    body = client.get(reverse("matters:list"), {"q": "东兴"}).content.decode()
    assert "处罚案件甲" in body and "检查事项乙" not in body
    body = client.get(reverse("matters:list"), {"state": "registered"}).content.decode()
    assert "处罚案件甲" in body and "检查事项乙" in body


def test_workbench_shows_overdue_flagged_with_article(client, team):
    matter = matter_open(acting_user=team.officer, kind="penalty", title="先行调查逾期", party=team.party)
    matter_transition(acting_user=team.officer, matter=matter, transition="investigate_first",
                      data={"reason": "情况紧急"}, occurred_at=timezone.now() - timedelta(days=20),
                      late_reason="据纸质记录补录")
    client.force_login(team.officer)
    body = client.get(reverse("matters:workbench")).content.decode()
    assert "先行调查逾期" in body and "先行调查取证后补办立案" in body
    assert 'class="overdue"' in body and "已逾期" in body and "第九条" in body
    home = client.get(reverse("home")).content.decode()
    assert reverse("matters:workbench") in home and "已逾期 1 项" in home and "先行调查逾期" in home
    # The step shows when it happened beside when it was recorded, and why it was recorded late.
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    recorded = timezone.localtime(matter.steps.get().acted_at)
    assert f'登记 <span class="recorded-at">{recorded:%Y-%m-%d %H:%M}</span>' in page
    assert "补录原因：据纸质记录补录" in page


def test_a_refused_step_shows_the_article_and_changes_nothing(client, team):
    matter = _filed(team)
    client.force_login(team.officer)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "现场勘验" in page and "必须音像记录" in page and "id_examine-findings" in page
    reads = ("matter.view", "record.list")  # the page shown again is a read, nothing else
    steps, events = Step.objects.count(), Event.objects.exclude(kind__in=reads).count()
    fields = {"time": _local(timezone.now() - timedelta(hours=1)), "place": "储罐区", "findings": "未设置标志"}
    response = _post_step(client, matter, "examine", fields, officers=[team.officer, team.partner])
    body = response.content.decode()
    assert response.status_code == 400 and "必须有音像记录" in body and "第十一条" in body
    assert 'value="储罐区"' in body  # the form keeps what was typed
    assert Step.objects.count() == steps and Event.objects.exclude(kind__in=reads).count() == events

    clip = team.clip("勘验录像")
    response = _post_step(client, matter, "examine", fields, officers=[team.officer, team.partner], records=[clip])
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已办理“现场勘验”" in page and "勘验笔录" in page and "勘验录像" in page
    assert reverse("records:detail", kwargs={"pk": clip.pk}) in page


def test_linked_records_show_their_title_only_to_those_who_may_read_them(client, team, tmp_path):
    from records.services import record_ingest
    from records.tests.clips import make_pdf

    matter = _filed(team)
    secret = record_ingest(
        acting_user=team.officer, section=team.section, path=make_pdf(tmp_path / "s.pdf"), original_name="s.pdf",
        title="涉密厂区图纸", confidentiality="secret",
    ).version.record
    clip = team.clip("勘验录像")
    client.force_login(team.officer)
    fields = {"time": _local(timezone.now() - timedelta(hours=1)), "place": "储罐区", "findings": "未设置标志"}
    response = _post_step(client, matter, "examine", fields, officers=[team.officer, team.partner],
                          records=[clip, secret])
    assert response.status_code == 302
    client.force_login(team.partner)  # handles the matter, but did not file the 涉密 record
    last = Event.objects.order_by("-index").first().index
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "勘验录像" in page and "涉密厂区图纸" not in page and f"#{secret.pk}（无权查看）" in page
    shown = Event.objects.get(index__gt=last, kind="record.list", actor=team.partner)
    assert clip.pk in shown.data["records"] and secret.pk not in shown.data["records"]
    # the number links to the record's page, whose refusal says who approves a 调阅 (and is logged)
    link = reverse("records:detail", kwargs={"pk": secret.pk})
    assert f'<a href="{link}" title="您无权查看该记录，点击了解由谁审批调阅">#{secret.pk}（无权查看）</a>' in page
    refused = client.get(link)
    assert refused.status_code == 403 and "调阅" in refused.content.decode() and "涉密厂区图纸" not in refused.content.decode()
    assert Event.objects.filter(kind="record.denied", subject_id=str(secret.pk), actor=team.partner).exists()


def test_approval_forms_only_for_those_who_may_approve(client, team):
    matter = matter_open(acting_user=team.officer, kind="penalty", title="待审批")
    matter_transition(acting_user=team.officer, matter=matter, transition="request_filing",
                      data={"facts": "事实", "basis": "依据"})
    client.force_login(team.officer)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "立案审批" in page and "go-approve_filing" not in page
    refused = _post_step(client, matter, "approve_filing", {"opinion": "同意"})
    assert refused.status_code == 403 and "权限" in refused.content.decode()
    client.force_login(team.chief)
    refused = _post_step(client, matter, "approve_filing", {"opinion": "同意"})
    assert refused.status_code == 403 and "局主要负责人" in refused.content.decode()  # 通化 001 第九条
    client.force_login(team.leader)
    assert _post_step(client, matter, "approve_filing", {"opinion": "同意"}).status_code == 302
    matter.refresh_from_db()
    assert matter.state == "filed"


def test_service_form_shows_the_packs_requirements_and_refuses_a_left_service_without_witness(client, team):
    matter = _filed(team)
    o, p = team.officer, team.partner
    matter_transition(acting_user=o, matter=matter, transition="propose",
                      data={"facts": "事实", "basis": "依据", "decision": "罚款", "amount": "5000"})
    matter_transition(acting_user=team.leader, matter=matter, transition="approve_proposal", data={})
    client.force_login(o)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert 'data-method="left"' in page and "留置送达须留存：送达回执（扫描件）、拒收事由、见证人、送达过程的音像记录" in page
    receipt, clip = team.scan("告知书回执"), team.clip("留置送达录像")
    service = {"method": "left", "recipient": "王某", "served_at": _local(timezone.now()),
               "refusal_reason": "拒收", "receipt": receipt.pk, "av": clip.pk}
    response = _post_step(client, matter, "notify", {}, service=service, officers=[o, p])
    body = response.content.decode()
    assert response.status_code == 400 and "见证人" in body and "第二十条" in body
    matter.refresh_from_db()
    assert matter.state == "approved"
    response = _post_step(client, matter, "notify", {}, service={**service, "witness": "刘某"}, officers=[o, p])
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "留置送达" in page and "见证人：刘某" in page and "当事人申请听证期限" in page


def test_documents_download_through_the_vault_and_signatures_are_recorded(client, team):
    matter = _filed(team)
    o = team.officer
    matter_transition(acting_user=o, matter=matter, transition="propose",
                      data={"facts": "事实", "basis": "依据", "decision": "罚款", "amount": "5000"})
    matter_transition(acting_user=team.leader, matter=matter, transition="approve_proposal", data={})
    step = matter_transition(
        acting_user=o, matter=matter, transition="notify", data={},
        service=ServiceInput("direct", "王某", timezone.now(), signer="王某",
                             receipt=team.scan("回执")),
    )
    notice = step.instruments.get()
    client.force_login(o)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert notice.number and notice.number in page
    # The rendered files are in the vault; downloading them goes through its view and is logged there.
    for record_id in (notice.docx_id, notice.pdf_id):
        url = reverse("records:download", kwargs={"pk": record_id, "number": 1})
        assert url in page
        response = client.post(url, {"purpose": f"办理执法事项#{matter.pk}"})
        assert response.status_code == 200 and b"".join(response.streaming_content)[:4] in (b"%PDF", b"PK\x03\x04")
        assert Event.objects.filter(kind="record.download", subject_id=str(record_id)).exists()

    sign = reverse("matters:sign", kwargs={"pk": matter.pk, "instrument": notice.pk})
    assert sign in page
    today = timezone.localdate().isoformat()
    response = client.post(sign, {"role": "party", "name": "王某", "signed_on": today, "refused": "on",
                                  "refusal_reason": "拒绝签名"})
    assert response.status_code == 302 and not Signature.objects.exists()
    followed = client.get(response["Location"]).content.decode()
    assert "见证" in followed
    client.post(sign, {"role": "party", "name": "王某", "signed_on": today, "refused": "on",
                       "refusal_reason": "拒绝签名", "witness": "刘某"})
    signature = Signature.objects.get()
    assert signature.refused and signature.witness == "刘某"
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "拒绝签名" in page and "见证人：刘某" in page


def test_mark_major_is_for_reviewers_chiefs_and_leaders(client, team):
    matter = matter_open(acting_user=team.officer, kind="penalty", title="拟吊销许可证")
    url = reverse("matters:major", kwargs={"pk": matter.pk})
    client.force_login(team.officer)
    assert "认定为重大案件" not in client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    client.post(url, {"reason": "拟吊销"})
    matter.refresh_from_db()
    assert not matter.major
    client.force_login(team.reviewer)
    assert "认定为重大案件" in client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    client.post(url, {"reason": "拟吊销安全生产许可证"})
    matter.refresh_from_db()
    assert matter.major and matter.major_reason == "拟吊销安全生产许可证"


def test_step_panels_say_who_acts_instead_of_a_form_that_would_be_refused(client, team, make_staff):
    """Not only approvals: a step of the matter's officers shows another officer of the section who
    handles it and what to do, with no form; the matter's officers and the section chief get the form."""
    matter = _filed(team)
    outsider = make_staff("officer", certificate=True, name="周执法", username="zhou")
    client.force_login(outsider)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "现场勘验" in page and "id_examine-findings" not in page and 'id="go-examine"' not in page
    assert "只有承办本事项的执法人员（李执法、张执法）" in page and "请由承办人员办理" in page
    steps = Step.objects.count()
    refused = _post_step(client, matter, "examine", {"place": "储罐区", "findings": "未设置标志"})
    assert refused.status_code == 403 and "李执法、张执法" in refused.content.decode()
    assert Step.objects.count() == steps
    for handler in (team.partner, team.chief):
        client.force_login(handler)
        page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
        assert "id_examine-findings" in page and "请由承办人员办理" not in page


def test_another_sections_officer_is_refused_and_the_refusal_logged(client, team, make_staff):
    from org.tests.factories import SectionFactory

    other = make_staff("officer", certificate=True, section=SectionFactory(agency=team.agency, name="二大队"),
                       username="other")
    matter = matter_open(acting_user=team.officer, kind="penalty", title="本科室案件")
    client.force_login(other)
    response = client.get(reverse("matters:detail", kwargs={"pk": matter.pk}))
    assert response.status_code == 403 and "无权查看" in response.content.decode()
    assert Event.objects.filter(kind="matter.denied", actor=other).exists()
    assert client.get(reverse("matters:detail", kwargs={"pk": 99999})).status_code == 404


def test_the_demo_agency_has_a_populated_workbench(client):
    from zhifa.demo import demo_load

    agency = demo_load()
    client.force_login(agency.staff.get(username="officer1"))
    body = client.get(reverse("matters:workbench")).content.decode()
    assert "有限空间作业未经审批" in body and "已逾期" in body and "粉尘清扫制度未落实" in body
    assert "年度执法检查" in client.get(reverse("matters:list")).content.decode()


def test_an_exemption_chosen_on_the_form_stands_in_for_the_recording(client, team):
    from policy.selectors import agency_rules
    from records.services import exemption_record

    matter = _filed(team)
    reason = agency_rules(team.agency).value("av.exemption_reasons")[0]
    exemption = exemption_record(
        acting_user=team.officer, reason=reason, details="储罐区为防爆区域，执法记录仪不防爆",
        occurred_at=timezone.now() - timedelta(hours=1),
    )
    client.force_login(team.officer)
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "储罐区为防爆区域" in page  # offered in the step's exemption choice
    fields = {"time": _local(timezone.now() - timedelta(hours=1)), "place": "储罐区", "findings": "未设置标志"}
    response = _post_step(client, matter, "examine", fields, officers=[team.officer, team.partner],
                          exemption=exemption)
    assert response.status_code == 302
    step = Step.objects.get(matter=matter, transition="examine")
    assert step.exemption == exemption
    page = client.get(response["Location"]).content.decode()
    assert "不适宜音像记录：" in page and reason in page


def test_deadlines_show_their_article_and_the_provisional_flag(client, team):
    from django.contrib.contenttypes.models import ContentType

    from policy.models import Deadline

    matter = _filed(team)
    deadline = Deadline.objects.get(
        subject_type=ContentType.objects.get_for_model(Matter), subject_id=str(matter.pk),
        rule_key="penalty.decision_deadline",
    )
    client.force_login(team.officer)
    for url in (reverse("matters:detail", kwargs={"pk": matter.pk}), reverse("matters:workbench")):
        body = client.get(url).content.decode()
        row = body[body.index("立案后作出处罚决定"):]
        row = row[: row.index("</tr>")]
        assert timezone.localtime(deadline.due).strftime("%Y-%m-%d") in row and "第六十条" in row
        assert ("暂定" in row) == deadline.provisional


def test_a_malformed_form_names_the_field(client, team):
    matter = _filed(team)
    client.force_login(team.officer)
    response = _post_step(client, matter, "propose", {"facts": "事实", "basis": "依据", "decision": "罚款",
                                                      "amount": "两万"})
    assert response.status_code == 400 and "罚款数额（元）：" in response.content.decode()
    matter.refresh_from_db()
    assert matter.state == "filed"


def test_a_signed_page_scan_goes_into_the_vault(client, team, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from records.tests.clips import make_image

    matter = matter_open(acting_user=team.officer, kind="penalty", title="询问", party=team.party,
                         officers=[team.officer, team.partner])
    matter_transition(acting_user=team.officer, matter=matter, transition="investigate_first", data={"reason": "紧急"})
    step = matter_transition(
        acting_user=team.officer, matter=matter, transition="interview", officers=[team.officer, team.partner],
        data={"time": timezone.now() - timedelta(hours=1), "place": "办案场所", "interviewee": "王某",
              "questions": "是否设置警示标志"},
    )
    record = step.instruments.get()
    scan = make_image(tmp_path / "签名页.jpg")
    client.force_login(team.officer)
    response = client.post(
        reverse("matters:sign", kwargs={"pk": matter.pk, "instrument": record.pk}),
        {"role": "party", "name": "王某", "signed_on": timezone.localdate().isoformat(),
         "scan": SimpleUploadedFile("签名页.jpg", scan.read_bytes(), content_type="image/jpeg")},
    )
    assert response.status_code == 302
    signature = Signature.objects.get(instrument=record)
    assert not signature.refused and signature.scan is not None
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert reverse("records:detail", kwargs={"pk": signature.scan_id}) in page


def test_simple_procedure_through_the_pages(client, team):
    """Opened on the form as 简易程序; the page offers 当场处罚 and refuses a fine over the limit on
    the form, then decides and hands the decision over."""
    client.force_login(team.officer)
    client.post(
        reverse("matters:new"),
        {"kind": "penalty", "procedure": "simple", "title": "当场处罚", "party": team.party.pk,
         "officers": [team.officer.pk, team.partner.pk], "confidentiality": "normal"},
    )
    matter = Matter.objects.get()
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "行政处罚（简易程序）" in page and "当场作出行政处罚决定" in page
    fields = {"time": _local(timezone.now()), "place": "厂区大门", "facts": "未佩戴防护用品",
              "basis": "安全生产法第九十九条", "amount": "5000", "defence": "无"}
    pair = [team.officer, team.partner]
    refused = _post_step(client, matter, "decide_on_spot", fields, officers=pair)
    assert refused.status_code == 400 and "超过简易程序" in refused.content.decode()
    assert not Step.objects.filter(matter=matter).exists()
    done = _post_step(client, matter, "decide_on_spot", {**fields, "amount": "1000"}, officers=pair)
    assert done.status_code == 302
    receipt = team.scan("回执")
    served = _post_step(client, matter, "serve", {}, service={
        "method": "direct", "recipient": "王某", "served_at": _local(timezone.now()), "signer": "王某",
        "receipt": receipt.pk})
    assert served.status_code == 302, served.content.decode()[-2000:]
    matter.refresh_from_db()
    assert matter.state == "served"
    page = client.get(reverse("matters:detail", kwargs={"pk": matter.pk})).content.decode()
    assert "当场行政处罚决定书" in page and "缴纳罚款" in page
