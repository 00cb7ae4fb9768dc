"""A penalty case by clicking only, under each of the five agencies' packs (a rule that works for 抚顺
and is silently ignored elsewhere is a bug).

The officer opens the case and asks for filing; the approver the pack names (the section chief, or
通化's 局主要负责人, 001 第九条) approves it from 待我审批; the officer proposes a fine; the matter page
says whether it is in legal-review scope as the pack decides (抚顺 10万元 and more for an organisation,
余姚 5万元, 平顶山 any fine, 通化 and 抚顺县 none at this amount); where it is, the officer sends it to
法制审核 and the reviewer gives the opinion from 待审核. Decision and service: test_role_days_browser.
"""

import pytest
from django.utils import timezone

from zhifa.tests.browsing import fill_review_submission
from zhifa.tests.test_role_days_browser import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# pack: (fine proposed, the words the matter page shows for its legal-review scope, or None: 否)
PACKS = {
    "fushun-city": ("120000", "达到100000元"),
    "yuyao-city": ("50000", "达到50000元"),
    "pingdingshan-hitech": ("3000", "未规定数额"),
    "tonghua-city": ("200000", None),
    "fushun-county-hrss": ("200000", None),
}


@pytest.fixture
def office(agency, section, make_staff, request):
    from types import SimpleNamespace

    from enterprises.services import enterprise_create
    from org.tests.factories import make_uscc

    agency.policy_pack = request.param
    agency.save(update_fields=["policy_pack"])
    return SimpleNamespace(
        pack=request.param,
        officer=make_staff("officer", certificate=True, name="李执法", username="li"),
        partner=make_staff("officer", certificate=True, name="张执法", username="zhang"),
        chief=make_staff("section_chief", "officer", certificate=True, name="赵科长", username="zhao"),
        leader=make_staff("leader", name="钱局长", username="qian"),
        reviewer=make_staff("legal_reviewer", name="孙法制", username="sun", legal_qualification="A20152101000123"),
        party=enterprise_create(
            agency=agency, uscc=make_uscc("91210400MA0000001"), name="东华精细化工有限公司",
            legal_representative="王某", industry="危险化学品",
        ),
    )


@pytest.mark.parametrize("office", list(PACKS), indirect=True)
def test_a_penalty_case_to_legal_review_under_each_pack(browser, live_server, office):
    from policy.selectors import agency_rules
    from review.models import LegalReview

    fine, scope = PACKS[office.pack]
    title = "东华精细化工未设置可燃气体报警装置"
    leader_steps = {
        r["step"] for r in agency_rules(office.party.agency).value("matters.leader_approval_steps", default=[])
        if r["matter_kind"] == "penalty"
    }
    officer = Desk(browser, live_server.url, office.officer)
    chief = Desk(browser, live_server.url, office.chief)
    desks = [officer, chief]

    officer.click("header.top nav >> text=执法事项")
    officer.click("main h1 >> text=登记执法事项")
    page = officer.page
    page.select_option("#id_kind", "penalty")
    page.fill("#id_title", title)
    page.select_option("#id_party", label=office.party.name)
    for who in (office.officer, office.partner):
        page.locator("label", has_text=who.name).locator("input").check()
    assert "已登记执法事项" in officer.click("main button[type=submit]")
    officer.step("request_filing", {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项"})
    assert "立案审批中" in officer.state()

    if "approve_filing" in leader_steps:
        # 通化: not the chief's to approve; his queue does not hold it and the matter page says who acts.
        chief.home()
        assert title not in chief.page.inner_text("#queue-mattersapprove")
        chief.matter(title)
        assert "局主要负责人" in chief.page.text_content("#t-approve_filing")
        assert chief.page.locator("#go-approve_filing").count() == 0
        approver = Desk(browser, live_server.url, office.leader)
        desks.append(approver)
    else:
        approver = chief
    approver.from_queue("mattersapprove", title, count=1)
    approver.step("approve_filing", {"opinion": "同意立案"})
    assert "已立案调查" in approver.state()

    officer.matter(title)
    officer.step("propose", {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项",
                             "decision": "罚款", "amount": fine})
    assert "案件处理呈批中" in officer.state()
    major = officer.page.inner_text("#matter-major")
    if scope is None:
        assert major == "否", major
        assert officer.page.locator("main .notice >> text=送法制审核").count() == 0
    else:
        assert "法制审核范围" in major and scope in major, major
        officer.click("main .notice >> text=送法制审核")
        fill_review_submission(officer.page, situation="违法事实清楚，拟按裁量基准罚款。", draft="罚款。")
        text = officer.click("main form button[type=submit]")
        review = LegalReview.objects.get(matter__title=title)
        assert review.state == "reviewing", text

        reviewer = Desk(browser, live_server.url, office.reviewer)
        desks.append(reviewer)
        reviewer.from_queue("reviewconduct", title, count=1)
        reviewer.fill("", {"reviewer": office.reviewer.name})
        reviewer.page.check("#id_first")
        reviewer.click("button:has-text('指派')")
        reviewer.click("text=填写审核内容并出具意见")
        form = reviewer.page
        for select in form.locator("select[name^='finding_']").all():
            select.select_option("pass")
        form.select_option("#id_outcome", "agree")
        form.fill("#id_opinion", "事实清楚，证据确凿，同意。")
        if form.locator("#id_meeting_on").count():
            form.fill("#id_meeting_on", timezone.localdate().isoformat())
            form.fill("#id_meeting_minutes", "科务会研究同意。")
        assert "已出具法制审核意见书" in reviewer.click("button:has-text('出具审核意见书')")
        assert LegalReview.objects.get(pk=review.pk).state != "reviewing"
    for desk in desks:
        desk.close()
