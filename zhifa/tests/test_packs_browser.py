"""A penalty case by clicking only, under each of the five agencies' packs (a rule that works for 抚顺
and is silently ignored elsewhere is a bug).

The officer opens the case and asks for filing; the approver the pack names (the section chief, or
通化's 局主要负责人, 001 第九条) approves it from 待我审批; the officer proposes a fine; the matter page
says whether it is in legal-review scope as the pack decides (抚顺 10万元 and more for an organisation,
余姚 5万元, 平顶山 any fine; 通化 and 抚顺县 have no review catalogue, so the section chief, judging the
case complex, marks it 重大 on the matter page: 行政处罚法第五十八条第一款第（三）项). Under every pack the
officer then sends it to 法制审核, picking the materials by clicking, and the assigned reviewer opens a
picked record and gives the opinion from 待审核. Then the leader approves and decides (抚顺 审核第四条: after
review only once the leaders have discussed it collectively; a case marked 重大 likewise, 行政处罚法第五十七条
第二款); the officer serves the
告知 and records the party's statement with the recordings each pack's list asks (余姚 films it,
平顶山 asks whether it may be disputed); the 决定书 is served electronically, refused without the
party's 送达地址确认书 (行政处罚法第六十一条第二款) and accepted with it; the publisher publishes it within
the pack's deadline; it comes down when the pack's display period ends (抚顺 2 years, 余姚 5), and
where the pack sets none the publisher withdraws it with a public note. 陈述申辩 and the waiver of a
hearing are recorded where the pack makes the decision wait for them (余姚's statement period, the
hearing threshold).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from matters.tests.test_agency_packs import plain_pdf  # noqa: F401 — 文书 PDFs in a core font: the layout is not this test's
from zhifa.tests.browsing import fill_review_submission
from zhifa.tests.test_role_days_browser import Desk, _local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_pdf")]

# pack: (fine proposed, the words the matter page shows for its legal-review scope, or None: 否, and the
# chief marks the case 重大 by hand)
PACKS = {
    "fushun-city": ("120000", "达到100000元"),
    "yuyao-city": ("50000", "达到50000元"),
    "pingdingshan-hitech": ("3000", "未规定数额"),
    "tonghua-city": ("200000", None),
    "fushun-county-hrss": ("200000", None),
}
COMPLEX = "涉及多个违法行为和法律关系，案情复杂，属于行政处罚法第五十八条第一款第（三）项情形。"


@pytest.fixture
def office(agency, section, make_staff, request, tmp_path):
    from types import SimpleNamespace

    from enterprises.services import enterprise_create
    from org.tests.factories import SectionFactory, make_uscc
    from records.services import record_ingest
    from records.tests.clips import make_image, make_video

    agency.policy_pack = request.param
    agency.save(update_fields=["policy_pack"])
    team = SimpleNamespace(
        pack=request.param,
        officer=make_staff("officer", certificate=True, name="李执法", username="li"),
        partner=make_staff("officer", certificate=True, name="张执法", username="zhang"),
        chief=make_staff("section_chief", "officer", certificate=True, name="赵科长", username="zhao"),
        leader=make_staff("leader", name="钱局长", username="qian"),
        reviewer=make_staff("legal_reviewer", name="孙法制", username="sun", legal_qualification="A20152101000123",
                            section=SectionFactory(agency=agency, name="政策法规科")),
        party=enterprise_create(
            agency=agency, uscc=make_uscc("91210400MA0000001"), name="东华精细化工有限公司",
            legal_representative="王某", industry="危险化学品",
        ),
    )
    # The 告知 is served in person, filmed, with a scanned receipt (as the camera dock and the scanner file them).
    # 余姚 films the hearing of the party's statement too (附件1第14行).
    filmed = timezone.now() - timedelta(hours=1)
    for path, title in ((make_video(tmp_path / "notify.mp4", seconds=1, creation_time=filmed), "告知送达录像"),
                        (make_video(tmp_path / "defence.mp4", seconds=1, creation_time=filmed + timedelta(minutes=5)),
                         "陈述申辩录像"),
                        (make_image(tmp_path / "notify.jpg"), "告知书回执"),
                        (make_image(tmp_path / "scene.jpg", size=(66, 50)), "现场检查照片")):
        record_ingest(acting_user=team.officer, section=section, path=path, original_name=path.name, title=title)
    return team


@pytest.mark.parametrize("office", list(PACKS), indirect=True)
def test_a_penalty_case_under_each_pack(browser, live_server, office, tmp_path):
    from ledger.models import Event
    from policy.selectors import agency_rules
    from review.models import LegalReview

    fine, scope = PACKS[office.pack]
    title = "东华精细化工未设置可燃气体报警装置"
    leader_steps = {
        r["step"] for r in agency_rules(office.party.agency).value("matters.leader_approval_steps", default=[])
        if r["matter_kind"] == "penalty"
    }
    officer = Desk(browser, live_server.url, office.officer)
    chief = Desk(browser, live_server.url, office.chief)
    desks = [officer, chief]

    officer.click("header.top nav >> text=执法事项")
    officer.click("main h1 >> text=登记执法事项")
    page = officer.page
    page.select_option("#id_kind", "penalty")
    page.fill("#id_title", title)
    page.select_option("#id_party", label=office.party.name)
    for who in (office.officer, office.partner):
        page.locator("label", has_text=who.name).locator("input").check()
    assert "已登记执法事项" in officer.click("main button[type=submit]")
    officer.step("request_filing", {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项"},
                 records=["现场检查照片"])
    assert "立案审批中" in officer.state()

    if "approve_filing" in leader_steps:
        # 通化: not the chief's to approve; his queue does not hold it and the matter page says who acts.
        chief.home()
        assert title not in chief.page.inner_text("#queue-mattersapprove")
        chief.matter(title)
        assert "局主要负责人" in chief.page.text_content("#t-approve_filing")
        assert chief.page.locator("#go-approve_filing").count() == 0
        approver = Desk(browser, live_server.url, office.leader)
        desks.append(approver)
    else:
        approver = chief
    approver.from_queue("mattersapprove", title, count=1)
    approver.step("approve_filing", {"opinion": "同意立案"})
    assert "已立案调查" in approver.state()

    officer.matter(title)
    officer.step("propose", {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项",
                             "decision": "罚款", "amount": fine})
    assert "案件处理呈批中" in officer.state()
    major = officer.page.inner_text("#matter-major")
    if scope is None:
        # No catalogue entry reaches this fine; the chief reads the proposal, judges the case 疑难复杂 and marks
        # it 重大 on the matter page, which puts it under legal review (行政处罚法第五十八条第一款第（三）项).
        assert major == "否", major
        assert officer.page.locator("main .notice >> text=送法制审核").count() == 0
        chief.matter(title)
        chief.page.click("main details > summary:has-text('认定为重大案件')")
        chief.page.locator("main form[action$='/major/'] textarea").fill(COMPLEX)
        assert "已认定为重大案件" in chief.click("main form[action$='/major/'] button[type=submit]")
        officer.matter(title)
        major = officer.page.inner_text("#matter-major")
        assert "重大" in major and COMPLEX in major, major
    else:
        assert "法制审核范围" in major and scope in major, major
    officer.click("main .notice >> text=送法制审核")
    # The evidence is picked from the matter's records (送审材料, 000 审核制度第五条), not typed.
    fill_review_submission(officer.page, situation="违法事实清楚，拟按裁量基准罚款。", draft="罚款。",
                           records=["现场检查照片"])
    text = officer.click("main form button[type=submit]")
    review = LegalReview.objects.get(matter__title=title)
    assert review.state == "reviewing", text
    picked = review.materials.get(records__isnull=False).records.get()
    assert picked.title == "现场检查照片"

    reviewer = Desk(browser, live_server.url, office.reviewer)
    desks.append(reviewer)
    reviewer.from_queue("reviewconduct", title, count=1)
    reviewer.fill("", {"reviewer": office.reviewer.name})
    reviewer.page.check("#id_first")
    reviewer.click("button:has-text('指派')")
    # The assigned reviewer (政策法规科, not the handling section) opens the picked record: a logged read.
    assert "现场检查照片" in reviewer.click("#materials a:has-text('现场检查照片')")
    view = Event.objects.filter(kind="record.view", subject_id=str(picked.pk), actor_id=office.reviewer.pk).get()
    assert "法制审核送审材料" in view.data["grant"]
    reviewer.from_queue("reviewconduct", title, count=1)
    reviewer.click("text=填写审核内容并出具意见")
    form = reviewer.page
    for select in form.locator("select[name^='finding_']").all():
        select.select_option("pass")
    form.select_option("#id_outcome", "agree")
    form.fill("#id_opinion", "事实清楚，证据确凿，同意。")
    if form.locator("#id_meeting_on").count():
        form.fill("#id_meeting_on", timezone.localdate().isoformat())
        form.fill("#id_meeting_minutes", "科务会研究同意。")
    assert "已出具法制审核意见书" in reviewer.click("button:has-text('出具审核意见书')")
    assert LegalReview.objects.get(pk=review.pk).state != "reviewing"
    _decide_serve_publish(browser, live_server, office, title, fine, desks, tmp_path)
    for desk in desks:
        desk.close()


def _decide_serve_publish(browser, live_server, office, title, fine, desks, tmp_path):
    """The rest of the case: the leader's decision (集体讨论 where the pack asks it), the 决定书 served
    electronically (refused without the party's 送达地址确认书, accepted with it), the publication within
    the pack's deadline and its take-down."""
    from matters.models import Matter
    from policy.calendar import deadline_for
    from policy.selectors import agency_rules
    from publicity.models import Publication
    from publicity.services import publications_expire
    from records.tests.clips import make_image

    rules = agency_rules(office.party.agency)
    officer = desks[0]
    leader = next((d for d in desks if d.user == office.leader), None) or Desk(browser, live_server.url, office.leader)
    if leader not in desks:
        desks.append(leader)
    leader.from_queue("reviewleader", title, count=1)
    leader.fill("", {"decision": "同意作出决定"})
    leader.click("main form button:has-text('决定')")
    leader.from_queue("mattersdecide", title, count=1)
    leader.step("approve_proposal", {"opinion": "同意"})
    assert "处理意见已批准" in leader.state()

    def filmed(desk, code, fields, records=()):
        """平顶山 (003 附件1) asks whether a step may give rise to a dispute: a filmed one may."""
        if desk.page.locator(f"#id_{code}-disputed").count():
            fields = {**fields, "disputed": "是" if records else "否"}
        return fields

    officer.matter(title)
    notice = filmed(officer, "notify", {"rights": "陈述、申辩、要求听证"}, ["告知送达录像"])
    officer.step("notify", notice, records=["告知送达录像"],
                 service={"method": "直接送达", "recipient": "王某", "signer": "王某",
                          "served_at": _local(timezone.now()), "receipt": "告知书回执"})
    assert "已告知" in officer.state()
    if "penalty.defence_period" in rules:
        # 余姚 附件1: no decision before the statement period ends unless the party has been heard.
        defence = filmed(officer, "record_defence", {"time": _local(timezone.now()), "defence": "对事实无异议，请求从轻处罚。",
                                                      "adopted": "不予采纳：已按裁量基准处罚。"}, ["陈述申辩录像"])
        officer.step("record_defence", defence, records=["陈述申辩录像"])
    if Decimal(fine) >= Decimal(str(rules.value("penalty.hearing_fine_threshold"))):
        # 较大数额: no decision within the hearing-request period unless the party waived it in writing.
        officer.step("waive_hearing", {"waived_on": timezone.localdate().isoformat(), "statement": "本单位放弃听证权利。王某"})

    decision = {"facts": "储罐区未设置可燃气体报警装置", "basis": "安全生产法第九十九条第（二）项",
                "decision": "罚款", "amount": fine, "payment": "银行转账"}
    leader.from_queue("mattersdecide", title, count=1)
    if rules.value("review.collective_discussion_after_review", default=False) or Matter.objects.get(title=title).major:
        # 抚顺 审核第四条: after review the leaders discuss it collectively; so for a case marked 重大 under every
        # pack (行政处罚法第五十七条第二款). The refusal says what to do.
        refusal = leader.step("decide", decision, refused=True)
        assert "集体讨论" in refusal and "请先办理" in refusal, refusal
        leader.step("discuss", {"time": _local(timezone.now()), "participants": "钱局长、副局长、政策法规科科长",
                                "discussion": "违法事实清楚，同意法制审核意见。", "conclusion": "同意罚款。"})
    leader.step("decide", decision)
    assert "已作出决定" in leader.state()

    # 电子送达 without the party's signed 送达地址确认书 is refused, saying what to do (行政处罚法第六十一条第二款).
    assert "登记送达" in officer.from_queue("mattersserve", title, count=1)
    page = officer.page
    electronic = {"method": "电子送达", "recipient": "王某", "served_at": _local(timezone.now())}
    officer.fill("", electronic)
    officer.click("#serve-form button[type=submit]")
    refusal = page.inner_text("#refusal")
    assert "送达地址确认书" in refusal and "请先登记" in refusal and "第六十一条第二款" in refusal, refusal
    page.click("#service-addresses ~ details > summary")
    address = page.locator("#service-addresses ~ details form")
    address.locator("#id_electronic").check()
    address.locator("#id_email").fill("wang@donghua.example.cn")
    address.locator("#id_signed_on").fill(timezone.localdate().isoformat())
    address.locator("#id_scan").set_input_files(str(make_image(tmp_path / "address.jpg", size=(70, 50))))
    assert "已登记送达地址确认书" in officer.click("#service-addresses ~ details button[type=submit]")
    officer.fill("", {**electronic, "address": "wang@donghua.example.cn"})
    page.set_input_files("#id_sent_record_file", str(make_image(tmp_path / "sent.jpg", size=(72, 50))))
    page.set_input_files("#id_delivery_receipt_file", str(make_image(tmp_path / "arrived.jpg", size=(74, 50))))
    officer.click("#serve-form button[type=submit]")
    assert page.locator("#refusal").count() == 0, page.inner_text("#refusal")
    assert "决定书已送达" in officer.state()
    matter = Matter.objects.get(title=title)
    service = matter.instruments.get(type="penalty_decision").services.get()
    assert service.method == "electronic" and service.place == "wang@donghua.example.cn"

    # The publication: due within the pack's deadline from the decision, shown until the pack's display
    # period ends (none where the pack sets none), and taken down with a public note.
    publisher = next(d for d in desks if d.user == office.reviewer)
    publisher.from_queue("publicityreview", "行政处罚", count=1)
    item = Publication.objects.get(source=f"matters.matter:{matter.pk}")
    due = deadline_for(rules.rule("publicity.penalty_deadline"), item.decided_on).due
    assert item.due_on == due and f"应于 {due:%Y-%m-%d} 前公开" in publisher.page.inner_text("main")
    publisher.page.fill("#summary textarea", "未按规定在储罐区设置可燃气体报警装置")
    publisher.click("#summary button[type=submit]")
    publisher.click("main button:has-text('审查通过')")
    publisher.from_queue("publicitypublish", "行政处罚", count=1)
    text = publisher.click("main button:has-text('发布')")
    item.refresh_from_db()
    assert item.state == "published" and item.published_at.date() <= due
    period = next((k for k in ("publicity.penalty_display_period", "publicity.display_period") if k in rules), None)
    if period is not None:
        # The pack's display period: it comes down by itself the day after (the nightly expiry).
        until = deadline_for(rules.rule(period), timezone.localdate()).due
        assert item.display_until == until and f"公示至 {until:%Y-%m-%d}" in text
        assert publications_expire(today=until) == 0 and publications_expire(today=until + timedelta(days=1)) == 1
        item.refresh_from_db()
        assert item.state == "expired"
        return
    # No period set: it stays until withdrawn, with a public note (行政处罚法第四十八条第二款).
    assert item.display_until is None and "公示至" not in text
    publisher.click("main a:has-text('撤回')")
    publisher.page.fill("#id_reason", "原处罚决定经行政复议被撤销。")
    assert "已撤回" in publisher.click("main button[type=submit]")
    item.refresh_from_db()
    assert item.state == "withdrawn"
    assert item.withdrawal_due == deadline_for(rules.rule("publicity.withdrawal_deadline"), timezone.localdate()).due
