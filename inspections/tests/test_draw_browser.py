"""A section chief draws by clicking only: the preview first (nothing published), then the seed's
commitment, the inputs fixed, the seed revealed; the portal shows each stage as it happens."""

from decimal import Decimal

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preview_commit_fix_reveal_by_clicking(browser, live_server, agency, make_staff):
    from enterprises.services import enterprise_create
    from inspections.models import InspectionDraw
    from inspections.services import item_create
    from org.tests.factories import PASSWORD, make_uscc

    chief = make_staff("section_chief", username="chief")
    for n in range(3):
        make_staff("officer", certificate=True, username=f"o{n}")
    for n, (sector, industry) in enumerate([("industry_trade", "机械"), ("industry_trade", "建材"),
                                            ("non_coal_mine", "非煤矿山")]):  # fmt: skip
        enterprise_create(agency=agency, uscc=make_uscc(f"91210403MA{n:07d}"), name=f"单位{n}{industry}",
                          legal_representative="某", industry=industry, sector=sector)  # fmt: skip
    item_create(agency=agency, acting_user=chief, name="工贸企业安全生产监督检查", basis="《安全生产法》第六十五条",
                target="辖区工贸企业", target_sector="industry_trade", content="主体责任", proportion=Decimal("100"),
                frequency="每年1次", draws_per_year=1, method="现场检查", officers_per_target=2)  # fmt: skip

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", chief.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.click("nav >> text=双随机")
    page.click("text=抽取")
    page.wait_for_load_state()
    assert page.locator("#in-scope").inner_text() == "2"
    assert "非煤矿山" not in page.locator("#preview details").inner_text()
    assert not InspectionDraw.objects.exists()  # a preview stores and publishes nothing
    page.fill("#id_plan", "2026年第一批")
    with page.expect_navigation():
        page.click("button:has-text(\"承诺随机种子\")")
    record = InspectionDraw.objects.get()
    assert page.locator("#seed-sha256").inner_text() == record.seed_sha256
    assert record.seed not in page.content()
    with page.expect_navigation():
        page.click("button:has-text(\"固定抽取输入\")")
    assert "已固定抽取输入" in page.locator("#state").inner_text()
    with page.expect_navigation():
        page.click("button:has-text(\"揭示种子并抽取\")")
    record.refresh_from_db()
    assert page.locator("#seed").inner_text() == record.seed and record.tasks.count() == 2
    with page.expect_navigation():
        page.click("text=公示页面")
    assert "结果一致" in page.content() and "单位2非煤矿山" not in page.content()
    context.close()
