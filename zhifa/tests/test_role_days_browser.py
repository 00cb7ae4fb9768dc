"""Each role's whole day in a real headless Chromium, by clicking only (issue 13, "Done when").

After the log-in page nobody types an address: the officer registers an inspection, records the
on-site check with its recording, orders a hazard rectified by a deadline and re-inspects it from
待复查; then a penalty case of 12万元 against a company (in 抚顺's legal-review scope): the officer
opens it, the section chief approves the filing from 待我审批, the officer proposes the fine and
sends it to legal review from the matter page, the reviewer goes from 待审核 to the opinion, the
leader approves and decides from 待我决定, the officer serves the decision from 待送达, the
publisher writes the public summary, reviews and publishes from the queues, and the public finds
the decision on the portal by a part of the company's name. One browser context per person.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from zhifa.tests.browsing import fill_review_submission, log_in, staff_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class Desk:
    """One person at a browser, logged in through the log-in page; everything after is a click."""

    def __init__(self, browser, base, user):
        self.user = user
        self.context = staff_context(browser)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        log_in(self.page, base, user)

    def click(self, selector: str) -> str:
        with self.page.expect_navigation():
            self.page.click(selector)
        return self.page.inner_text("main")

    def home(self) -> None:
        self.click("header.top .brand")

    def from_queue(self, code: str, label: str, *, count: int | None = None) -> str:
        """From the home page, the item of the queue `code` (a slug: "mattersapprove") whose line
        holds `label` (its title or its note)."""
        self.home()
        queue = self.page.locator(f"#queue-{code}")
        if count is not None:
            assert queue.locator("[data-count]").inner_text() == str(count), queue.inner_text()
        with self.page.expect_navigation():
            queue.locator("li", has_text=label).locator("a").first.click()
        return self.page.inner_text("main")

    def fill(self, prefix: str, fields: dict) -> None:
        for name, value in fields.items():
            selector = f"#id_{prefix}{name}"
            if self.page.eval_on_selector(selector, "e => e.tagName") == "SELECT":
                # the option a person reads: its label holds the text (a record: "#12 告知书回执（图片）")
                option = self.page.locator(f"{selector} option", has_text=str(value)).first
                self.page.select_option(selector, option.get_attribute("value"))
            else:
                self.page.fill(selector, str(value))

    def step(self, code: str, fields=None, *, records=(), service=None, refused=False) -> str:
        """On the matter page: open the step's panel, fill it, pick the records by their title."""
        page = self.page
        if page.get_attribute(f"#t-{code}", "open") is None:
            page.click(f"#t-{code} > summary")
        self.fill(f"{code}-", fields or {})
        if service:
            self.fill(f"{code}-service_", service)
        for title in records:
            page.locator(f"#t-{code} label", has_text=title).locator("input").check()
        text = self.click(f"#go-{code}")
        refusal = self.page.locator("#refusal")
        if refused:
            return refusal.inner_text()
        assert refusal.count() == 0, refusal.inner_text()
        return text

    def matter(self, title: str) -> str:
        """The matter page, from the navigation and the list of matters."""
        self.click("header.top nav >> text=执法事项")
        self.click("main h1 >> text=执法事项")
        return self.click(f"main table >> text={title}")

    def state(self) -> str:
        return self.page.inner_text("#matter-state")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(agency, section, make_staff, tmp_path):
    """抚顺's pack; a company; officers with 执法证, their chief, the leader, a legal reviewer, the
    publicity reviewer; recordings and scanned receipts already in the vault (as the camera dock and
    the scanner file them: the officers pick them in the forms)."""
    from types import SimpleNamespace

    from enterprises.services import enterprise_create
    from org.tests.factories import make_uscc
    from records.services import record_ingest
    from records.tests.clips import make_image, make_video

    agency.instrument_prefix = "抚应急"
    agency.save(update_fields=["instrument_prefix"])
    officer = make_staff("officer", certificate=True, name="李执法", username="li")
    team = SimpleNamespace(
        officer=officer,
        partner=make_staff("officer", certificate=True, name="张执法", username="zhang"),
        chief=make_staff("section_chief", "officer", certificate=True, name="赵科长", username="zhao"),
        leader=make_staff("leader", name="钱局长", username="qian"),
        reviewer=make_staff("legal_reviewer", name="孙法制", username="sun", legal_qualification="A20152101000123"),
        publisher=make_staff("legal_reviewer", name="周公示", username="zhou"),
        party=enterprise_create(
            agency=agency, uscc=make_uscc("91210400MA0000001"), name="抚顺东华精细化工有限公司",
            legal_representative="王某", industry="危险化学品",
        ),
    )

    def ingest(path, title):
        return record_ingest(acting_user=officer, section=section, path=path, original_name=path.name, title=title)

    for n, title in enumerate(("现场检查录像", "复查录像", "告知送达录像", "决定送达录像")):
        ingest(make_video(tmp_path / f"clip{n}.mp4", seconds=1, creation_time=timezone.now() - timedelta(hours=3, minutes=n)),
               title)
    for n, title in enumerate(("整改指令书回执", "复查意见书回执", "告知书回执", "决定书回执")):
        ingest(make_image(tmp_path / f"scan{n}.jpg", size=(64 + n, 48)), title)
    return team


