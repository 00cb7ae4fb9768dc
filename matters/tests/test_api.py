"""Whole cases through /api/v1/: an inspection referred for a case, the general-procedure penalty
(通化 pack: AV for 检查, 勘验, 听证 and 留置送达) and a 查封扣押, each refusal first (with its
article, nothing changed), then the step."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from matters.models import Matter, Service, Signature, Step

pytestmark = pytest.mark.django_db


def _iso(moment):
    return timezone.localtime(moment).isoformat(timespec="minutes")


class Api:
    """A logged-in API client for one member of staff."""

    def __init__(self, client, user):
        self.client, self.user = client, user

    def _as(self):
        self.client.force_login(self.user)
        return self.client

    def get(self, url, **params):
        return self._as().get(url, params)

    def post(self, url, body):
        return self._as().post(url, body, content_type="application/json")

    def step(self, matter_id, code, expect=201, at=None, **body):
        if at is not None:  # entered afterwards from the paper file
            body.update(occurred_at=_iso(at), late_reason="据纸质执法文书事后录入")
        response = self.post(reverse("api-matter-transition", kwargs={"pk": matter_id, "code": code}), body)
        assert response.status_code == expect, (code, response.status_code, response.json())
        return response.json()


def _refused_and_unchanged(api, matter_id, code, body, *fragments):
    """The step is refused with a Chinese message naming its rule, and nothing was written."""
    before = (Step.objects.count(), Service.objects.count(), Event.objects.count())
    state = Matter.objects.get(pk=matter_id).state
    detail = api.step(matter_id, code, expect=400, **body)["detail"]
    for fragment in fragments:
        assert fragment in detail, (fragment, detail)
    # Nothing happens, and nothing is logged: a refused step is no read of the matter.
    after = (Step.objects.count(), Service.objects.count())
    assert after == before[:2]
    assert Matter.objects.get(pk=matter_id).state == state
    assert not Event.objects.filter(index__gt=before[2]).exists()
    return detail


def _review_through_api(client, team, mid):
    """The decision's legal review through the review API: submitted, assigned, agreed, approved."""
    from review.tests.helpers import checklist_all_pass, complete_submission

    type(team.reviewer).objects.filter(pk=team.reviewer.pk).update(legal_qualification="A20152101000123")  # 第五十八条第二款
    team.reviewer.refresh_from_db()
    chief, reviewer, leader = Api(client, team.chief), Api(client, team.reviewer), Api(client, team.leader)
    matter = Matter.objects.get(pk=mid)
    submitted = chief.post(reverse("api-review-submit"), {"matter": mid, **complete_submission(matter)})
    assert submitted.status_code == 201, submitted.json()
    rid = submitted.json()["id"]
    assigned = reviewer.post(reverse("api-review-assign", kwargs={"pk": rid}), {"reviewer": team.reviewer.pk, "first": True})
    assert assigned.status_code == 200, assigned.json()
    opinion = reviewer.post(reverse("api-review-opinion", kwargs={"pk": rid}), {
        "findings": checklist_all_pass(matter), "outcome": "agree", "opinion": "事实清楚，同意作出决定。",
        "meeting_on": timezone.localdate().isoformat(), "meeting_participants": "法制审核人员",
        "meeting_minutes": "集体研究同意。",
    })
    assert opinion.status_code == 200, opinion.json()
    approved = leader.post(reverse("api-review-decide", kwargs={"pk": rid}), {"decision": "approve"})
    assert approved.status_code == 200, approved.json()


