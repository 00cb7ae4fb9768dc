"""The archive's and supervision's pages, clicked through once by the people who use them, under
平顶山's pack (the one whose 执法过错 include 停止执法工作, 003 采集第十八条).

The archivist seals a closed inspection and proposes the disposal of an expired file; the leader
finds the list on his home page and approves it; the legal reviewer draws a spot check of
recordings and records the first, evaluates the sealed file, records a 执法过错 that stops an
officer's enforcement work (the chief opening a matter is told why he is not on the list, until
when, and what to do)
and registers a 行政复议 against a decision picked by name.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from supervision.tests.test_challenges import decided  # noqa: F401 — a decided penalty case
from zhifa.tests.test_role_days_browser import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_archive_and_supervision_pages_by_the_people_who_use_them(browser, live_server, desk, decided, make_staff):  # noqa: F811
    from archive.models import CaseFile, Disposal
    from archive.tests.test_destruction import _expired_file
    from supervision.models import Challenge
    from supervision.oversight_models import CaseReview, Fault, SpotCheck

    desk.agency.policy_pack = "pingdingshan-hitech"
    desk.agency.save(update_fields=["policy_pack"])
    reviewer = make_staff("legal_reviewer", name="孙法制", username="sun")
    matter = desk.close_inspection("储罐区专项检查")
    expired, _ = _expired_file(desk, "期满检查")
    today = timezone.localdate().isoformat()
    start = timezone.localdate(timezone.now() - timedelta(hours=2)).isoformat()  # the clips' day, past midnight too

    # The archivist: 待归档 → the file → 检测并归档 (the pack sets the period); then 销毁清册.
    archivist = Desk(browser, live_server.url, desk.archivist)
    archivist.click("header.top nav >> text=档案")
    case_file = CaseFile.objects.get(matter=matter)
    text = archivist.click(f"main >> text={case_file.code}")
    assert "卷内目录" in text
    text = archivist.click("#seal button[type=submit]")
    assert "已归档" in text and "PDF/A-2b" in text, text  # each 文书 kept with its long-term copy
    archivist.click("main >> text=销毁清册")
    archivist.page.locator("main label", has_text=expired.code).locator("input").check()
    archivist.page.fill("#id_reason", "保管期限届满，经鉴定无继续保存价值。")
    assert "已提交局领导审批" in archivist.click("main button:has-text('提交局领导审批')")

    # The leader: the list waits on his home page; he approves it on the register.
    leader = Desk(browser, live_server.url, desk.leader)
    disposal = Disposal.objects.get()
    leader.from_queue("archivedisposals", f"销毁清册 {disposal.pk}", count=1)
    card = leader.page.locator(f"#disposal-{disposal.pk}")
    card.locator("select[name=approve]").select_option("yes")
    card.locator("input[name=note]").fill("同意销毁")
    with leader.page.expect_navigation():
        card.locator("button:has-text('审批')").click()
    assert Disposal.objects.get().state == "approved"
    assert "已批准销毁" in leader.page.inner_text(f"#disposal-{disposal.pk}")

    # The legal reviewer: a spot check of recordings, drawn and answered.
    sun = Desk(browser, live_server.url, reviewer)
    sun.click("header.top nav >> text=执法监督")
    sun.click("main >> text=音像记录抽查")
    sun.click("main >> text=新建抽查")
    sun.fill("", {"title": "本月音像记录抽查", "period_start": start, "period_end": today})
    text = sun.click("main button[type=submit]")
    assert "承诺值" in text, text
    text = sun.click("main button:has-text('抽取')")
    assert "已抽取" in text and "抽取结果一致" in text, text
    answer = sun.page.locator("main form[action*='answer']").first
    for name in ("recorded", "continuous", "handled"):
        answer.locator(f"input[name={name}][value=yes]").check()
    with sun.page.expect_navigation():
        answer.locator("button[type=submit]").click()
    assert SpotCheck.objects.get().items.filter(answered_by=reviewer).count() == 1

    # 案卷评查 of the file just sealed: every scored row at its full marks.
    sun.click("main >> text=案卷评查")
    sun.click(f"main >> text={case_file.code}")
    for box in sun.page.locator("main input[name^='score:']").all():
        box.fill(box.get_attribute("max"))
    sun.page.fill("#id_comment", "案卷材料齐全。")
    sun.click("main button:has-text('提交评查')")
    assert CaseReview.objects.get(case_file=case_file).passed

    # 执法过错 with 停止执法工作 (six months, from today).
    sun.click("main >> text=执法过错")
    sun.click("main >> text=登记执法过错")
    page = sun.page
    page.select_option("#id_officer", label=f"{desk.partner.name}")
    page.fill("#id_facts", "未按规定将执法记录仪拍摄的音像记录移交存储。")
    page.fill("#id_occurred_on", today)
    page.locator("label", has_text="停止执法工作").locator("input").check()
    page.fill("#id_suspension_start", today)
    if page.locator("#id_rectification").count():
        page.fill("#id_rectification", "补充移交音像记录")
        page.fill("#id_rectification_due", today)
    text = sun.click("main button:has-text('登记')")
    fault = Fault.objects.get()
    assert fault.suspension_start and "停止执法工作" in text, text

    # The chief opening a new inspection no longer finds the suspended officer among those he may
    # assign, and the form says why, until when and what to do instead.
    chief = Desk(browser, live_server.url, desk.chief)
    chief.click("header.top nav >> text=执法事项")
    text = chief.click("main h1 >> text=登记执法事项")
    page = chief.page
    assert page.locator("#id_officers label", has_text=desk.partner.name).count() == 0
    assert page.locator("#id_officers label", has_text=desk.officer.name).count() == 1
    assert f"未列出：{desk.partner.name}因{fault.number}" in text and "请改派其他执法人员" in text, text

    # 行政复议 registered against the decision, picked by its name.
    sun.click("header.top nav >> text=执法监督")
    sun.click("main >> text=行政复议、诉讼")
    page = sun.page
    page.select_option("#id_matter", label=f"#{decided.pk} {decided.title}（{desk.party.name}）")
    page.select_option("#id_kind", "reconsideration")
    page.fill("#id_body", "平顶山市人民政府")
    page.fill("#id_filed_on", today)
    assert "行政复议、诉讼已登记" in sun.click("main button:has-text('登记')")
    assert Challenge.objects.get().matter == decided
    for person in (archivist, leader, sun, chief):
        person.close()
