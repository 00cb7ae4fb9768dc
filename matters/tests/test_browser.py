"""Whole cases through the pages in a real headless Chromium, 通化 pack: a general-procedure
penalty case (检查 and referral, 立案, 勘验, 呈批, 告知, 陈述申辩, 听证, 决定, 留置送达, 缴纳, 结案) and a 查封扣押,
each with the refusal first (shown in Chinese with its article; the matter does not move)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from zhifa.tests.browsing import logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FMT = "%Y-%m-%dT%H:%M"


def _local(moment) -> str:
    return timezone.localtime(moment).strftime(FMT)


class Desk:
    """One member of staff at a browser, logged in."""

    def __init__(self, browser, base, user):
        self.base = base
        self.page = logged_in_page(browser, base, user)
        self.context = self.page.context

    def open(self, path: str) -> str:
        self.page.goto(f"{self.base}{path}")
        return self.page.content()

    def step(self, matter_id, code, fields=None, *, service=None, records=(), officers=None, at=None):
        """Open the matter, fill the step's form as a person would, submit; the resulting page's text.
        `at` backdates the step (entered afterwards from the paper file, with that reason)."""
        page = self.page
        page.goto(f"{self.base}/matters/{matter_id}/")
        page.click(f"#t-{code} > summary")
        fields = dict(fields or {})
        if at is not None:
            fields.update(occurred_at=_local(at), late_reason="据纸质执法文书事后录入")
        self._fill(code, fields)
        if service:
            page.select_option(f"#id_{code}-service_method", service.pop("method"))
            shown = page.locator(f"#t-{code} .requirements li:visible").all_inner_texts()
            assert len(shown) == 1  # the chosen way's requirements only
            self._fill(code, {f"service_{k}": v for k, v in service.items()})
        for record in records:
            page.check(f"input[name='{code}-records'][value='{record.pk}']")
        if officers is not None:
            wanted = {str(o.pk) for o in officers}
            for box in page.locator(f"input[name='{code}-officers']").all():
                box.set_checked(box.get_attribute("value") in wanted)
        with page.expect_navigation():
            page.click(f"#go-{code}")
        return page.inner_text("main")

    def _fill(self, code, fields):
        for name, value in fields.items():
            selector = f"#id_{code}-{name}"
            if self.page.eval_on_selector(selector, "e => e.tagName") == "SELECT":
                self.page.select_option(selector, str(value))
            else:
                self.page.fill(selector, str(value))

    def state(self) -> str:
        return self.page.inner_text("#matter-state")


def _open_matter(desk, team, kind, title):
    page = desk.page
    page.goto(f"{desk.base}/matters/new/")
    page.select_option("#id_kind", kind)
    page.fill("#id_title", title)
    page.select_option("#id_party", str(team.party.pk))
    for officer in (team.officer, team.partner):
        page.check(f"input[name='officers'][value='{officer.pk}']")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    match = re.search(r"/matters/(\d+)/$", page.url)
    assert match, page.url
    assert title in page.inner_text("h1")
    return int(match.group(1))


def test_a_general_procedure_penalty_case_through_the_pages(browser, live_server, team):
    from ledger.models import Event
    from matters.models import Matter, Service, Signature

    now = timezone.now()

    def ago(days):
        return now - timedelta(days=days)

    officer = Desk(browser, live_server.url, team.officer)
    chief = Desk(browser, live_server.url, team.chief)
    leader = Desk(browser, live_server.url, team.leader)
    pair = [team.officer, team.partner]
    # The recordings and scanned receipts are real files in the vault (as the camera dock files them).
    examination_clip, hearing_clip, service_clip = (
        team.clip("现场勘验录像"), team.clip("听证录像"), team.clip("留置送达录像")
    )
    notice_receipt, hearing_receipt, decision_receipt = (
        team.scan("告知书送达回执"), team.scan("听证通知书送达回执"), team.scan("决定书送达回执")
    )

    # The inspection finds the hazard, orders it rectified, finds it not rectified and refers it.
    insp = _open_matter(officer, team, "inspection", "东兴化工年度检查")
    officer.step(insp, "plan", {"place": "厂区", "time": _local(ago(28)), "facts": "储罐区安全警示标志"}, at=ago(28))
    inspect = {"place": "储罐区", "time": _local(ago(27)), "findings": "储罐区未设置安全警示标志",
               "hazards": "储罐区未设置安全警示标志"}
    text = officer.step(insp, "inspect", inspect, officers=pair, at=ago(27))
    assert "必须有音像记录" in text and "第六条" in text and "已制定检查方案" in officer.state()
    officer.step(insp, "inspect", inspect, officers=pair, records=[team.clip("现场检查录像")], at=ago(27))
    served = {"method": "direct", "recipient": "王某", "signer": "王某"}
    officer.step(insp, "order_rectification", {"basis": "安全生产法第三十五条",
                                               "rectify_by": timezone.localdate(ago(20)).isoformat()},
                 at=ago(27), service={**served, "served_at": _local(ago(27)), "receipt": team.scan("整改指令书回执").pk})
    officer.step(insp, "reinspect", {"time": _local(ago(19)), "rectified": "no", "result": "逾期未整改"},
                 officers=pair, records=[team.clip("复查录像")],
                 at=ago(19), service={**served, "served_at": _local(ago(19)), "receipt": team.scan("复查意见书回执").pk})
    chief.step(insp, "refer", {"reason": "逾期未整改，移交立案查处"})
    assert "移交立案查处" in chief.state()

    mid = _open_matter(officer, team, "penalty", "东兴化工未设置安全警示标志")
    officer.step(mid, "request_filing", {"facts": "储罐区未设置安全警示标志", "basis": "安全生产法第九十九条"}, at=ago(18))
    text = leader.step(mid, "approve_filing", {"opinion": "同意立案"}, at=ago(18))  # 通化 001 第九条: 局主要负责人
    assert "已立案调查" in leader.state()

    examine = {"time": _local(ago(17)), "place": "储罐区", "findings": "储罐区未设置警示标志"}
    text = officer.step(mid, "examine", examine, officers=pair, at=ago(17))
    assert "必须有音像记录" in text and "第十一条" in text
    assert "已立案调查" in officer.state() and Matter.objects.get(pk=mid).steps.count() == 2
    text = officer.step(mid, "examine", examine, officers=pair, records=[examination_clip], at=ago(17))
    assert "已办理“现场勘验”" in text and "现场勘验录像" in text

    officer.step(mid, "propose", {"facts": "储罐区未设置安全警示标志", "basis": "安全生产法第九十九条第（一）项",
                                  "decision": "罚款人民币二万元", "amount": "20000"}, at=ago(16))
    leader.step(mid, "approve_proposal", {"opinion": "同意"}, at=ago(16))
    text = officer.step(
        mid, "notify", {"rights": "陈述、申辩、要求听证"},
        service={"method": "direct", "recipient": "王某", "served_at": _local(ago(14)), "signer": "王某",
                 "receipt": notice_receipt.pk},
        at=ago(14),
    )
    assert "已告知" in officer.state() and "罚告" in text
    officer.step(mid, "record_defence", {"time": _local(ago(13)), "defence": "请求从轻",
                                         "adopted": "不予采纳：违法事实清楚"}, at=ago(13))
    officer.step(mid, "request_hearing", {"requested_on": timezone.localdate(ago(13)).isoformat()}, at=ago(13))

    hearing = {"hearing_place": "局三楼听证室", "presider": "孙法制"}
    served = {"method": "direct", "recipient": "王某", "served_at": _local(ago(12)), "signer": "王某",
              "receipt": hearing_receipt.pk}
    text = officer.step(mid, "notify_hearing", {**hearing, "hearing_at": _local(ago(10))}, service=dict(served),
                        at=ago(12))
    assert "前送达当事人" in text and "第六十四条" in text and "已申请听证" in officer.state()
    officer.step(mid, "notify_hearing", {**hearing, "hearing_at": _local(ago(1))}, service=dict(served), at=ago(12))
    officer.step(mid, "hold_hearing", {"participants": "王某、李执法、张执法", "defence": "当事人陈述意见"},
                 officers=pair, records=[hearing_clip], at=ago(1))
    decision = {"facts": "储罐区未设置安全警示标志", "basis": "安全生产法第九十九条第（一）项",
                "decision": "罚款人民币二万元", "amount": "20000", "payment": "十五日内缴纳"}
    # Decided after a hearing: legal review first (行政处罚法第五十八条第一款第（二）项), though 通化 lists nothing.
    text = leader.step(mid, "decide", dict(decision))
    assert "经过听证程序" in text and "尚未送法制审核" in text and "已听证" in leader.state()
    # The review itself is clicked through under every pack in zhifa/tests/test_packs_browser.py.
    from review.tests.helpers import pass_review

    type(team.reviewer).objects.filter(pk=team.reviewer.pk).update(legal_qualification="A20152101000123")
    team.reviewer.refresh_from_db()
    pass_review(Matter.objects.get(pk=mid), submitter=team.chief, reviewer=team.reviewer, leader=team.leader)
    text = leader.step(mid, "decide", dict(decision))
    assert "已作出决定" in leader.state() and "罚决" in text

    left = {"method": "left", "recipient": "王某", "served_at": _local(timezone.now()),
            "place": "公司办公室", "refusal_reason": "当事人拒绝签收", "receipt": decision_receipt.pk,
            "av": service_clip.pk}
    text = officer.step(mid, "serve", service=dict(left))
    assert "留置送达须留存" in text and "见证人" in text and "第二十条" in text
    assert "已作出决定" in officer.state() and not Service.objects.filter(method="left").exists()
    text = officer.step(mid, "serve", service={**left, "witness": "社区干部刘某"})
    assert "决定书已送达" in officer.state() and "见证人：社区干部刘某" in text

    # The party refused to sign the decision: recorded with the witness.
    decision = Matter.objects.get(pk=mid).instruments.get(type="penalty_decision")
    page = officer.page
    page.click(f"#sign-{decision.pk} > summary")
    box = f"#sign-{decision.pk}"
    page.fill(f"{box} input[name=name]", "王某")
    page.fill(f"{box} input[name=signed_on]", timezone.localdate().isoformat())
    page.check(f"{box} input[name=refused]")
    page.fill(f"{box} input[name=refusal_reason]", "拒绝在决定书上签名")
    page.fill(f"{box} input[name=witness]", "社区干部刘某")
    with page.expect_navigation():
        page.click(f"{box} button[type=submit]")
    assert Signature.objects.get(instrument=decision).refused

    officer.step(mid, "pay", {"amount": "20000", "paid_on": timezone.localdate().isoformat()})
    text = leader.step(mid, "close", {"result": "罚款已全额缴纳", "opinion": "同意结案"})  # 001 第二十三条
    assert "已结案" in leader.state()
    matter = Matter.objects.get(pk=mid)
    assert matter.state == "closed" and [s.transition for s in matter.steps.all()] == [
        "request_filing", "approve_filing", "examine", "propose", "approve_proposal", "notify", "record_defence",
        "request_hearing", "notify_hearing", "hold_hearing", "decide", "serve", "pay", "close",
    ]
    timeline = officer.open(f"/matters/{mid}/")
    for title in ("勘验笔录", "行政处罚告知书", "听证笔录", "行政处罚决定书", "结案审批表", "拒绝签名", decision.number):
        assert title in timeline, title
    # The decision's PDF comes from the vault through its download view (the read is logged there).
    with officer.page.expect_download() as download:
        officer.page.locator(f"#instrument-{decision.pk} button", has_text="下载PDF").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    assert Event.objects.filter(kind="record.download", subject_id=str(decision.pdf_id), actor=team.officer).exists()
    for context in (officer, chief, leader):
        context.context.close()


def test_a_seizure_case_through_the_pages(browser, live_server, team):
    from matters.models import Matter

    officer = Desk(browser, live_server.url, team.officer)
    chief = Desk(browser, live_server.url, team.chief)
    pair = [team.officer, team.partner]
    clip, receipt, release_receipt = team.clip("查封现场录像"), team.scan("查封决定书回执"), team.scan("解除决定书回执")

    mid = _open_matter(officer, team, "compulsion", "查封东兴化工不符合标准的储罐")
    seal = {"reason": "储罐存在重大事故隐患", "basis": "安全生产法第六十五条", "items": "储罐 2 个"}
    service = {"method": "direct", "recipient": "王某", "served_at": _local(timezone.now()),
               "signer": "王某", "receipt": receipt.pk}
    text = officer.step(mid, "seal", seal, service=dict(service), officers=[team.officer], records=[clip])
    assert "不少于2名" in text and "登记" in officer.state()
    text = officer.step(mid, "seal", seal, service=dict(service), officers=pair)
    assert "必须有音像记录" in text and "第十三条" in text
    text = officer.step(mid, "seal", seal, service=dict(service), officers=pair, records=[clip])
    assert "强制措施实施中" in officer.state() and "查封扣押决定书" in text
    assert "查封、扣押期限" in officer.page.inner_text("#deadlines")

    workbench = officer.open("/matters/workbench/")
    assert "查封东兴化工不符合标准的储罐" in workbench and "查封、扣押期限" in workbench

    chief.step(mid, "release", {"reason": "隐患已消除", "items": "储罐 2 个"}, officers=pair,
               service={**service, "receipt": release_receipt.pk})
    chief.step(mid, "close", {"result": "已解除查封"})
    assert "已结案" in chief.state()
    assert Matter.objects.get(pk=mid).state == "closed"
    for context in (officer, chief):
        context.context.close()
