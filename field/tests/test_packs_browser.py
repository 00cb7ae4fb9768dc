"""掌上执法 walked by clicking under each of the five agencies' packs, on a phone (Chromium's mobile
emulation): the officer logs in on the log-in page, opens the day's 双随机 task and starts it (检查码),
sees the pack's 检查表 and its recording rule, is refused on the phone when the pack's demand is not
met (抚顺市 and 余姚 a recording, 通化 a recording or photo, 平顶山 an answer to whether the inspection
may give rise to a dispute), records the inspection without signal (hazard photo, clip where asked,
signatures, a 责令限期整改指令书 to serve later), syncs when signal returns, and serves the 指令书
electronically: refused without the party's 送达地址确认书 (the refusal says who registers it and
where), sent once it is registered (the message filed and received by the server), its arrival photographed,
a time before the sending refused. The mail goes to a real SMTP server on this machine that fails the
first sending — a temporary refusal (451) under some packs, under others nothing listening (the
agency's mail server down): the officer reads why, that the attempt is recorded and the pack's other
ways of service with their article, and sends again once the server accepts. Every pack allows
电子送达 (the national pack's service.electronic_requirements, 行政处罚法第六十一条第二款, which no
agency's pack overrides)."""

import email.policy
from datetime import timedelta

import pytest
from django.utils import timezone

from field.selectors import checklist_for, recording_demands
from field.tests.smtp import mail_server  # noqa: F401  (the fixture)
from field.tests.tasks import drawn_task
from ledger.models import Event
from matters.models import Instrument, Service
from records.models import Record
from records.tests.clips import make_image, make_video
from zhifa.tests.browsing import click, log_in, staff_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_pdf")]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
# pack: how the mail server fails the first sending, its answer to RCPT TO (None: nothing listens yet)
PACKS = {
    "fushun-city": "451 4.7.1 Greylisted, please try again later",
    "yuyao-city": None,
    "pingdingshan-hitech": "451 4.3.2 System not accepting network messages",
    "tonghua-city": None,
    "fushun-county-hrss": "451 4.7.1 Greylisted, please try again later",
}


def sign(page, canvas: str) -> None:
    """A finger's stroke on a canvas (touch events through the DevTools protocol)."""
    from field.tests.test_field_browser import sign as stroke

    stroke(page, page.context.new_cdp_session(page), canvas)


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _sent(message: bytes) -> tuple[list[str], str, bytes]:
    """Recipients, subject and attached PDF of the bytes an SMTP server received."""
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    (pdf,) = [p.get_content() for p in parsed.iter_attachments() if p.get_content_type() == "application/pdf"]
    return [parsed["To"]], str(parsed["Subject"]), pdf


