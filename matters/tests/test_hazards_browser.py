"""The hazard register in a real headless Chromium, by clicks only: from the navigation to the
workbench, the register, one overdue hazard, the party's report, the
re-inspection, and the unfixed hazard moved to a new penalty matter."""

from datetime import timedelta

import pytest
from django.utils import timezone

from matters.models import Hazard, Matter
from matters.tests.test_hazards import _inspected, _order
from zhifa.tests.browsing import logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_works_the_register_by_clicking(browser, live_server, team):
    insp = _inspected(team, days=20)
    _order(team, insp, timezone.localdate() - timedelta(days=2))
    hazard = insp.hazards.get()

    page = logged_in_page(browser, live_server.url, team.officer)
    with page.expect_navigation():
        page.click("nav >> text=执法事项")
    with page.expect_navigation():
        page.click("h1 >> text=隐患台账")
    with page.expect_navigation():
        page.click("#hazards >> text=储罐区未设置可燃气体报警装置")
    assert "已逾期" in page.inner_text("#hazard")

    # The report needs what was done: the form will not go without it.
    assert page.get_attribute("#report-form textarea", "required") is not None
    page.fill("#report-form textarea", "已订购报警装置，尚未安装")
    with page.expect_navigation():
        page.click("#report-form button")
    assert "已登记当事人的整改完毕报告" in page.inner_text("main")

    page.select_option("#reinspect-form select", "no")
    page.fill("#reinspect-form textarea", "报警装置仍未安装")
    with page.expect_navigation():
        page.click("#reinspect-form button")
    assert "逾期未整改" in page.inner_text("#hazard")

    with page.expect_navigation():
        page.click("#refer-form button")
    penalty = Matter.objects.get(kind="penalty")
    assert "已将未整改的隐患移交立案查处" in page.inner_text("main")
    assert penalty.title in page.inner_text("main")
    assert Hazard.objects.get(pk=hazard.pk).penalty == penalty
    page.context.close()
