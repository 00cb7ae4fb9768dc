"""The workflows through their services: whole cases, and each rule refusing with its article."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from enterprises.models import Party
from enterprises.services import enterprise_create
from ledger.models import Event
from matters.models import Instrument, Matter, Service, Step
from matters.selectors import matter_deadlines, workbench
from matters.services import ServiceInput, matter_open, matter_transition
from org.tests.factories import make_uscc
from records.models import Record
from records.services import exemption_record, record_ingest
from records.tests.clips import make_docx, make_video

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)

NOW = timezone.now


@pytest.fixture
def tonghua(agency):
    agency.policy_pack = "tonghua-city"
    agency.instrument_prefix = "通应急"
    agency.save()
    return agency


@pytest.fixture
def team(make_staff):
    return (
        make_staff("officer", certificate=True, name="张三"),
        make_staff("officer", certificate=True, name="李四"),
    )


@pytest.fixture
def chief(make_staff):
    return make_staff("section_chief", "officer", certificate=True, name="王科长")


@pytest.fixture
def leader(make_staff):
    return make_staff("leader", name="赵局长")


@pytest.fixture
def company(agency):
    return enterprise_create(
        agency=agency,
        uscc=make_uscc("91210403MA0000001"),
        name="通化某化工有限公司",
        legal_representative="钱某",
        industry="化工",
    )


@pytest.fixture
def person(agency):
    return Party.objects.create(agency=agency, kind="natural_person", name="孙某", id_number="")


def clip(officer, section, tmp_path, name="勘验.mp4"):
    path = make_video(tmp_path / name, seconds=1, creation_time=NOW() - timedelta(minutes=30), noise=True)
    return record_ingest(acting_user=officer, section=section, path=path, original_name=name).version.record


def scan(officer, section, tmp_path, name="送达回执.docx"):
    path = make_docx(tmp_path / name, text=f"送达回执 {next(_serial)}")
    return record_ingest(acting_user=officer, section=section, path=path, original_name=name).version.record


def step(user, matter, code, data=None, at=None, **kw):
    """Take a step; `at` backdates it (entered afterwards from the paper file, with that reason)."""
    matter.refresh_from_db()
    if at is not None:
        kw.update(occurred_at=at, late_reason="据纸质执法文书事后录入")
    return matter_transition(acting_user=user, matter=matter, transition=code, data=data or {}, **kw)


def refused(fn, *args, **kw) -> str:
    before = (Step.objects.count(), Instrument.objects.count(), Event.objects.count())
    with pytest.raises((ValidationError, PermissionDenied)) as exc:
        fn(*args, **kw)
    assert (Step.objects.count(), Instrument.objects.count(), Event.objects.count()) == before
    e = exc.value
    return " ".join(e.messages) if isinstance(e, ValidationError) else str(e)


def test_a_general_procedure_penalty_case_from_inspection_to_closing(
    tonghua, section, team, chief, leader, company, tmp_path, make_staff
):
    a, b = team
    days_ago = lambda n: NOW() - timedelta(days=n)  # noqa: E731

    # --- inspection finds a hazard that is not rectified, and is referred for a case ---
    insp = matter_open(acting_user=a, kind="inspection", title="例行检查", party=company, officers=[a, b])
    step(a, insp, "plan", {"place": "厂区", "time": days_ago(28), "facts": "危化品储存"}, at=days_ago(28))
    no_av = refused(step, a, insp, "inspect", {"place": "厂区", "time": days_ago(27), "findings": "储罐区"},
                    officers=[a, b], at=days_ago(27))
    assert "必须有音像记录" in no_av and "第六条" in no_av
    video = clip(a, section, tmp_path, "检查.mp4")
    step(a, insp, "inspect", {"place": "厂区", "time": days_ago(27), "findings": "储罐区",
                              "hazards": "储罐区未设置可燃气体报警装置"}, officers=[a, b], records=[video],
         at=days_ago(27))
    assert insp.hazards.get().state == "open"
    step(a, insp, "order_rectification", {"basis": "安全生产法", "rectify_by": (days_ago(20)).date()},
         at=days_ago(27),
         service=ServiceInput("direct", "钱某", days_ago(27), signer="钱某", receipt=scan(a, section, tmp_path)))
    step(a, insp, "reinspect", {"time": days_ago(19), "rectified": "no", "result": "未整改"}, officers=[a, b],
         records=[clip(a, section, tmp_path, "复查.mp4")],
         at=days_ago(19),
         service=ServiceInput("direct", "钱某", days_ago(19), signer="钱某", receipt=scan(a, section, tmp_path)))
    assert "未确认整改" in refused(step, chief, insp, "close", {"result": "未整改"})
    step(chief, insp, "refer", {"reason": "逾期未整改"})
    insp.refresh_from_db()
    assert insp.state == "referred" and insp.closed_at

    # --- the case ---
    case = matter_open(acting_user=a, kind="penalty", title="未设置可燃气体报警装置", party=company, officers=[a, b])
    assert "当前环节为“登记”" in refused(step, leader, case, "decide", {})
    step(a, case, "request_filing", {"facts": "未设置报警装置", "basis": "安全生产法第九十九条"}, at=days_ago(18))
    assert "科室负责人" in refused(step, a, case, "approve_filing", {})
    # 通化 001 第九条: 立案 goes up to the 局主要负责人; a section chief's approval does not end it.
    assert "局主要负责人" in refused(step, chief, case, "approve_filing", {"opinion": "同意立案"}, at=days_ago(18))
    step(leader, case, "approve_filing", {"opinion": "同意立案"}, at=days_ago(18))
    step(a, case, "interview", {"time": days_ago(17), "place": "执法办案场所", "interviewee": "钱某",
                                "questions": "是否设置报警装置"}, officers=[a, b], at=days_ago(17))
    assert "不少于2名" in refused(step, a, case, "examine", {"time": days_ago(17), "place": "储罐区",
                                                          "findings": "无报警装置"}, officers=[a],
                                  records=[clip(a, section, tmp_path)], at=days_ago(17))
    step(a, case, "examine", {"time": days_ago(17), "place": "储罐区", "findings": "无报警装置"},
         officers=[a, b], records=[clip(a, section, tmp_path)], at=days_ago(17))
    step(a, case, "propose", {"facts": "未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项",
                              "decision": "罚款", "amount": "30000"}, at=days_ago(16))
    assert "局领导" in refused(step, chief, case, "approve_proposal", {})
    step(leader, case, "approve_proposal", {"opinion": "同意"}, at=days_ago(16))
    step(a, case, "notify", {}, service=ServiceInput("direct", "钱某", days_ago(14), signer="钱某",
                                                     receipt=scan(a, section, tmp_path)), at=days_ago(14))
    step(a, case, "request_hearing", {"requested_on": days_ago(13).date()}, at=days_ago(13))
    notice = dict(service=ServiceInput("direct", "钱某", days_ago(12), signer="钱某",
                                        receipt=scan(a, section, tmp_path)))
    too_soon = refused(step, a, case, "notify_hearing",
                       {"hearing_at": days_ago(10), "hearing_place": "听证室", "presider": "法规科"}, **notice,
                       at=days_ago(12))
    assert "前送达当事人" in too_soon and "第六十四条" in too_soon
    step(a, case, "notify_hearing", {"hearing_at": days_ago(1), "hearing_place": "听证室", "presider": "法规科"},
         **notice, at=days_ago(12))
    step(a, case, "hold_hearing", {"participants": "钱某、张三", "defence": "请求从轻"},
         officers=[a, b], records=[clip(a, section, tmp_path, "听证.mp4")], at=days_ago(1))
    decision = {"facts": "未设置可燃气体报警装置", "basis": "安全生产法第九十九条", "decision": "罚款三万元",
                "amount": "30000"}
    # Decided after a hearing: legal review first, though 通化's pack has no catalogue (行政处罚法第五十八条第一款).
    unreviewed = refused(step, leader, case, "decide", decision)
    assert "经过听证程序" in unreviewed and "尚未送法制审核" in unreviewed, unreviewed
    from review.tests.helpers import pass_review

    reviewer = make_staff("legal_reviewer", name="孙法制", legal_qualification="A20152101000123")
    pass_review(case, submitter=a, reviewer=reviewer, leader=leader)
    step(leader, case, "decide", decision)
    decision = Instrument.objects.get(matter=case, type="penalty_decision")
    assert decision.number == f"通应急罚决〔{decision.issued_at.year}〕1号"

    # 留置送达: refusal reason, witness, the receipt and (通化) a recording are all required
    bare = ServiceInput("left", "钱某", NOW(), place="公司办公室",
                        refusal_reason="拒绝签收", receipt=scan(a, section, tmp_path))
    msg = refused(step, a, case, "serve", {}, service=bare)
    assert "留置送达须留存" in msg and "见证人" in msg and "音像记录" in msg and "第二十条" in msg
    bare.witness = "社区工作人员周某"
    bare.av = clip(a, section, tmp_path, "留置送达.mp4")
    step(a, case, "serve", {}, service=bare)
    service = Service.objects.get(instrument=decision)
    assert service.method == "left" and service.details["witness"] == "社区工作人员周某"

    assert "尚未缴纳" in refused(step, leader, case, "close", {"result": "未缴"})
    assert "少于" in refused(step, a, case, "pay", {"amount": "100", "paid_on": NOW().date()})
    step(a, case, "pay", {"amount": "30000", "paid_on": NOW().date()})
    # 通化 001 第二十三条: 结案 too.
    assert "第二十三条" in refused(step, chief, case, "close", {"result": "罚款已缴清"})
    step(leader, case, "close", {"result": "罚款已缴清"})
    case.refresh_from_db()
    assert case.state == "closed" and case.fine_amount == Decimal("30000")
    kinds = list(Event.objects.filter(subject_type="matters.matter", subject_id=str(case.pk)).values_list("kind", flat=True))
    assert kinds[0] == "matter.open" and kinds[-1] == "matter.close" and "matter.serve" in kinds


def test_a_seizure_case_needs_two_officers_a_recording_and_runs_its_period(
    tonghua, section, team, chief, company, tmp_path
):
    a, b = team
    m = matter_open(acting_user=a, kind="compulsion", title="查封危险物品", party=company, officers=[a, b])
    data = {"reason": "存在重大隐患", "basis": "安全生产法第六十五条", "items": "液氯钢瓶 3个"}
    served = ServiceInput("direct", "钱某", NOW(), signer="钱某", receipt=scan(a, section, tmp_path))
    assert "必须有音像记录" in refused(step, a, m, "seal", data, officers=[a, b], service=served)
    assert "不少于2名" in refused(step, a, m, "seal", data, officers=[a], service=served,
                                  records=[clip(a, section, tmp_path)])
    step(a, m, "seal", data, officers=[a, b], service=served, records=[clip(a, section, tmp_path, "查封.mp4")])
    rows = {r.rule_key: r for r in matter_deadlines(m)}
    period = rows["compulsion.seizure_period"]
    assert not period.met and "第二十五条" in period.citation
    assert any(r.rule_key == "compulsion.seizure_period" for r in workbench(viewer=a))
    served.receipt = scan(a, section, tmp_path)  # each service has its own receipt
    step(chief, m, "extend", {"reason": "情况复杂"}, service=served)
    served.receipt = scan(a, section, tmp_path)
    assert "只能办理一次" in refused(step, chief, m, "extend", {"reason": "再延"}, service=served)
    step(chief, m, "release", {"reason": "隐患已消除", "items": "液氯钢瓶 3个"}, officers=[a, b], service=served)
    step(chief, m, "close", {"result": "已解除"})
    m.refresh_from_db()
    assert m.state == "closed"
    rows = matter_deadlines(m)
    assert all(r.met for r in rows if r.rule_key != "archive.deadline_after_closing")
    # closing starts the archiving deadline, met only when the archivist seals the case file (archive)
    assert not next(r for r in rows if r.rule_key == "archive.deadline_after_closing").met


def test_an_exemption_stands_in_for_the_recording(tonghua, section, team, chief, company, tmp_path):
    a, b = team
    m = matter_open(acting_user=a, kind="penalty", title="勘验", party=company, officers=[a, b])
    step(a, m, "investigate_first", {"reason": "证据可能灭失"})
    exemption = exemption_record(
        acting_user=a, reason="在爆炸危险区域检查而没有符合防爆要求的音像记录设备",
        details="罐区为爆炸危险区域", occurred_at=NOW() - timedelta(hours=1), party=company,
    )
    step(a, m, "examine", {"time": NOW(), "place": "罐区", "findings": "泄漏"}, officers=[a, b], exemption=exemption)
    assert Step.objects.get(matter=m, transition="examine").exemption == exemption


def test_simple_procedure_limits_by_party_kind(agency, team, company, person):
    a, b = team
    m = matter_open(acting_user=a, kind="penalty", procedure="simple", title="当场处罚", party=person, officers=[a, b])
    data = {"time": NOW(), "place": "路口", "facts": "违规", "basis": "某条", "amount": "201", "defence": "无"}
    msg = refused(step, a, m, "decide_on_spot", data, officers=[a, b])
    assert "超过简易程序" in msg and "200" in msg and "公民" in msg
    data["amount"] = "200"
    step(a, m, "decide_on_spot", data, officers=[a, b])
    m2 = matter_open(acting_user=a, kind="penalty", procedure="simple", title="当场处罚", party=company, officers=[a, b])
    step(a, m2, "decide_on_spot", {**data, "amount": "3000"}, officers=[a, b])
    assert Instrument.objects.filter(type="simple_penalty_decision").count() == 2


def test_only_the_handling_officers_act_and_expired_certificates_are_refused(agency, team, make_staff, company):
    a, b = team
    other = make_staff("officer", certificate=True)
    m = matter_open(acting_user=a, kind="penalty", title="案", party=company, officers=[a, b])
    assert "承办本事项" in refused(step, other, m, "request_filing", {"facts": "x", "basis": "y"})
    expired = make_staff("officer")
    from org.tests.factories import CertificateFactory

    CertificateFactory(staff=expired, valid_from=NOW().date() - timedelta(days=800),
                       valid_to=NOW().date() - timedelta(days=1))
    with pytest.raises(ValidationError, match="执法证"):
        matter_open(acting_user=a, kind="penalty", title="案", party=company, officers=[a, expired])
    assert Matter.objects.count() == 1


def test_court_enforcement_needs_a_demand_and_its_period(agency, team, chief, leader, company, tmp_path, section):
    a, b = team
    m = matter_open(acting_user=a, kind="penalty", title="拒不缴纳", party=company, officers=[a, b])
    step(a, m, "request_filing", {"facts": "f", "basis": "b"}, at=NOW() - timedelta(days=29))
    step(chief, m, "approve_filing", {}, at=NOW() - timedelta(days=29))
    step(a, m, "propose", {"facts": "f", "basis": "b", "decision": "罚款", "amount": "5000"},
         at=NOW() - timedelta(days=28))
    step(leader, m, "approve_proposal", {}, at=NOW() - timedelta(days=28))
    sv = lambda when: ServiceInput("direct", "钱某", when, signer="钱某", receipt=scan(a, section, tmp_path),  # noqa: E731
                                   av=clip(a, section, tmp_path))  # 抚顺 设备第四条: on-site service is recorded
    step(a, m, "notify", {}, service=sv(NOW() - timedelta(days=27)), at=NOW() - timedelta(days=27))
    step(leader, m, "decide", {"facts": "f", "basis": "b", "decision": "罚款", "amount": "5000"},
         at=NOW() - timedelta(days=25))
    step(a, m, "serve", {}, service=sv(NOW() - timedelta(days=25)), at=NOW() - timedelta(days=25))
    assert "催告" in refused(step, chief, m, "apply_court", {"reason": "逾期不缴"})
    step(a, m, "demand", {"period": "十日内"}, service=sv(NOW() - timedelta(days=1)), at=NOW() - timedelta(days=1))
    assert "后方可申请" in refused(step, chief, m, "apply_court", {"reason": "逾期不缴"})
    Step.objects.filter(matter=m, transition="demand")  # the demand stands; its period has to run
    from policy.models import Deadline

    Deadline.objects.filter(rule_key="compulsion.demand_period").update(due=NOW() - timedelta(days=1))
    step(chief, m, "apply_court", {"reason": "逾期不缴"})
    step(a, m, "record_court_result", {"result": "法院已执行"})
    step(chief, m, "close", {"result": "强制执行完毕"})


def test_licensing_runs_application_to_service(agency, team, leader, company, section, tmp_path):
    a, b = team
    m = matter_open(acting_user=a, kind="licensing", title="危险化学品经营许可", party=company, officers=[a, b])
    sv = ServiceInput("post", "通化某化工有限公司", NOW(), tracking_number="EMS123")
    assert "邮寄凭证" in refused(step, a, m, "accept", {"facts": "申请经营许可"}, service=sv)
    sv.post_receipt = scan(a, section, tmp_path, "付邮凭证.docx")
    step(a, m, "accept", {"facts": "申请经营许可"}, service=sv)
    step(a, m, "examine_application", {"findings": "符合条件"}, officers=[a, b])
    step(leader, m, "decide", {"facts": "申请", "basis": "条例", "decision": "准予许可"})
    sv.served_at, sv.post_receipt = NOW(), scan(a, section, tmp_path, "付邮凭证2.docx")
    step(a, m, "serve", {}, service=sv)
    m.refresh_from_db()
    assert m.state == "served"
    assert Instrument.objects.filter(matter=m).values_list("type", flat=True).count() == 2


def test_a_major_case_is_decided_only_after_collective_discussion(
    agency, team, chief, leader, company, section, tmp_path, make_staff
):
    from matters.services import matter_mark_major
    from review.tests.helpers import pass_review

    a, b = team
    m = matter_open(acting_user=a, kind="penalty", title="重大案件", party=company, officers=[a, b])
    step(a, m, "request_filing", {"facts": "f", "basis": "b"}, at=NOW() - timedelta(days=21))
    step(chief, m, "approve_filing", {}, at=NOW() - timedelta(days=21))
    assert "说明理由" in refused(matter_mark_major, acting_user=chief, matter=m, reason=" ")
    matter_mark_major(acting_user=chief, matter=m, reason="拟吊销许可证")
    step(a, m, "propose", {"facts": "f", "basis": "b", "decision": "吊销", "measures": ["licence_revocation"]},
         at=NOW() - timedelta(days=21))
    step(leader, m, "approve_proposal", {}, at=NOW() - timedelta(days=21))
    step(a, m, "notify", {}, service=ServiceInput("direct", "钱某", NOW() - timedelta(days=20), signer="钱某",
                                                  receipt=scan(a, section, tmp_path), av=clip(a, section, tmp_path)),
         at=NOW() - timedelta(days=20))
    decide = {"facts": "f", "basis": "b", "decision": "吊销许可证", "measures": ["licence_revocation"]}
    msg = refused(step, leader, m, "decide", decide)
    assert "集体讨论" in msg and "第五十七条" in msg
    step(leader, m, "discuss", {"time": NOW(), "participants": "局领导班子", "discussion": "同意", "conclusion": "吊销"})
    assert "法制审核" in refused(step, leader, m, "decide", decide)  # the review gate (review app)
    pass_review(m, submitter=chief, reviewer=make_staff("legal_reviewer", legal_qualification="A1"), leader=leader,
                collective=True)
    step(leader, m, "decide", decide)
    m.refresh_from_db()
    assert m.state == "decided" and m.measures == ["licence_revocation"]


def test_claimed_times_cannot_be_bent(tonghua, section, team, leader, company, tmp_path):
    a, b = team
    m = matter_open(acting_user=a, kind="penalty", title="时间核对", party=company, officers=[a, b])
    # A time in the future (beyond the pack's clock tolerance) is refused, for the step and its own time fields.
    msg = refused(step, a, m, "request_filing", {"facts": "f", "basis": "b"}, occurred_at=NOW() + timedelta(minutes=5))
    assert "晚于现在" in msg and "第四十七条" in msg
    step(a, m, "request_filing", {"facts": "f", "basis": "b"}, occurred_at=NOW() + timedelta(seconds=20))
    step(leader, m, "approve_filing", {"opinion": "同意"}, at=NOW() + timedelta(seconds=30))  # 通化: the leader files
    msg = refused(step, a, m, "interview", {"time": NOW() + timedelta(hours=2), "place": "办案场所",
                                            "interviewee": "钱某", "questions": "q"}, officers=[a, b])
    assert "时间" in msg and "晚于现在" in msg
    # Before the step it follows: refused, naming that step.
    msg = refused(step, a, m, "interview", {"time": NOW() - timedelta(hours=3), "place": "办案场所",
                                            "interviewee": "钱某", "questions": "q"}, officers=[a, b],
                  occurred_at=NOW() - timedelta(hours=3))
    assert "早于上一环节“立案审批”" in msg
    # Long after the fact: a reason is required, then kept and shown beside the recording time.
    m2 = matter_open(acting_user=a, kind="penalty", title="补录", party=company, officers=[a, b])
    msg = refused(step, a, m2, "investigate_first", {"reason": "紧急"}, occurred_at=NOW() - timedelta(days=3))
    assert "补录原因" in msg and "24小时" in msg
    done = step(a, m2, "investigate_first", {"reason": "紧急"}, at=NOW() - timedelta(days=3))
    assert done.data["late_reason"] == "据纸质执法文书事后录入" and done.acted_at - done.occurred_at > timedelta(days=2)


def test_a_document_is_not_served_before_it_is_issued(tonghua, section, team, leader, company, tmp_path):
    a, b = team
    m = matter_open(acting_user=a, kind="penalty", title="送达时间", party=company, officers=[a, b])
    step(a, m, "request_filing", {"facts": "f", "basis": "b"}, at=NOW() - timedelta(days=5))
    step(leader, m, "approve_filing", {}, at=NOW() - timedelta(days=5))  # 通化: the leader approves filing
    step(a, m, "propose", {"facts": "f", "basis": "b", "decision": "罚款", "amount": "5000"},
         at=NOW() - timedelta(days=4))
    step(leader, m, "approve_proposal", {}, at=NOW() - timedelta(days=4))
    early = ServiceInput("direct", "钱某", NOW() - timedelta(days=3), signer="钱某",
                         receipt=scan(a, section, tmp_path), av=clip(a, section, tmp_path))
    # The 告知书 would be made two days ago but served three days ago.
    msg = refused(step, a, m, "notify", {}, service=early, at=NOW() - timedelta(days=2))
    assert "早于文书制作时间" in msg
    future = ServiceInput("direct", "钱某", NOW() + timedelta(hours=1), signer="钱某",
                          receipt=scan(a, section, tmp_path), av=clip(a, section, tmp_path))
    assert "送达时间" in refused(step, a, m, "notify", {}, service=future)


def test_the_notice_always_carries_the_rights_and_the_decision_lists_the_evidence_in_the_case(
    tonghua, section, team, leader, company, tmp_path
):
    from matters.tests.documents import docx_text

    tonghua.payment_bank, tonghua.payment_account = "中国工商银行通化分行", "0806001109000012345"
    tonghua.save(update_fields=["payment_bank", "payment_account"])
    a, b = team
    m = matter_open(acting_user=a, kind="penalty", title="证据清单", party=company, officers=[a, b])
    step(a, m, "request_filing", {"facts": "f", "basis": "b"}, at=NOW() - timedelta(days=10))
    step(leader, m, "approve_filing", {}, at=NOW() - timedelta(days=10))  # 通化: the leader approves filing
    scene, talk = clip(a, section, tmp_path, "储罐区勘验.mp4"), clip(a, section, tmp_path, "询问钱某.mp4")
    step(a, m, "examine", {"time": NOW() - timedelta(days=9), "place": "储罐区", "findings": "无报警装置"},
         officers=[a, b], records=[scene], at=NOW() - timedelta(days=9))
    step(a, m, "interview", {"time": NOW() - timedelta(days=9), "place": "办案场所", "interviewee": "钱某",
                             "questions": "q"}, officers=[a, b], records=[talk], at=NOW() - timedelta(days=9))
    step(a, m, "propose", {"facts": "未设置报警装置", "basis": "安全生产法第九十九条", "decision": "罚款",
                           "amount": "60000"}, at=NOW() - timedelta(days=8))
    step(leader, m, "approve_proposal", {}, at=NOW() - timedelta(days=8))
    # The officer types only a remark: the statutory rights are still printed, with the pack's periods.
    notice = step(a, m, "notify", {"rights": "如有疑问请致电执法大队"}, at=NOW() - timedelta(days=8),
                  service=ServiceInput("direct", "钱某", NOW() - timedelta(days=8), signer="钱某",
                                       receipt=scan(a, section, tmp_path), av=clip(a, section, tmp_path)))
    text = docx_text(notice.instruments.get().docx)
    assert "有权进行陈述和申辩" in text and "有权要求举行听证" in text and "5个工作日内" in text
    assert "其他告知事项：如有疑问请致电执法大队" in text
    assert a.certificates.get().number in text  # 执法证号 of the handling officers
    step(a, m, "record_defence", {"time": NOW() - timedelta(days=7), "defence": "请求从轻",
                                  "adopted": "不予采纳"}, at=NOW() - timedelta(days=7))
    step(leader, m, "decide", {"facts": "未设置报警装置", "basis": "安全生产法第九十九条", "decision": "罚款",
                               "amount": "60000"})
    decision = Instrument.objects.get(matter=m, type="penalty_decision")
    text = docx_text(decision.docx)
    assert "有现场检查记录、询问笔录等证据为证" not in text
    files = [pk for i in Instrument.objects.filter(matter=m) for pk in (i.docx_id, i.pdf_id)]
    linked = Record.objects.filter(matter_steps__matter=m).exclude(pk__in=files).distinct()
    assert scene in linked and talk in linked
    for record in linked:
        assert f"{record.title}（{record.get_kind_display()}" in text
    assert "询问笔录" in text and "勘验笔录" in text
    assert "请求从轻" in text and "不予采纳" in text  # how the defence was handled
    assert "中国工商银行通化分行" in text and "0806001109000012345" in text
    assert "第七十二条" in text and "加处罚款" in text


def test_a_small_fine_is_notified_without_the_hearing_right(tonghua, section, team, leader, company, tmp_path):
    from matters.tests.documents import docx_text

    a, b = team
    m = matter_open(acting_user=a, kind="penalty", title="小额", party=company, officers=[a, b])
    step(a, m, "request_filing", {"facts": "f", "basis": "b"})
    step(leader, m, "approve_filing", {})  # 通化: the leader approves filing
    step(a, m, "propose", {"facts": "f", "basis": "b", "decision": "罚款", "amount": "2000"})
    step(leader, m, "approve_proposal", {})
    notice = step(a, m, "notify", {"rights": "   "}, service=ServiceInput(
        "direct", "钱某", NOW(), signer="钱某", receipt=scan(a, section, tmp_path), av=clip(a, section, tmp_path)))
    text = docx_text(notice.instruments.get().docx)
    assert "有权进行陈述和申辩" in text and "要求举行听证" not in text


def test_a_receipt_proves_one_service_only(tonghua, section, team, chief, company, tmp_path):
    a, b = team
    m = matter_open(acting_user=a, kind="compulsion", title="回执", party=company, officers=[a, b])
    receipt = scan(a, section, tmp_path)
    served = ServiceInput("direct", "钱某", NOW(), signer="钱某", receipt=receipt)
    step(a, m, "seal", {"reason": "隐患", "basis": "安全生产法第六十五条", "items": "钢瓶"}, officers=[a, b],
         service=served, records=[clip(a, section, tmp_path, "查封.mp4")])
    again = ServiceInput("direct", "钱某", NOW(), signer="钱某", receipt=receipt)
    msg = refused(step, chief, m, "release", {"reason": "已消除", "items": "钢瓶"}, officers=[a, b], service=again)
    assert "只能证明一次送达" in msg and "查封扣押决定书" in msg
