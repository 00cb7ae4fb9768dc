"""The legal reviewer records a 执法过错 by clicking: finds the recording and the matter by name, ticks
them, and the fault names them (平顶山's pack: 政策法规 supervises, pds-av-collect 第十六条)."""

import pytest
from django.utils import timezone

from archive.tests.conftest import use_pack
from matters.services import matter_open
from supervision.tests.test_fault_picker import _record
from zhifa.tests.test_role_days_browser import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_legal_reviewer_finds_and_ticks_what_a_fault_concerns(browser, live_server, desk, make_staff):
    from supervision.oversight_models import Fault

    use_pack(desk, "pingdingshan-hitech")
    reviewer = make_staff("legal_reviewer", name="孙法制", username="sun")
    wanted = _record(desk, "储罐区检查录像移交说明")
    _record(desk, "仓库检查笔录")
    matter = matter_open(acting_user=desk.officer, kind="inspection", title="东华化工专项检查", party=desk.party,
                         officers=[desk.officer, desk.partner])
    matter_open(acting_user=desk.officer, kind="inspection", title="例行巡查", party=desk.party,
                officers=[desk.officer, desk.partner])

    sun = Desk(browser, live_server.url, reviewer)
    sun.click("header.top nav >> text=执法监督")
    sun.click("main >> text=执法过错")
    sun.click("main >> text=登记执法过错")
    page = sun.page
    page.select_option("#id_officer", label=desk.partner.name)
    page.fill("#id_facts", "未按规定移交储罐区检查录像。")
    page.fill("#id_occurred_on", timezone.localdate().isoformat())
    page.locator("label", has_text="责令作出书面检查").locator("input").check()
    if page.locator("#id_rectification").count():
        page.fill("#id_rectification", "补充移交音像记录")
        page.fill("#id_rectification_due", timezone.localdate().isoformat())

    records = page.locator("#fault-records")
    page.fill("#id_records_q", "储罐区")
    text = sun.click("#fault-records button:has-text('查找记录')")
    assert "仓库检查笔录" not in records.inner_text() and "储罐区检查录像移交说明" in text
    records.locator("label", has_text="储罐区检查录像移交说明").locator("input").check()
    matters = page.locator("#fault-matters")
    page.fill("#id_matters_q", "专项")
    sun.click("#fault-matters button:has-text('查找事项')")
    assert "例行巡查" not in matters.inner_text()
    matters.locator("label", has_text="东华化工专项检查").locator("input").check()
    # what was filled in and ticked before the second search is still there
    assert records.locator("label", has_text="储罐区检查录像移交说明").locator("input").is_checked()
    assert page.input_value("#id_facts") == "未按规定移交储罐区检查录像。"

    text = sun.click("#fault-form button:has-text('登记')")
    fault = Fault.objects.get()
    assert list(fault.records.all()) == [wanted] and list(fault.matters.all()) == [matter]
    assert fault.number in text and "储罐区检查录像移交说明" in text and "东华化工专项检查" in text, text
    sun.close()
