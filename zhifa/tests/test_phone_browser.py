"""Staff pages on a phone (390 × 844): no word split in the navigation or table headers, no narrow
column of one character per line, and nothing wider than the screen except inside a table's own
scrolling box (issue 13 item 10)."""

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# For every element matched: its text's line boxes (distinct tops of the rects of a range over its
# contents), the number of characters, and the element's and its table's layout facts.
LINES = """els => els.map(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  const table = el.closest('table');
  return {text: el.innerText.trim(), lines: tops.size, chars: [...el.innerText.replace(/\\s/g, '')].length,
          scrolls: table ? getComputedStyle(table).overflowX : null};
})"""
OVERFLOW = """() => ({page: document.documentElement.scrollWidth, screen: window.innerWidth,
  wide: [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.right > window.innerWidth + 1 && !el.closest('table');
  }).map(el => el.tagName + '.' + el.className + ': ' + (el.innerText || '').slice(0, 30))})"""


def check_page(page, where: str) -> None:
    nav = page.eval_on_selector_all("header.top nav a, header.top .brand", LINES)
    assert len(nav) > 5, where
    for item in nav:
        assert item["lines"] == 1, f"{where}: nav item “{item['text']}” wraps inside the word"
    for item in page.eval_on_selector_all("main th, main .tag, main .button, main h1 a", LINES):
        assert item["lines"] == 1, f"{where}: “{item['text']}” wraps inside the word"
    for item in page.eval_on_selector_all("main td", LINES):
        # A long cell may wrap, but never down to a column of single characters.
        if item["chars"] >= 4:
            assert item["lines"] * 2 <= item["chars"], (
                f"{where}: cell “{item['text']}” is {item['lines']} lines"
            )
    tables = page.eval_on_selector_all("main table", "els => els.map(t => getComputedStyle(t).overflowX)")
    assert tables and set(tables) == {"auto"}, where  # each table scrolls inside its own box
    overflow = page.evaluate(OVERFLOW)
    assert overflow["page"] <= overflow["screen"], (
        f"{where}: the page is wider than the screen: {overflow['wide']}"
    )


def test_home_matter_list_and_matter_page_fit_a_phone(browser, live_server, agency, section, make_staff):
    from enterprises.models import Party
    from matters.services import matter_open
    from org.tests.factories import PASSWORD, CertificateFactory

    chief = make_staff("section_chief", "officer", certificate=True, name="赵科长")
    officer = make_staff("officer", name="欧阳执法")
    # Expiring soon: the home page lists it in a table.
    CertificateFactory(staff=officer, valid_to=timezone.localdate() + timedelta(days=20))
    party = Party.objects.create(
        agency=agency,
        kind="legal_person",
        name="抚顺市望花区东兴精细化工股份有限公司",
        id_number="91210400MA0000001X",
    )
    matter_open(
        acting_user=chief,
        kind="penalty",
        party=party,
        officers=[chief, officer],
        title="抚顺市望花区东兴精细化工股份有限公司未如实记录安全生产教育和培训情况案",
        facts="经查，当事人未如实记录安全生产教育和培训的时间、内容、参加人员以及考核结果等情况。",
        opened_at=timezone.now(),
    )

    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")  # the only address typed: the login page
        page.fill("#id_username", chief.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "欧阳执法" in page.inner_text("main")
        check_page(page, "工作台")

        with page.expect_navigation():
            page.click("header.top nav a:text-is('执法事项')")
        with page.expect_navigation():
            page.click("main h1 a.button:text-is('执法事项')")
        assert "东兴精细化工" in page.inner_text("main table")
        check_page(page, "执法事项")

        with page.expect_navigation():
            page.click("main table a:has-text('未如实记录')")
        assert "未如实记录" in page.inner_text("h1")
        check_page(page, "执法事项页")
        page.locator("details[id^='t-'] > summary").first.click()  # a step's form, opened
        assert page.locator("details[id^='t-'] button[type=submit]").first.is_visible()
        check_page(page, "环节表单")
    finally:
        context.close()
