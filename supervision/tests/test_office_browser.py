"""办公室 staff on the supervision pages, by clicking only.

Under 抚顺县人社局's pack the office is the supervising body of the agency (supervision.supervisor_role,
fsx 第二十条): it scans, reads the statistics and 行政复议、诉讼, opens, draws and answers an AV spot
check, and reads 案卷评查, 执法过错, the year's evaluation and its reminders. Under 抚顺市's pack the
政策法规科 supervises (fs 第二十条): the office reads its own section's results, and every page where
it cannot act says who does, by which article, and what to do instead — with no form it could submit.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from org.choices import Role
from org.services import agency_provision
from org.tests.factories import CertificateFactory, StaffFactory, make_uscc
from policy.selectors import agency_rules
from records.services import record_ingest
from records.tests.clips import make_video
from supervision.oversight_models import SpotCheck
from zhifa.tests.test_role_days_browser import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _agency(n: int, pack: str, tmp_path):
    agency = agency_provision(
        name=f"第{n}办公室测试局", uscc=make_uscc(f"11210400MR{n:07d}"), jurisdiction=f"第{n}县", policy_pack=pack,
        sections=["办公室", "监察大队"], admin_username=f"oadm{n}", admin_name="管理员", instrument_prefix=f"办{n}",
    )
    office_section, squad = agency.sections.order_by("pk")
    office = StaffFactory(agency=agency, section=office_section, roles=(Role.OFFICE,), name=f"办公室{n}")
    officer = StaffFactory(agency=agency, section=squad, roles=(Role.OFFICER,))
    CertificateFactory(staff=officer)
    clip = make_video(tmp_path / f"clip{n}.mp4", seconds=1, creation_time=timezone.now() - timedelta(hours=1))
    record_ingest(acting_user=officer, section=squad, path=clip, original_name=clip.name, title=f"第{n}局现场检查录像")
    return agency, office


def test_the_office_on_the_supervision_pages_under_two_packs(browser, live_server, tmp_path):
    today = timezone.localdate().isoformat()
    # the period starts on the day of the clips (an hour old: yesterday, just after midnight)
    start = timezone.localdate(timezone.now() - timedelta(hours=2)).isoformat()

    # 抚顺县人社局: the office supervises.
    agency, office = _agency(1, "fushun-county-hrss", tmp_path)
    assert agency_rules(agency).value("supervision.supervisor_role") == Role.OFFICE
    desk = Desk(browser, live_server.url, office)
    text = desk.click("header.top nav >> text=执法监督")
    assert "监督发现" in text and desk.page.locator("#check-refusal").count() == 0
    assert "合规扫描完成" in desk.click("main button:has-text('立即合规扫描')")
    assert "执法统计" in desk.click("main >> text=执法统计")
    assert "行政复议、诉讼" in desk.click("main >> text=行政复议、诉讼")
    desk.click("main >> text=音像记录抽查")
    desk.click("main >> text=新建抽查")
    desk.fill("", {"title": "本月音像记录抽查", "period_start": start, "period_end": today})
    assert "承诺值" in desk.click("main button[type=submit]")
    text = desk.click("main button:has-text('抽取')")
    assert "已抽取" in text and "第1局现场检查录像" in text, text
    answer = desk.page.locator("main form[action*='answer']").first
    for name in ("recorded", "continuous", "handled"):
        answer.locator(f"input[name={name}][value=yes]").check()
    with desk.page.expect_navigation():
        answer.locator("button[type=submit]").click()
    assert SpotCheck.objects.get(agency=agency).items.filter(answered_by=office).count() == 1
    for link in ("案卷评查", "执法过错", "年度考评"):
        desk.click(f"main >> text={link}")
        assert desk.page.locator("#check-refusal").count() == 0, link
    desk.click("header.top a.bell")
    assert desk.page.url.endswith(reverse("supervision:reminders"))
    desk.context.close()

    # 抚顺市应急管理局: the 政策法规科 supervises; the office is told so on each page where it cannot act.
    agency, office = _agency(2, "fushun-city", tmp_path)
    rule = agency_rules(agency).get("supervision.supervisor_role")
    desk = Desk(browser, live_server.url, office)
    desk.click("header.top nav >> text=执法监督")
    for link in ("音像记录抽查", "案卷评查", "执法过错"):
        desk.click(f"main >> text={link}")
        refusal = desk.page.inner_text("#check-refusal")
        assert f"执法监督由{Role(rule.value).label}负责" in refusal and rule.cited("、") in refusal, refusal
        assert "请交由其办理" in refusal  # what to do instead
        assert desk.page.locator("main form[method=post]").count() == 0, link  # nothing it could submit
        assert desk.page.locator("main >> text=新建抽查").count() == 0
        assert desk.page.locator("main >> text=登记执法过错").count() == 0
    desk.context.close()
