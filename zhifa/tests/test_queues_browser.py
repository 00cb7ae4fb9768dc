"""From the home queue to the work, in a real headless Chromium, by clicking only: the chief
approves a filing from 待我审批; the reviewer goes from 待审核 to the opinion."""

from datetime import date

import pytest

from review import services
from review.tests.helpers import complete_submission, make_matter
from zhifa.tests.browsing import logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _desk(browser, base, user):
    return logged_in_page(browser, base, user)


def test_chief_approves_from_the_queue_and_reviewer_reaches_the_opinion(browser, live_server, agency, section,
                                                                       make_staff):
    from matters.models import Matter
    from review.models import LegalReview

    officer = make_staff("officer", certificate=True)
    chief = make_staff("section_chief", certificate=True)
    reviewer = make_staff("legal_reviewer", legal_qualification="A20231234567")
    filing = make_matter(agency, section, officer, state="filing")
    filing.title = "待立案审批的案件"
    filing.save(update_fields=["title"])
    in_scope = make_matter(agency, section, officer, amount="10000")
    review = services.review_submit(matter=in_scope, acting_user=chief, **complete_submission(in_scope))

    page = _desk(browser, live_server.url, chief)
    queue = page.locator("#queue-mattersapprove")
    assert queue.locator("[data-count]").inner_text() == "1"
    with page.expect_navigation():
        queue.get_by_text("待立案审批的案件").click()
    page.click("#t-approve_filing > summary")
    page.fill("#id_approve_filing-opinion", "同意立案")
    with page.expect_navigation():
        page.click("#go-approve_filing")
    assert "已立案调查" in page.inner_text("#matter-state")
    assert Matter.objects.get(pk=filing.pk).state == "filed"

    page = _desk(browser, live_server.url, reviewer)
    queue = page.locator("#queue-reviewconduct")
    assert queue.locator("[data-count]").inner_text() == "1"
    with page.expect_navigation():
        queue.locator("a", has_text=in_scope.title).click()
    page.select_option("#id_reviewer", str(reviewer.pk))
    page.check("#id_first")
    with page.expect_navigation():
        page.click("button:has-text('指派')")
    with page.expect_navigation():
        page.click("text=填写审核内容并出具意见")
    for select in page.locator("select[name^='finding_']").all():
        select.select_option("pass")
    page.select_option("#id_outcome", "agree")
    page.fill("#id_opinion", "事实清楚，证据确凿，同意。")
    page.fill("#id_meeting_on", date.today().isoformat())
    page.fill("#id_meeting_minutes", "科务会研究同意。")
    with page.expect_navigation():
        page.click("button:has-text('出具审核意见书')")
    assert "已出具法制审核意见书" in page.inner_text("main")
    assert LegalReview.objects.get(pk=review.pk).state == "opinion"
