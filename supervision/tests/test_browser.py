"""The leader opens the statistics by clicking, in a headless Chromium that may reach no other
host: the charts are drawn, each with its table, and nothing is fetched from outside."""

import pytest

from zhifa.tests.browsing import log_in, staff_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_its_charts_offline(browser, live_server, desk):
    desk.close_inspection("储罐区专项检查", records=[desk.clip("现场检查.mp4")])
    context = staff_context(browser)
    outside = []

    def route(r):
        if r.request.url.startswith(live_server.url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    log_in(page, live_server.url, desk.leader)
    with page.expect_navigation():
        page.click("header >> text=执法监督")
    with page.expect_navigation():
        page.click("text=执法统计")
    assert page.locator("svg.chart").count() >= 9
    box = page.locator("svg.chart").first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 50  # drawn, not an empty element
    assert page.locator("svg.chart rect").count() > 10
    text = page.inner_text("main")
    assert "监督检查" in text and "按时率" in text and desk.section.name in text
    # The report form and the officers' and weak links' tables are on the same page.
    assert "安全生产行政执法统计表" in text and "按执法人员" in text and "薄弱环节" in text
    assert outside == []  # nothing was fetched from another host (each such request was aborted)
    assert requested and all(u.startswith(live_server.url) or u.startswith("data:") for u in requested), requested
    context.close()