def test_the_officer_inspects_orders_rectification_and_reinspects(browser, live_server, people):
    from matters.models import Hazard, Matter

    now = timezone.now()
    officer = Desk(browser, live_server.url, people.officer)
    officer.click("header.top nav >> text=执法事项")
    officer.click("main h1 >> text=登记执法事项")
    page = officer.page
    page.select_option("#id_kind", "inspection")
    page.fill("#id_title", "东华精细化工年度检查")
    page.select_option("#id_party", label=people.party.name)
    for who in (people.officer, people.partner):
        page.locator("label", has_text=who.name).locator("input").check()
    text = officer.click("main button[type=submit]")
    assert "已登记执法事项" in text and "登记" in officer.state()
    inspection = Matter.objects.get(title="东华精细化工年度检查")

    officer.step("plan", {"place": "厂区", "time": _local(now), "facts": "储罐区安全管理"})
    assert "已制定检查方案" in officer.state()
    found = {"place": "储罐区", "time": _local(now - timedelta(minutes=5)), "findings": "储罐区未设置可燃气体报警装置",
             "hazards": "储罐区未设置可燃气体报警装置"}
    officer.step("inspect", found, records=["现场检查录像"])
    assert "已现场检查" in officer.state(), officer.page.inner_text("main")
    rectify_by = timezone.localdate() + timedelta(days=10)
    officer.step("order_rectification", {"basis": "安全生产法第一百零二条", "rectify_by": rectify_by.isoformat()},
                 service={"method": "直接送达", "recipient": "王某", "signer": "王某", "served_at": _local(timezone.now()),
                          "receipt": "整改指令书回执"})
    assert "整改中" in officer.state(), officer.page.inner_text("main")
    hazard = Hazard.objects.get(matter=inspection)
    assert hazard.rectify_by == rectify_by

    # The re-inspection waits in 待复查 on the home page. Before the deadline it follows the party's
    # report: the refusal says so, and the matter page links to the hazard where it is recorded.
    reinspect = {"time": _local(timezone.now()), "rectified": "已按期整改", "result": "报警装置已安装"}
    served = {"method": "直接送达", "recipient": "王某", "signer": "王某", "receipt": "复查意见书回执"}
    officer.from_queue("mattersreinspect", "东华精细化工年度检查", count=1)
    assert officer.page.get_attribute("#t-reinspect", "open") is not None  # the queue opened its form
    text = officer.step("reinspect", reinspect, records=["复查录像"],
                        service={**served, "served_at": _local(timezone.now())}, refused=True)
    assert "当事人报告整改完毕后进行" in text and "整改中" in officer.state()
    officer.click("#matter-hazards >> text=登记整改完毕报告")
    page.fill("#report-form textarea", "已安装可燃气体报警装置并调试")
    assert "已登记当事人的整改完毕报告" in officer.click("#report-form button")
    officer.click("#hazard >> text=东华精细化工年度检查")
    officer.step("reinspect", {**reinspect, "time": _local(timezone.now())}, records=["复查录像"],
                 service={**served, "served_at": _local(timezone.now())})
    assert "已复查" in officer.state()
    assert Hazard.objects.get(pk=hazard.pk).state == "rectified"
    officer.home()
    assert officer.page.locator("#queue-mattersreinspect [data-count]").inner_text() == "0"
    officer.close()


def _open(desk, people, kind: str, title: str) -> None:
    """登记执法事项 from the navigation, as a person does."""
    desk.click("header.top nav >> text=执法事项")
    desk.click("main h1 >> text=登记执法事项")
    page = desk.page
    page.select_option("#id_kind", kind)
    page.fill("#id_title", title)
    page.select_option("#id_party", label=people.party.name)
    for who in (people.officer, people.partner):
        page.locator("label", has_text=who.name).locator("input").check()
    assert "已登记执法事项" in desk.click("main button[type=submit]")