def test_general_procedure_penalty_case_from_inspection_to_closing(client, team):
    officer, chief, leader = Api(client, team.officer), Api(client, team.chief), Api(client, team.leader)
    pair = [team.officer.pk, team.partner.pk]
    now = timezone.now()

    def ago(days):
        return now - timedelta(days=days)

    # The inspection that finds the hazard, orders it rectified, finds it not rectified and refers it.
    insp = officer.post(
        reverse("api-matters"), {"kind": "inspection", "title": "东兴化工年度检查", "party": team.party.pk,
                                 "officers": pair},
    ).json()["id"]
    officer.step(insp, "plan", data={"place": "厂区", "time": _iso(ago(28)), "facts": "储罐区安全警示标志"}, at=ago(28))
    inspect = {"data": {"place": "储罐区", "time": _iso(ago(27)), "findings": "储罐区未设置安全警示标志",
                        "hazards": "储罐区未设置安全警示标志"}, "officers": pair,
               "occurred_at": _iso(ago(27)), "late_reason": "据纸质执法文书事后录入"}
    detail = _refused_and_unchanged(officer, insp, "inspect", inspect, "必须有音像记录")
    assert "第六条" in detail
    officer.step(insp, "inspect", **inspect, records=[team.clip("现场检查录像").pk])
    served = {"method": "direct", "recipient": "王某", "signer": "王某"}
    officer.step(insp, "order_rectification", data={"basis": "安全生产法第三十五条",
                                                    "rectify_by": timezone.localdate(ago(20)).isoformat()},
                 at=ago(27), service={**served, "served_at": _iso(ago(27)), "receipt": team.scan("整改指令书回执").pk})
    officer.step(insp, "reinspect", data={"time": _iso(ago(19)), "rectified": "no", "result": "逾期未整改"},
                 officers=pair, records=[team.clip("复查录像").pk],
                 at=ago(19), service={**served, "served_at": _iso(ago(19)), "receipt": team.scan("复查意见书回执").pk})
    chief.step(insp, "refer", data={"reason": "逾期未整改，移交立案查处"})
    assert Matter.objects.get(pk=insp).state == "referred"

    opened = officer.post(
        reverse("api-matters"),
        {"kind": "penalty", "title": "东兴化工未按规定设置安全警示标志", "party": team.party.pk, "officers": pair},
    )
    assert opened.status_code == 201, opened.json()
    mid = opened.json()["id"]
    assert opened.json()["state"] == "registered" and opened.json()["state_label"] == "登记"

    # Deciding before 告知 is refused: the state does not allow it.
    detail = leader.step(mid, "decide", expect=400, data={"facts": "x", "basis": "y", "decision": "z"})["detail"]
    assert "不能办理“作出行政处罚决定”" in detail

    officer.step(mid, "request_filing", data={"facts": "未在储罐区设置安全警示标志", "basis": "安全生产法第九十九条"}, at=ago(18))
    leader.step(mid, "approve_filing", data={"opinion": "同意立案"}, at=ago(18))  # 通化 001 第九条

    # Inspection on site (现场勘验): two officers and a recording, 通化 实施办法 第十一条.
    examine = {"data": {"time": _iso(ago(17)), "place": "储罐区", "findings": "储罐区未设置警示标志"},
               "occurred_at": _iso(ago(17)), "late_reason": "据纸质执法文书事后录入"}
    detail = _refused_and_unchanged(
        officer, mid, "examine", {**examine, "officers": [team.officer.pk]}, "不少于2名"
    )
    detail = _refused_and_unchanged(officer, mid, "examine", {**examine, "officers": pair}, "必须有音像记录")
    assert "第十一条" in detail
    clip = team.clip("现场勘验录像")
    step = officer.step(mid, "examine", **examine, officers=pair, records=[clip.pk])
    assert clip.pk in step["records"] and {o["id"] for o in step["officers"]} == set(pair)

    officer.step(
        mid,
        "propose",
        data={
            "facts": "未在储罐区设置安全警示标志",
            "basis": "安全生产法第九十九条第（一）项",
            "decision": "罚款人民币二万元",
            "amount": "20000",
        },
        at=ago(16),
    )
    leader.step(mid, "approve_proposal", data={"opinion": "同意"}, at=ago(16))
    receipt = team.scan("告知书送达回执")
    officer.step(
        mid,
        "notify",
        data={"rights": "陈述、申辩、要求听证"},
        service={"method": "direct", "recipient": "王某", "served_at": _iso(ago(14)), "signer": "王某",
                 "receipt": receipt.pk},
        at=ago(14),
    )
    officer.step(
        mid, "record_defence",
        data={"time": _iso(ago(13)), "defence": "已设置临时标志，请求从轻", "adopted": "不予采纳：违法事实清楚"}, at=ago(13),
    )
    officer.step(mid, "request_hearing", data={"requested_on": timezone.localdate(ago(13)).isoformat()}, at=ago(13))

    # A hearing notice 3 days ahead is refused (行政处罚法第六十四条: 7 days).
    hearing = {"hearing_place": "局三楼会议室", "presider": "孙法制"}
    notice_service = {"method": "direct", "recipient": "王某", "served_at": _iso(ago(12)), "signer": "王某",
                      "receipt": team.scan("听证通知书送达回执").pk}
    detail = _refused_and_unchanged(
        officer, mid, "notify_hearing",
        {"data": {**hearing, "hearing_at": _iso(ago(10))}, "service": notice_service,
         "occurred_at": _iso(ago(12)), "late_reason": "据纸质执法文书事后录入"},
        "前送达当事人", "第六十四条",
    )
    officer.step(mid, "notify_hearing", data={**hearing, "hearing_at": _iso(ago(1))}, service=notice_service,
                 at=ago(12))
    officer.step(
        mid, "hold_hearing", data={"participants": "王某、李执法、张执法", "defence": "当事人陈述意见"},
        officers=pair, records=[team.clip("听证录像").pk], at=ago(1),
    )
    decision = {"facts": "未在储罐区设置安全警示标志", "basis": "安全生产法第九十九条第（一）项",
                "decision": "罚款人民币二万元", "amount": "20000", "payment": "十五日内到指定银行缴纳"}
    # Decided after a hearing: legal review first, though 通化's pack lists nothing (行政处罚法第五十八条第一款第（二）项).
    detail = _refused_and_unchanged(leader, mid, "decide", {"data": decision}, "经过听证程序", "尚未送法制审核")
    _review_through_api(client, team, mid)
    leader.step(mid, "decide", data=decision)

    # 留置送达 without a witness is refused (通化 实施办法 第二十条), then done properly.
    left = {"method": "left", "recipient": "王某", "served_at": _iso(timezone.now()), "place": "公司办公室",
            "refusal_reason": "当事人拒绝签收", "receipt": team.scan("决定书送达回执").pk}
    detail = _refused_and_unchanged(officer, mid, "serve", {"service": left}, "见证人")
    assert "第二十条" in detail
    detail = _refused_and_unchanged(officer, mid, "serve", {"service": {**left, "witness": "社区干部刘某"}},
                                    "音像记录")
    officer.step(mid, "serve", service={**left, "witness": "社区干部刘某", "av": team.clip("留置送达录像").pk})

    officer.step(mid, "pay", data={"amount": "20000", "paid_on": timezone.localdate().isoformat()})
    leader.step(mid, "close", data={"result": "罚款已全额缴纳", "opinion": "同意结案"})  # 001 第二十三条

    body = officer.get(reverse("api-matter", kwargs={"pk": mid})).json()
    assert body["state"] == "closed" and body["closed_at"] and body["fine_amount"] == "20000.00"
    codes = [s["transition"] for s in body["steps"]]
    assert codes == [
        "request_filing", "approve_filing", "examine", "propose", "approve_proposal", "notify", "record_defence",
        "request_hearing", "notify_hearing", "hold_hearing", "decide", "serve", "pay", "close",
    ]
    decision = next(i for i in body["instruments"] if i["type"] == "penalty_decision")
    assert decision["number"] and decision["party_signs"]
    (service,) = decision["services"]
    assert service["method"] == "left" and service["details"]["witness"] == "社区干部刘某"
    assert len(service["records"]) == 2  # the receipt and the recording
    assert [t["code"] for t in body["available_transitions"]] == ["revoke"]  # only a later revocation
    labels = {d["label"] for d in body["deadlines"]}
    assert "立案后作出处罚决定" in labels and "送达行政处罚决定书" in labels
    assert all(d["citation"] for d in body["deadlines"])

    # Signatures: a refusal needs a witness; with one it is recorded.
    url = reverse("api-matter-signature", kwargs={"pk": mid, "instrument": decision["id"]})
    refused = officer.post(url, {"name": "王某", "signed_on": timezone.localdate().isoformat(), "refused": True})
    assert refused.status_code == 400 and "见证" in refused.json()["detail"]
    ok = officer.post(url, {"name": "王某", "signed_on": timezone.localdate().isoformat(), "refused": True,
                            "refusal_reason": "拒绝在决定书上签名", "witness": "社区干部刘某"})
    assert ok.status_code == 201, ok.json()
    assert Signature.objects.get(instrument_id=decision["id"]).witness == "社区干部刘某"

    listed = officer.get(reverse("api-matters"), state="closed").json()
    assert [m["id"] for m in listed["results"]] == [mid] and listed["count"] == 1


