"""登记保全 and 登记存储载体 walked by clicking under each of the five agencies' packs, one browser and a
small agency per pack. Each role that uses the forms logs in on the log-in page and clicks from the
home page: the archivist places a hold on a case file found and picked from the list (an empty pick
refused first, nothing saved), sees it on the holds page and releases it, registers a carrier whose
label cites the agency's own rule (or none where its pack sets none), and is refused a second carrier
under the same number; the legal reviewer (no archive menu) reaches the holds page from the top
menu, places a hold and is refused the same hold twice; the leader places one. The section chief,
who sees the holds and carriers but may register neither, is refused by pages that say who acts and
what to do, each refusal a ledger event. Holds rotate their 事由 (复议、诉讼、调阅、投诉) over the
packs, so every role places each kind under some pack."""

import pytest

from archive.choices import HoldKind
from archive.models import Carrier, CaseFile, Hold
from archive.tests.conftest import pack_desk
from ledger.models import Event
from matters.tests.test_agency_packs import plain_pdf  # noqa: F401 — 文书 PDFs in a core font
from org.choices import Role
from policy.selectors import agency_rules
from zhifa.tests.browsing import click, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_pdf")]

PACKS = ("fushun-city", "fushun-county-hrss", "pingdingshan-hitech", "tonghua-city", "yuyao-city")
KINDS = list(HoldKind)


def _world(n: int, pack: str, tmp_path):
    desk = pack_desk(n, pack, tmp_path, mark="MQ", party_name=f"第{n}区东华化工有限公司")
    desk.reviewer = desk.staff(Role.LEGAL_REVIEWER)
    desk.case_file = CaseFile.objects.get(matter=desk.close_inspection(f"第{n}局储罐区专项检查"))
    return desk


def _place(page, kind, reference: str, case_file, *, search: str) -> None:
    """On the 登记保全 form: the 事由 and 案号, the case file found by `search` and picked."""
    page.select_option("#id_kind", kind.value)
    page.fill("#id_reference", reference)
    page.fill("#id_case_file_q", search)
    click(page, "#hold-case-file button[name=find]")
    assert page.input_value("#id_reference") == reference  # 查找 keeps what was filled in
    page.select_option("#id_case_file", str(case_file.pk))
    click(page, "#hold-form button[name=save]")


def _archivist(browser, base, desk, kind):
    case_file = desk.case_file
    page = logged_in_page(browser, base, desk.archivist)
    click(page, "header.top nav a:text-is('档案')")
    click(page, "main a:text-is('保全')")
    click(page, "main a:has-text('登记保全')")
    # nothing found, nothing picked: refused in Chinese, nothing saved
    page.select_option("#id_kind", kind.value)
    page.fill("#id_reference", "〔2026〕第1号")
    page.fill("#id_case_file_q", "没有这个案卷")
    click(page, "#hold-case-file button[name=find]")
    assert "没有找到本单位的案卷（“没有这个案卷”）" in page.inner_text("#hold-case-file")
    click(page, "#hold-form button[name=save]")
    assert "请在列表中查找并选择保全的案卷" in page.inner_text("#hold-case-file")
    assert not Hold.objects.filter(agency=desk.agency).exists()

    _place(page, kind, "〔2026〕第1号", case_file, search="储罐区")
    assert "已登记保全" in page.inner_text("main")
    row = page.locator("main tr", has_text="〔2026〕第1号")
    assert case_file.code in row.inner_text() and kind.label in row.inner_text() and "保全中" in row.inner_text()
    row.locator("input[name=reason]").fill("已办结，无需继续保全")
    click(page, "main tr:has-text('〔2026〕第1号') button:has-text('解除')")
    assert "保全已解除" in page.inner_text("main")
    assert "已办结，无需继续保全" in page.locator("main tr", has_text="〔2026〕第1号").inner_text()
    hold = Hold.objects.get(agency=desk.agency, reference="〔2026〕第1号")
    assert hold.case_file == case_file and hold.kind == kind and hold.released_by == desk.archivist

    # 登记存储载体: the enterprise picked from the register; the label as the agency's pack says
    click(page, "main a:text-is('存储载体')")
    click(page, "main a:has-text('登记载体')")
    page.fill("#id_number", "GP-2026-001")
    page.select_option("#id_kind", "disc")
    page.fill("#id_period", "2026年")
    page.fill("#id_party_q", "东华")
    click(page, "#carrier-party button[name=find]")
    assert page.input_value("#id_number") == "GP-2026-001"
    page.select_option("#id_party", str(desk.party.pk))
    # the 保管期限 follows the case file it holds: the pack's where it sets one, else chosen (not shorter)
    page.fill("#id_case_files_q", "储罐区")
    click(page, "#carrier-case-files button[name=find]")
    page.check(f"#carrier-case-files input[value='{case_file.pk}']")
    retention = agency_rules(desk.agency).get("archive.retention")
    if retention is None:
        assert "本单位政策包未规定保管期限" in page.inner_text("#retention-rule")
        page.select_option("#id_retention", "30")
    else:
        assert retention.cited() in page.inner_text("#retention-rule")
    click(page, "#carrier-form button[name=save]")
    text = page.inner_text("main")
    assert "载体 GP-2026-001 已登记" in text and desk.party.name in text and case_file.code in text
    if retention is None:
        assert "保管期限：30年" in text
    else:  # an inspection is 其他案件 (平顶山 003 附件2 第十二条)
        assert "保管期限：5年" in text and retention.cited("、") in page.inner_text("#retention-basis")
    rule = agency_rules(desk.agency).get("archive.carrier_label_fields")
    label = page.inner_text("#label-rule")
    if rule is not None:
        assert rule.cited() in label
    else:  # another agency's regulation is never cited
        assert "第十八条" not in label and "（" not in label
    # the same number twice: refused, nothing saved
    click(page, "header.top nav a:text-is('档案')")
    click(page, "main a:text-is('存储载体')")
    assert "GP-2026-001" in page.inner_text("main table")
    click(page, "main a:has-text('登记载体')")
    page.fill("#id_number", "GP-2026-001")
    page.fill("#id_period", "2026年")
    click(page, "#carrier-form button[name=save]")
    assert "载体编号“GP-2026-001”已登记" in page.inner_text("main")
    assert Carrier.objects.filter(agency=desk.agency).count() == 1
    page.context.close()