@pytest.mark.parametrize("pack", PACKS)
def test_the_field_app_by_clicking_under_each_pack(pack, browser, live_server, team, settings, mail_server):  # noqa: F811
    from matters.choices import ServiceMethod
    from policy.selectors import agency_rules

    settings.ZHIFA_PUBLIC_URL = live_server.url
    team.agency.policy_pack = pack
    team.agency.save(update_fields=["policy_pack"])
    rules = agency_rules(team.agency)
    demand = recording_demands(team.agency)["inspect"]
    task = drawn_task(team)
    clip = make_video(team.folder / "现场录像.mp4", seconds=1, creation_time=timezone.now() - timedelta(minutes=3))
    photo = make_image(team.folder / "隐患.jpg", size=(80, 60))

    context = staff_context(browser, **PHONE)
    page = context.new_page()
    log_in(page, live_server.url, team.officer)
    click(page, "nav >> text=掌上执法")
    page.wait_for_selector("#cached:has-text('今日任务已缓存')")
    page.click("#tasks >> text=危险化学品企业安全生产检查")
    page.fill("#start-place", "东兴化工储罐区")
    page.click("#start-go")
    page.wait_for_selector("#code-qr svg")
    task.refresh_from_db()
    assert task.matter_id

    # the pack's 检查表 for the enterprise's sector, and its recording rule with the citation
    expected = [row["item"] for row in checklist_for(agency=team.agency, enterprise=team.party.enterprise)]
    assert expected and [t.strip() for t in page.locator("#checklist li label").all_inner_texts()] == expected
    av_rule = rules.get("av.required_steps")
    if demand["text"]:
        assert av_rule.cited("、") in page.inner_text("#av-rule")
    else:
        assert "未要求" in page.inner_text("#av-rule")

    context.set_offline(True)
    page.wait_for_selector("#net:has-text('离线')")
    page.fill("#findings", "储罐区现场检查，查阅安全生产责任制和培训记录")
    page.check("#checklist li:first-child input")
    # what the pack demands on site is enforced on the phone, with the pack's citation
    if demand["asks_dispute"]:
        assert page.locator("#dispute-ask").is_visible()
        page.click("#save")
        assert "请回答本次检查是否可能引发争议" in page.inner_text("#saved")
        page.check("#disputed-yes")
    else:
        assert not page.locator("#dispute-ask").is_visible()
    if demand["required"] or demand["asks_dispute"]:
        page.click("#save")
        refused = page.inner_text("#saved")
        assert refused.startswith("未保存") and av_rule.cited("、") in refused, refused
        assert page.inner_text("#pending") == "0"
    else:  # nothing to record for the pack: the 指令书 still needs the hazards it orders rectified
        page.check("#order-on")
        page.click("#save")
        assert "须列明发现的隐患" in page.inner_text("#saved") and page.inner_text("#pending") == "0"
        page.uncheck("#order-on")
    page.click("#add-hazard")
    block = page.locator("#hazards .hazard").first
    block.locator(".h-desc").fill("可燃气体报警器未投用")
    block.locator(".h-loc").fill("1号储罐")
    block.locator(".h-photo").set_input_files(str(photo))
    recorded = demand["required"] and "photo" not in demand["media"]
    if recorded:  # a photo does not count: the clip made on site
        page.click("#save")
        assert av_rule.cited("、") in page.inner_text("#saved")
        page.set_input_files("#recording", str(clip))
    page.fill("#signer", "王某")
    sign(page, "#sign-canvas")
    sign(page, "#officer-canvas")
    page.check("#order-on")
    page.fill("#order-basis", "《中华人民共和国安全生产法》第四十一条")
    page.fill("#order-due", (timezone.localdate() + timedelta(days=15)).isoformat())
    page.check("#order-later")
    page.click("#save")
    page.wait_for_selector("#saved:has-text('已保存在本机')")
    assert int(page.inner_text("#pending")) > 0  # the app shows the queue's count before the message

    context.set_offline(False)
    page.wait_for_selector("#net:has-text('在线')")
    page.click("#sync")
    page.wait_for_function("document.querySelector('#pending').textContent === '0'", timeout=60000)
    assert page.inner_text("#conflicts") == ""
    matter = task.matter
    order = Instrument.objects.get(matter=matter, type="rectification_order")
    inspect = matter.steps.get(transition="inspect")
    assert order.number in page.inner_text("#issued")
    if demand["asks_dispute"]:
        assert inspect.data.get("disputed") is True
    if recorded:
        assert inspect.records.filter(kind="video").exists()
        if recording_demands(team.agency)["order_rectification"]["required"]:  # 余姚 附件1第9行
            assert order.step.records.filter(kind="video").exists()
    assert {s.role for s in Instrument.objects.get(matter=matter, type="inspection_record").signatures.all()} == {
        "party", "officer"}

    # 电子送达 without the party's 送达地址确认书: refused, saying who registers it and where
    click(page, "#issued li:has-text('责令限期整改指令书') a.print")
    refusal = page.inner_text("#electronic-refusal")
    assert "第六十一条第二款" in refusal and "承办执法人员" in refusal and "登记送达" in refusal, refusal
    assert page.locator("#send").count() == 0
    click(page, "#electronic-register")
    # the staff page on the phone: its long select options stay within the screen (no sideways scroll)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click("#service-addresses ~ details > summary")
    form = page.locator("#service-addresses ~ details form")
    form.locator("#id_recipient").fill("王某")
    form.locator("#id_electronic").check()
    form.locator("#id_email").fill("wang@dongxing.example.cn")
    form.locator("#id_signed_on").fill(timezone.localdate().isoformat())
    form.locator("#id_scan").set_input_files(str(make_image(team.folder / "确认书.jpg", size=(70, 99))))
    click(page, "#service-addresses ~ details button[type=submit]")
    assert "已登记送达地址确认书" in page.inner_text("body")

    click(page, "nav >> text=掌上执法")
    click(page, "#issued li:has-text('责令限期整改指令书') a.print")
    # the first sending fails (PACKS): recorded, and the officer reads why and what next, with the pack's
    # other ways of service and their article
    answer = PACKS[pack]
    if answer:
        mail_server.start()
        mail_server.answer = answer
    click(page, "#send")
    told = page.inner_text("#message")
    assert "本次发送尝试已记录" in told and "文书未送达" in told, told
    if answer:
        assert "暂时拒收" in told and answer.split(",")[0] in told, told
    else:
        assert "无法连接邮件服务器" in told and "系统管理员" in told, told
    ways = rules.rule("service.requirements")
    assert ways.cited("、") in told and all(ServiceMethod(row["method"]).label in told for row in ways.value), told
    assert page.inner_text("#send") == "重新发送至 wang@dongxing.example.cn" and page.locator("#send-failed").count()
    failed = Event.objects.get(kind="instrument.electronic_send_failed").data
    assert (failed["outcome"], failed["code"]) == (("deferred", 451) if answer else ("unreachable", None)), failed
    assert not Service.objects.filter(instrument=order).exists() and not mail_server.received
    if answer:
        mail_server.answer = None
    else:
        mail_server.start()
    click(page, "#send")
    assert "已发送至wang@dongxing.example.cn" in page.inner_text("#message")
    assert page.locator("#send-failed").count() == 0
    (sent,) = [content for _, content in mail_server.received]
    to, subject, attached = _sent(sent)
    assert to == ["wang@dongxing.example.cn"] and order.number in subject and attached.startswith(b"%PDF")
    assert Event.objects.get(kind="instrument.electronic_send").data["to"] == "wang@dongxing.example.cn"
    filed = Record.objects.filter(agency=team.agency, title__endswith="电子送达发送记录").count()
    assert filed == 2  # the message of each attempt

    # the arrival, photographed on the party's phone: a time before the sending is refused
    arrival = make_image(team.folder / "到达回执.jpg", size=(90, 70))
    page.fill("#id_arrived_at", local(timezone.now() - timedelta(hours=1)))
    page.set_input_files("#id_photo", str(arrival))
    click(page, "#arrived")
    assert "到达时间早于发送时间" in page.inner_text("#message")
    assert not Service.objects.filter(instrument=order).exists()
    page.fill("#id_arrived_at", local(timezone.now()))
    page.set_input_files("#id_photo", str(arrival))
    click(page, "#arrived")
    assert "已登记" in page.inner_text("#message")
    service = Service.objects.get(instrument=order)
    assert service.method == "electronic" and service.place == "wang@dongxing.example.cn"
    assert service.records.count() == 2  # the message sent and the photo of its arrival
    context.close()
    if pack == "tonghua-city":
        chief_registers_the_result(browser, live_server, team, task)