def test_seizure_case(client, team):
    officer, chief = Api(client, team.officer), Api(client, team.chief)
    pair = [team.officer.pk, team.partner.pk]
    opened = officer.post(
        reverse("api-matters"),
        {"kind": "compulsion", "title": "查封东兴化工不符合标准的储罐", "party": team.party.pk, "officers": pair},
    )
    mid = opened.json()["id"]
    detail = officer.get(reverse("api-matter", kwargs={"pk": mid})).json()
    seal_row = next(t for t in detail["available_transitions"] if t["code"] == "seal")
    assert seal_row["av_required"] and seal_row["serve"] and "direct" in seal_row["service_requirements"]

    seal = {
        "data": {"reason": "储罐存在重大事故隐患", "basis": "安全生产法第六十五条", "items": "储罐 2 个"},
        "service": {"method": "direct", "recipient": "王某", "served_at": _iso(timezone.now()), "signer": "王某",
                    "receipt": team.scan("查封决定书回执").pk},
    }
    _refused_and_unchanged(officer, mid, "seal", {**seal, "officers": [team.officer.pk]}, "不少于2名")
    detail = _refused_and_unchanged(officer, mid, "seal", {**seal, "officers": pair}, "必须有音像记录")
    assert "第十三条" in detail
    officer.step(mid, "seal", **seal, officers=pair, records=[team.clip("查封现场录像").pk])

    body = officer.get(reverse("api-matter", kwargs={"pk": mid})).json()
    assert body["state"] == "in_force"
    period = next(d for d in body["deadlines"] if d["rule_key"] == "compulsion.seizure_period")
    assert not period["overdue"] and period["citation"]
    workbench = officer.get(reverse("api-matters-workbench")).json()
    assert any(r["matter"] == mid and r["rule_key"] == "compulsion.seizure_period" for r in workbench)

    # Release is for the chief (审批), with two officers present, served on the party.
    refused = officer.step(mid, "release", expect=403, data={"reason": "x", "items": "y"})
    assert "权限" in refused["detail"]
    chief.step(
        mid, "release", data={"reason": "隐患已消除", "items": "储罐 2 个"}, officers=pair,
        service={"method": "direct", "recipient": "王某", "served_at": _iso(timezone.now()), "signer": "王某",
                 "receipt": team.scan("解除决定书回执").pk},
    )
    chief.step(mid, "close", data={"result": "已解除查封"})
    body = officer.get(reverse("api-matter", kwargs={"pk": mid})).json()
    assert body["state"] == "closed"
    assert [i["type"] for i in body["instruments"]][:2] == ["compulsion_decision", "release_decision"]
    assert not any(r["matter"] == mid for r in officer.get(reverse("api-matters-workbench")).json())