def _reviewer(browser, base, desk, kind):
    page = logged_in_page(browser, base, desk.reviewer)
    click(page, "header.top nav a:text-is('保全')")  # no archive menu: the holds page itself
    click(page, "main a:has-text('登记保全')")
    _place(page, kind, "（2026）行初12号", desk.case_file, search=desk.case_file.code)
    assert "（2026）行初12号" in page.inner_text("main table")
    # the same hold on the same file again: refused, nothing saved
    click(page, "main a:has-text('登记保全')")
    _place(page, kind, "（2026）行初12号", desk.case_file, search=desk.case_file.code)
    assert "已在保全中" in page.inner_text("#hold-form")
    assert Hold.objects.filter(agency=desk.agency, reference="（2026）行初12号").count() == 1
    page.context.close()


def _leader(browser, base, desk, kind):
    page = logged_in_page(browser, base, desk.leader)
    click(page, "header.top nav a:text-is('档案')")
    click(page, "main a:text-is('保全')")
    click(page, "main a:has-text('登记保全')")
    _place(page, kind, "投诉2026-07", desk.case_file, search="专项检查")
    assert "投诉2026-07" in page.inner_text("main table")
    page.context.close()


def _chief(browser, base, desk):
    page = logged_in_page(browser, base, desk.chief)
    click(page, "header.top nav a:text-is('档案')")
    click(page, "main a:text-is('保全')")
    click(page, "main a:has-text('登记保全')")
    text = page.inner_text("main")
    assert "登记保全须由法制审核人员、局领导、档案管理员办理" in text and "告知" in text, text
    assert "本次操作未作任何更改" in text
    click(page, "main a:text-is('返回工作台')")
    click(page, "header.top nav a:text-is('档案')")
    click(page, "main a:text-is('存储载体')")
    click(page, "main a:has-text('登记载体')")
    text = page.inner_text("main")
    assert "存储载体由档案管理员登记和保管" in text and "打印标签" in text, text
    refused = Event.objects.filter(actor=desk.chief, agency=desk.agency)
    assert set(refused.filter(kind__endswith=".denied").values_list("kind", flat=True)) == {
        "hold.denied", "carrier.denied"}
    page.context.close()


def test_holds_and_carriers_by_clicking_under_each_pack(browser, live_server, tmp_path):
    worlds = [_world(n, pack, tmp_path) for n, pack in enumerate(PACKS, start=1)]
    for n, desk in enumerate(worlds):
        kinds = KINDS[n % 4:] + KINDS[:n % 4]
        _archivist(browser, live_server.url, desk, kinds[0])
        _reviewer(browser, live_server.url, desk, kinds[1])
        _leader(browser, live_server.url, desk, kinds[2])
        _chief(browser, live_server.url, desk)
        held = Hold.objects.filter(agency=desk.agency, released_at__isnull=True)
        assert {(h.kind, h.placed_by_id) for h in held} == {(kinds[1], desk.reviewer.pk), (kinds[2], desk.leader.pk)}
        assert Event.objects.filter(agency=desk.agency, kind="hold.place").count() == 3
        assert Event.objects.filter(agency=desk.agency, kind="carrier.register").count() == 1