def chief_registers_the_result(browser, live_server, team, task):
    """The chief at the desk (once, one pack): the 双随机 draw's task shows the matter the phone made;
    the chief reads its 现场检查记录 on the matter page and registers the task's result, published
    with the draw (002 二（一）3). The 文书 made on site need no countersignature in the inspection's
    workflow (001 第六至八条: officers and the party sign them on site)."""
    from matters.models import Instrument

    record = Instrument.objects.get(matter=task.matter, type="inspection_record")
    page = staff_context(browser).new_page()
    log_in(page, live_server.url, team.chief)
    click(page, "header.top nav >> text=双随机")
    click(page, "main a:has-text('2026年第一批')")
    row = page.locator("main tr", has_text=team.party.name)
    assert "已检查待登记结果" in row.inner_text()  # the phone recorded its 现场检查; no result yet
    click(page, f"main tr:has-text('{team.party.name}') a:has-text('{task.matter.title}')")
    assert record.number in page.inner_text("main")
    page.go_back()
    click(page, f"main tr:has-text('{team.party.name}') a:has-text('登记结果')")
    page.fill("#id_result", f"发现隐患1项，已下达责令限期整改指令书（{Instrument.objects.get(matter=task.matter, type='rectification_order').number}）")
    click(page, "main button[type=submit]")
    assert "检查结果已登记并公示" in page.inner_text("main")
    task.refresh_from_db()
    assert task.result_at is not None and "发现隐患1项" in page.inner_text("main")
    assert "已登记结果" in page.locator("main tr", has_text=team.party.name).inner_text()
    page.context.close()