def test_workbench_flags_overdue_first(client, team):
    officer = Api(client, team.officer)
    mid = officer.post(reverse("api-matters"), {"kind": "penalty", "title": "逾期未立案"}).json()["id"]
    officer.step(
        mid, "investigate_first", data={"reason": "情况紧急，先行调查"},
        occurred_at=_iso(timezone.now() - timedelta(days=20)), late_reason="据纸质记录补录",
    )
    later = officer.post(reverse("api-matters"), {"kind": "compulsion", "title": "查封期内", "officers": [
        team.officer.pk, team.partner.pk]}).json()["id"]
    officer.step(
        later, "seal", data={"reason": "隐患", "basis": "依据", "items": "物品"},
        officers=[team.officer.pk, team.partner.pk], records=[team.clip("查封录像").pk],
        service={"method": "direct", "recipient": "王某", "served_at": _iso(timezone.now()), "signer": "王某",
                 "receipt": team.scan("回执").pk},
    )
    rows = officer.get(reverse("api-matters-workbench")).json()
    assert rows[0]["matter"] == mid and rows[0]["overdue"] and rows[0]["status"] == "已逾期"
    assert rows[0]["citation"]
    assert any(r["matter"] == later and not r["overdue"] for r in rows)


def test_the_api_refuses_what_the_viewer_may_not_see_or_link(client, team, make_staff):
    from org.tests.factories import SectionFactory

    other_section = SectionFactory(agency=team.agency, name="执法监察二大队")
    stranger = make_staff("officer", certificate=True, section=other_section, username="other")
    officer = Api(client, team.officer)
    mid = officer.post(reverse("api-matters"), {"kind": "penalty", "title": "本科室事项"}).json()["id"]
    outsider = Api(client, stranger)
    assert outsider.get(reverse("api-matter", kwargs={"pk": mid})).status_code == 403
    assert Event.objects.filter(kind="matter.denied").exists()
    # A record of another section cannot be linked by its number.
    theirs = team.clip("二大队录像", by=stranger)
    detail = officer.step(mid, "investigate_first", expect=400, data={"reason": "x"}, records=[theirs.pk])["detail"]
    assert f"#{theirs.pk}" in detail
    assert officer.post(reverse("api-matters"), {"kind": "penalty", "title": "x", "party": 99999}).status_code == 400


