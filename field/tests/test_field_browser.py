"""掌上执法 on a phone (Chromium's mobile emulation, 390×844, touch): the officer opens the day's
task, loses signal, records the inspection with two hazards and their photos, the party's signature
and the 责令限期整改指令书 served on the spot, restarts the app without signal (nothing is lost), and
when signal returns everything reaches the server once, with its ledger events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from field.models import SignatureBinding, SyncItem
from ledger.models import Event
from matters.models import Hazard, Instrument, Signature
from matters.services import matter_open, matter_transition
from records.tests.clips import make_image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign(page, touch, canvas: str) -> None:
    """A finger's stroke on a canvas: real touch events through the DevTools protocol."""
    page.locator(canvas).scroll_into_view_if_needed()
    box = page.locator(canvas).bounding_box()
    stroke = [(30, 60), (60, 40), (90, 30), (120, 55), (150, 80), (190, 60), (220, 40), (260, 55), (300, 70)]
    for n, (x, y) in enumerate(stroke):
        kind = "touchStart" if n == 0 else "touchMove"
        touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": box["x"] + x, "y": box["y"] + y}]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_an_inspection_recorded_offline_reaches_the_server_once(browser, live_server, team):
    from org.tests.factories import PASSWORD

    a, b = team.officer, team.partner
    insp = matter_open(acting_user=a, kind="inspection", title="危化品储存专项检查", party=team.party, officers=[a, b])
    matter_transition(
        acting_user=a, matter=insp, transition="plan",
        data={"place": "储罐区", "time": timezone.now() - timedelta(minutes=30), "facts": "危化品储存"},
        occurred_at=timezone.now() - timedelta(hours=1), late_reason="出发前在局里制定方案，事后录入",
    )
    local = timezone.localtime(timezone.now() - timedelta(minutes=2))
    photo1 = make_image(team.folder / "tank1.jpg", size=(80, 60), exif_time=local.strftime("%Y:%m:%d %H:%M:%S"))
    photo2 = make_image(team.folder / "tank2.jpg", size=(82, 60))

    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
        is_mobile=True, has_touch=True, device_scale_factor=2,
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", a.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    with page.expect_navigation():
        page.click("nav >> text=掌上执法")
    page.wait_for_selector("#cached:has-text('今日任务已缓存')")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.click("#tasks >> text=危化品储存专项检查")
    assert team.party.name in page.inner_text("#party")
    assert "安全生产法第二十二条" in page.inner_text("#checklist")

    context.set_offline(True)
    page.wait_for_selector("#net:has-text('离线')")
    page.fill("#findings", "储罐区现场检查，查阅安全生产责任制和培训记录")
    page.check("#checklist li:first-child input")
    for n, (text, where, photo) in enumerate(
        [("可燃气体报警器未投用", "1号储罐", photo1), ("防火堤破损", "2号储罐", photo2)]
    ):
        page.click("#add-hazard")
        block = page.locator("#hazards .hazard").nth(n)
        block.locator(".h-desc").fill(text)
        block.locator(".h-loc").fill(where)
        block.locator(".h-photo").set_input_files(str(photo))
    page.fill("#signer", "王某")
    touch = context.new_cdp_session(page)
    sign(page, touch, "#sign-canvas")  # the party signs the 现场检查记录 with a finger
    sign(page, touch, "#officer-canvas")  # and the officer
    # the 责令限期整改指令书 made and served on the spot, its receipt signed on the screen
    page.check("#order-on")
    page.fill("#order-basis", "《中华人民共和国安全生产法》第四十一条")
    page.fill("#order-due", (timezone.localdate() + timedelta(days=15)).isoformat())
    sign(page, touch, "#receipt-canvas")
    page.click("#save")
    page.wait_for_selector("#saved:has-text('已保存在本机')")
    assert page.inner_text("#pending") == "10"
    assert not SyncItem.objects.exists() and not insp.steps.filter(transition="inspect").exists()

    # the app closed and opened again without signal: the shell comes from the cache, the queue stays
    page.reload()
    page.wait_for_selector("#cached:has-text('离线')")
    assert page.inner_text("#pending") == "10"

    context.set_offline(False)
    page.wait_for_selector("#net:has-text('在线')")
    page.click("#sync")
    page.wait_for_function("document.querySelector('#synced').textContent === '10'", timeout=90000)
    assert page.inner_text("#pending") == "0" and page.inner_text("#conflicts") == ""
    record_number = Instrument.objects.get(matter=insp, type="inspection_record").number
    assert record_number in page.inner_text("#issued")  # the numbers to print or serve
    page.click("#sync")  # sending again changes nothing
    context.close()

    assert SyncItem.objects.filter(user=a).count() == 10
    assert insp.steps.filter(transition="inspect").count() == 1
    hazards = list(Hazard.objects.filter(matter=insp).order_by("pk"))
    assert [h.description for h in hazards] == ["可燃气体报警器未投用", "防火堤破损"]
    assert all(h.photo is not None for h in hazards)
    assert hazards[0].photo.versions.get().time_source.startswith("exif:")
    record = Instrument.objects.get(matter=insp, type="inspection_record")
    signature = Signature.objects.get(instrument=record, role="party")
    assert signature.name == "王某" and signature.scan is not None
    assert SignatureBinding.objects.filter(signature=signature).exists()
    officer = Signature.objects.get(instrument=record, role="officer")
    assert officer.name == a.name and SignatureBinding.objects.filter(signature=officer).exists()
    order = Instrument.objects.get(matter=insp, type="rectification_order")
    assert order.services.get().records.count() == 1  # the receipt signed on the screen
    assert SignatureBinding.objects.filter(signature__instrument=order).count() == 1
    for kind in ("instrument.issue", "hazard.record", "instrument.sign", "signature.bind", "field.sync_applied"):
        assert Event.objects.filter(kind=kind).exists(), kind
