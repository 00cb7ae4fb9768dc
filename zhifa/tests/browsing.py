"""What every browser walk does the same way: a person's own browser context (Chinese locale, Beijing
time), logged in through the log-in page as a person would; a click that waits for the next page;
the legal-review submission form filled from the case file."""


def staff_context(browser, **options):
    """A fresh browser context as staff use it: zh-CN, Asia/Shanghai."""
    return browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)


def log_in(page, base: str, user) -> None:
    """Log `user` in through the log-in page (the factories' password); the page is then the home page."""
    from org.tests.factories import PASSWORD

    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    click(page, "button[type=submit]")


def logged_in_page(browser, base: str, user):
    """A new staff context for `user`, logged in; returns its page."""
    page = staff_context(browser).new_page()
    log_in(page, base, user)
    return page


def click(page, selector: str) -> None:
    """Click something that leads to another page, and wait for it."""
    with page.expect_navigation():
        page.click(selector)


def fill_review_submission(page, *, situation: str, draft: str, records=()) -> None:
    """The legal-review submission form (review_submit's page): every application text filled; the
    matter's `records` (by title) ticked in the first material's list; every other required material
    pointed at the case file; the situation and the draft decision."""
    for box in page.locator("main form textarea[name^='app_']").all():
        box.fill("见案卷")
    first = page.locator("main form fieldset.material").first
    for title in records:
        first.locator("label", has_text=title).locator("input").check()
    for n, row in enumerate(page.locator("main form p:has(input[name^='mat_'])").all()):
        if "如有" not in row.inner_text() and not (records and n == 0):
            row.locator("input").fill("见案卷第1-12页")
    page.fill("#id_situation", situation)
    page.fill("#id_draft_decision", draft)