def test_a_step_refused_for_the_role_is_logged_as_denied_never_as_a_view(client, team):
    officer = Api(client, team.officer)
    mid = officer.post(reverse("api-matters"), {"kind": "penalty", "title": "本科室事项"}).json()["id"]
    last = Event.objects.order_by("-index").first().index
    response = officer.post(reverse("api-matter-transition", kwargs={"pk": mid, "code": "approve_filing"}), {})
    assert response.status_code == 403 and "负责人" in response.json()["detail"]
    added = list(Event.objects.filter(index__gt=last))
    assert [(e.kind, e.actor_id, e.subject_id) for e in added] == [("matter.denied", team.officer.pk, str(mid))]
    assert "approve_filing" in added[0].data["reason"] or "审批" in added[0].data["reason"]
    # The same from the matter page.
    client.force_login(team.officer)
    page = client.post(reverse("matters:transition", kwargs={"pk": mid, "code": "approve_filing"}), {})
    assert page.status_code == 403
    assert list(Event.objects.filter(index__gt=added[0].index).values_list("kind", flat=True)) == ["matter.denied"]


def test_schema_lists_the_matter_endpoints(client, team):
    paths = Api(client, team.officer).get(reverse("api-schema"), format="json").json()["paths"]
    for path in (
        "/api/v1/matters/",
        "/api/v1/matters/{id}/",
        "/api/v1/matters/{id}/transitions/{code}/",
        "/api/v1/matters/{id}/instruments/{instrument}/signatures/",
        "/api/v1/matters/workbench/",
    ):
        assert path in paths, path


def test_simple_procedure_on_the_spot(client, team):
    """简易程序 through the API: the on-the-spot limit refused with its article, then decided, handed
    over (the payment period starts), paid and closed."""
    officer, leader = Api(client, team.officer), Api(client, team.leader)
    pair = [team.officer.pk, team.partner.pk]
    opened = officer.post(
        reverse("api-matters"),
        {"kind": "penalty", "procedure": "simple", "title": "东兴化工当场处罚", "party": team.party.pk,
         "officers": pair},
    )
    assert opened.status_code == 201, opened.json()
    mid = opened.json()["id"]
    assert opened.json()["state_label"] == "登记"
    decide = {"time": _iso(timezone.now()), "place": "厂区大门", "facts": "未按规定佩戴劳动防护用品",
              "basis": "安全生产法第九十九条", "amount": "3001", "defence": "当事人未提出陈述申辩"}
    detail = _refused_and_unchanged(officer, mid, "decide_on_spot", {"data": decide, "officers": pair},
                                    "超过简易程序", "3000")
    assert "第五十一条" in detail
    officer.step(mid, "decide_on_spot", data={**decide, "amount": "3000"}, officers=pair)
    officer.step(mid, "serve", service={"method": "direct", "recipient": "王某", "served_at": _iso(timezone.now()),
                                        "signer": "王某", "receipt": team.scan("当场处罚决定书回执").pk})
    body = officer.get(reverse("api-matter", kwargs={"pk": mid})).json()
    assert body["state"] == "served"
    assert [i["type"] for i in body["instruments"]] == ["simple_penalty_decision"]
    assert any(d["rule_key"] == "penalty.payment_deadline" for d in body["deadlines"])
    officer.step(mid, "pay", data={"amount": "3000", "paid_on": timezone.localdate().isoformat()})
    leader.step(mid, "close", data={"result": "罚款已缴纳"})
    assert Matter.objects.get(pk=mid).state == "closed"