def test_a_reviewed_penalty_case_from_each_desk_to_the_portal(browser, live_server, people, tmp_path):
    from matters.models import Matter
    from publicity.models import Publication
    from records.tests.clips import make_image
    from review.models import LegalReview

    title = "东华精细化工未设置可燃气体报警装置"
    officer = Desk(browser, live_server.url, people.officer)
    chief = Desk(browser, live_server.url, people.chief)
    reviewer = Desk(browser, live_server.url, people.reviewer)
    leader = Desk(browser, live_server.url, people.leader)

    # The officer opens the case and asks for filing; the chief approves it from 待我审批.
    _open(officer, people, "penalty", title)
    officer.step("request_filing", {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项"})
    assert "立案审批中" in officer.state()
    chief.from_queue("mattersapprove", title, count=1)
    chief.step("approve_filing", {"opinion": "同意立案"})
    assert "已立案调查" in chief.state()

    # The officer proposes 12万元: in 抚顺's review scope (organisation, 10万元 and more), which the
    # matter page says at once, with 送法制审核.
    officer.matter(title)
    officer.step("propose", {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项",
                             "decision": "罚款人民币十二万元", "amount": "120000"})
    assert "案件处理呈批中" in officer.state()
    # The next step is not the officer's: its panel names who acts, not "有相应职权的人员".
    assert "此环节须由局领导决定" in officer.page.text_content("#t-approve_proposal")
    assert "法制审核范围" in officer.page.inner_text("#matter-major")
    officer.click("main .notice >> text=送法制审核")
    fill_review_submission(officer.page, situation="违法事实清楚，拟按裁量基准罚款十二万元。", draft="罚款人民币十二万元。")
    text = officer.click("main form button[type=submit]")
    review = LegalReview.objects.get(matter__title=title)
    assert review.state == "reviewing", text

    # The reviewer: 待审核 → assign → the opinion.
    reviewer.from_queue("reviewconduct", title, count=1)
    reviewer.fill("", {"reviewer": people.reviewer.name})
    reviewer.page.check("#id_first")
    reviewer.click("button:has-text('指派')")
    reviewer.click("text=填写审核内容并出具意见")
    for select in reviewer.page.locator("select[name^='finding_']").all():
        select.select_option("pass")
    reviewer.page.select_option("#id_outcome", "agree")
    reviewer.page.fill("#id_opinion", "事实清楚，证据确凿，同意。")
    reviewer.page.fill("#id_meeting_on", timezone.localdate().isoformat())
    reviewer.page.fill("#id_meeting_minutes", "科务会研究同意。")
    assert "已出具法制审核意见书" in reviewer.click("button:has-text('出具审核意见书')")

    # The leader: the review's opinion, then the proposal, from 待我决定.
    leader.from_queue("reviewleader", title, count=1)
    leader.fill("", {"decision": "同意作出决定"})
    leader.page.check("#id_collective")
    leader.page.fill("#id_note", "局领导集体讨论，同意审核意见。")
    leader.click("main form button:has-text('决定')")
    leader.from_queue("mattersdecide", title, count=1)
    leader.step("approve_proposal", {"opinion": "同意"})
    assert "处理意见已批准" in leader.state()

    # The officer serves the 告知书 and records the party's written waiver of a hearing; the leader
    # decides from 待我决定; the officer serves the 决定书 from 待送达.
    officer.matter(title)
    officer.step("notify", {"rights": "陈述、申辩、要求听证"}, records=["告知送达录像"],
                 service={"method": "直接送达", "recipient": "王某", "signer": "王某",
                          "served_at": _local(timezone.now()), "receipt": "告知书回执"})
    assert "已告知" in officer.state()
    officer.step("waive_hearing", {"waived_on": timezone.localdate().isoformat(),
                                   "statement": "本单位放弃听证权利。王某"})
    leader.from_queue("mattersdecide", title, count=1)
    leader.step("decide", {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项",
                           "decision": "罚款人民币十二万元", "amount": "120000", "payment": "银行转账"})
    assert "已作出决定" in leader.state()
    assert "登记送达" in officer.from_queue("mattersserve", title, count=1)
    officer.fill("", {"method": "直接送达", "recipient": "王某", "signer": "王某",
                      "served_at": _local(timezone.now()), "av": "决定送达录像"})
    assert "的送达" in officer.click("#serve-form button[type=submit]")
    assert "决定书已送达" in officer.state()
    # The signed 送达回证 is scanned afterwards and added from the matter page.
    officer.click("main a:has-text('补充送达回证')")
    officer.page.set_input_files("#id_scan", str(make_image(tmp_path / "returned.jpg", size=(80, 60))))
    officer.click("#receipt-form button[type=submit]")
    service = Matter.objects.get(title=title).instruments.get(type="penalty_decision").services.get()
    assert service.receipt is not None
    matter = Matter.objects.get(title=title)
    assert matter.fine_amount == 120000

    # The publisher writes the public summary, reviews it (公示待审查) and publishes it (待发布).
    publisher = Desk(browser, live_server.url, people.publisher)
    publisher.from_queue("publicityreview", "行政处罚", count=1)
    publisher.page.fill("#summary textarea", "未按规定在储罐区设置可燃气体报警装置")
    publisher.click("#summary button[type=submit]")
    publisher.click("main button:has-text('审查通过')")
    publisher.from_queue("publicitypublish", "行政处罚", count=1)
    publisher.click("main button:has-text('发布')")
    publication = Publication.objects.get(source=f"matters.matter:{matter.pk}")
    assert publication.state == "published"

    # The public, from the site root: the portal's decision search finds it by a part of the name.
    public = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = public.new_page()
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.click("#portal-link a")
    with page.expect_navigation():
        page.click("nav >> text=执法决定")
    page.fill("input[name=party]", "精细化工")
    with page.expect_navigation():
        page.click("form.search button[type=submit]")
    table = page.locator("table.list").inner_text()
    assert publication.instrument_number in table and "抚顺东华精细化工有限公司" in table
    with page.expect_navigation():
        page.click("table.list a")
    assert "未按规定在储罐区设置可燃气体报警装置" in page.inner_text("body")
    assert title not in page.inner_text("body")  # the internal title stays internal
    public.close()
    for desk in (officer, chief, reviewer, leader, publisher):
        desk.close()
