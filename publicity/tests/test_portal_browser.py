"""The portal in a real headless Chromium, on a phone-sized screen: the search page finds a
published decision (masked) and not a draft, a certificate number is checked on the spot, the
flowcharts are drawn, and no request leaves the site (no outside assets)."""

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_portal_on_a_phone(browser, live_server):
    from org.tests.factories import AgencyFactory, CertificateFactory, SectionFactory, StaffFactory
    from publicity.tests.helpers import PERSON, draft, publish

    agency = AgencyFactory(name="抚顺市应急管理局（测试）")
    section = SectionFactory(agency=agency, name="执法监察一大队")
    officer = StaffFactory(agency=agency, section=section, roles=("officer",), name="张执法")
    certificate = CertificateFactory(staff=officer, number="21040091234")
    reviewer = StaffFactory(agency=agency, section=section, roles=("legal_reviewer",))
    publish(draft(agency, officer, party=PERSON, instrument_number="抚应急罚〔2026〕31号"), reviewer)
    draft(agency, officer, instrument_number="抚应急罚〔2026〕32号")  # never reviewed

    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    outside = []
    host = urlparse(live_server.url).netloc
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).netloc != host else None)

    page.goto(f"{live_server.url}/public/decisions/")
    assert page.locator("h1").inner_text() == "执法决定查询"
    page.fill("input[name=party]", "王")
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    table = page.locator("table.list").inner_text()
    assert "抚应急罚〔2026〕31号" in table and "王**" in table
    assert "抚应急罚〔2026〕32号" not in page.content()
    # Narrow screen: the table stacks, nothing is wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("table.list a")
    page.wait_for_load_state()
    detail = page.locator("table.decision").inner_text()
    assert PERSON["party_id_number"] not in detail and "2****************4" in detail

    page.goto(f"{live_server.url}/public/officers/")
    page.fill("input[name=number]", certificate.number)
    page.locator("input[name=number]").press("Enter")
    page.wait_for_load_state()
    check = page.locator("#check").inner_text()
    assert "有效" in check and "张执法" in check

    page.goto(f"{live_server.url}/public/procedures/")
    assert page.locator("svg.flow").count() >= 1
    box = page.locator("svg.flow").first.bounding_box()
    assert box["width"] <= 375 and box["height"] > 50
    assert outside == []
    context.close()