def test_licensing_from_application_to_service(client, team):
    """行政许可 through the API: accepted (a posted notice needs its receipt), examined by two
    officers, decided by the leader, served and closed."""
    officer, leader, chief = Api(client, team.officer), Api(client, team.leader), Api(client, team.chief)
    pair = [team.officer.pk, team.partner.pk]
    mid = officer.post(
        reverse("api-matters"),
        {"kind": "licensing", "title": "危险化学品经营许可", "party": team.party.pk, "officers": pair},
    ).json()["id"]
    posted = {"method": "post", "recipient": "通化东兴化工有限公司", "served_at": _iso(timezone.now()),
              "tracking_number": "EMS1234567890"}
    _refused_and_unchanged(officer, mid, "accept", {"data": {"facts": "申请危险化学品经营许可"}, "service": posted},
                           "邮寄凭证")
    posted["post_receipt"] = team.scan("付邮凭证").pk
    officer.step(mid, "accept", data={"facts": "申请危险化学品经营许可"}, service=posted)
    _refused_and_unchanged(officer, mid, "examine_application",
                           {"data": {"findings": "符合条件"}, "officers": [team.officer.pk]}, "不少于2名")
    officer.step(mid, "examine_application", data={"findings": "符合条件"}, officers=pair)
    refused = officer.step(mid, "decide", expect=403, data={"facts": "f", "basis": "b", "decision": "准予"})
    assert "权限" in refused["detail"]
    leader.step(mid, "decide", data={"facts": "申请材料齐全", "basis": "危险化学品安全管理条例",
                                     "decision": "准予许可"})
    # served now: the time posted at the start may fall in the minute before the decision was made
    officer.step(mid, "serve", service={**posted, "served_at": _iso(timezone.now()),
                                        "post_receipt": team.scan("决定书付邮凭证").pk})
    chief.step(mid, "close", data={"result": "已送达许可决定"})
    body = officer.get(reverse("api-matter", kwargs={"pk": mid})).json()
    assert body["state"] == "closed"
    assert [i["type"] for i in body["instruments"]] == ["acceptance_notice", "licensing_decision", "closing_approval"]


def test_a_step_shows_its_ledger_leaf_once_the_sequencer_has_integrated_it(client, team, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.ZHIFA_LEDGER_INTEGRATE = "worker"  # production: only the sequencer numbers events
    officer = Api(client, team.officer)
    insp = officer.post(
        reverse("api-matters"), {"kind": "inspection", "title": "东兴化工复查", "party": team.party.pk,
                                 "officers": [team.officer.pk, team.partner.pk]},
    ).json()["id"]
    officer.step(insp, "plan", data={"place": "厂区", "time": _iso(timezone.now()), "facts": "储罐区"})
    step = Step.objects.get(matter_id=insp, transition="plan")
    assert step.event_id and step.event.index is None
    rows = officer.get(reverse("api-matter", kwargs={"pk": insp})).json()["steps"]
    assert [r["event_index"] for r in rows if r["transition"] == "plan"] == [None]
    assert "台账 待入账" in officer._as().get(reverse("matters:detail", args=[insp])).content.decode()

    call_command("ledger", "sequence", stdout=StringIO())
    step.event.refresh_from_db()
    assert step.event.index is not None
    rows = officer.get(reverse("api-matter", kwargs={"pk": insp})).json()["steps"]
    assert [r["event_index"] for r in rows if r["transition"] == "plan"] == [step.event.index]
    assert f"台账 #{step.event.index}" in officer._as().get(reverse("matters:detail", args=[insp])).content.decode()
