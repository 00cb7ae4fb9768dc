"""The archivist seals a case file from the 待归档 queue in a real headless Chromium, by clicking."""

import pytest

from archive.models import CaseFile
from matters.selectors import matter_deadlines
from zhifa.tests.browsing import logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_archivist_seals_a_file_from_the_queue(browser, live_server, desk):
    matter = desk.close_inspection("储罐区专项检查")
    case_file = CaseFile.objects.get(matter=matter)
    page = logged_in_page(browser, live_server.url, desk.archivist)
    assert "待归档案卷 1 卷" in page.inner_text("main")
    with page.expect_navigation():
        page.click("#archive-due")
    assert "储罐区专项检查" in page.inner_text("main")
    with page.expect_navigation():
        page.click(f"text={case_file.code}")
    text = page.inner_text("main")
    assert "卷内目录" in text and "现场检查方案" in text and "结案审批表" in text
    # 抚顺's pack sets no retention: without one the seal is refused in Chinese and nothing changes
    with page.expect_navigation():
        page.click("#seal button[type=submit]")
    assert "请选择保管期限" in page.inner_text("main")
    case_file.refresh_from_db()
    assert case_file.state == "open"
    page.select_option("#id_retention", "10")
    page.fill("#id_remarks", "材料齐全，页码连续")
    with page.expect_navigation():
        page.click("#seal button[type=submit]")
    text = page.inner_text("main")
    assert "已归档，保管期限10年" in text and "四性检测" in text and "通过" in text
    case_file.refresh_from_db()
    assert case_file.state == "sealed" and case_file.sealed_by == desk.archivist
    assert next(r for r in matter_deadlines(matter) if r.rule_key == "archive.deadline_after_closing").met
    with page.expect_navigation():
        page.click("text=待归档")
    assert "没有待归档的案卷" in page.inner_text("main")
    page.context.close()
