"""Work done offline reaches the server once: photos (their own EXIF time and the phone's time),
the on-site inspection with its 现场检查记录, hazards with photos and the party's signature, each
by its idempotency key; a step the server can no longer take comes back as a conflict; a
signature stops verifying once its 文书 changes."""

import base64
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw

from field.models import SignatureBinding, SyncItem
from field.services import instrument_digest, signature_verify
from ledger.models import Event
from matters.models import Hazard, Instrument, Signature
from matters.services import matter_open, matter_transition
from policy.selectors import agency_rules
from records.models import Record
from records.tests.clips import make_image

pytestmark = pytest.mark.django_db


def _planned(team):
    a, b = team.officer, team.partner
    insp = matter_open(acting_user=a, kind="inspection", title="危化品专项检查", party=team.party, officers=[a, b])
    matter_transition(
        acting_user=a, matter=insp, transition="plan",
        data={"place": "储罐区", "time": timezone.now() - timedelta(minutes=30), "facts": "危化品储存"},
        occurred_at=timezone.now() - timedelta(hours=1), late_reason="出发前在局里制定方案，事后录入",
    )
    insp.refresh_from_db()
    return insp


def signature_png(blank: bool = False) -> str:
    image = Image.new("RGBA", (300, 120), (255, 255, 255, 0))
    if not blank:
        ImageDraw.Draw(image).line([(20, 90), (120, 20), (200, 100), (280, 30)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _photo(client, team, insp, key, when, *, exif=None, n=0):
    path = make_image(team.folder / f"{key}.jpg", size=(64 + n, 48), exif_time=exif)
    with path.open("rb") as f:
        return client.post(
            "/api/v1/field/photos/",
            {"key": key, "matter": insp.pk, "device_time": when.isoformat(), "title": "隐患照片", "file": f},
        )


def test_offline_work_is_applied_once_in_order_with_both_times_kept(team, client):
    insp = _planned(team)
    client.force_login(team.officer)
    day = client.get("/api/v1/field/today/").json()
    mine = next(i for i in day["items"] if i.get("matter") == insp.pk)
    assert mine["code"] and mine["party"]["name"] == team.party.name
    assert any(row["basis"] == "安全生产法第二十二条" for row in mine["party"]["checklist"])
    rows = agency_rules(team.agency).get("field.checklists").value
    sector = team.party.sector
    assert len(mine["party"]["checklist"]) == len([r for r in rows if r["sector"] in ("all", sector)])

    done = timezone.now() - timedelta(minutes=20)
    local = timezone.localtime(done - timedelta(minutes=1))
    r1 = _photo(client, team, insp, "photo-1", done, exif=local.strftime("%Y:%m:%d %H:%M:%S"))
    assert r1.status_code == 200, r1.content
    assert r1.json()["state"] == "applied" and r1.json()["result"]["time_source"].startswith("exif:")
    again = _photo(client, team, insp, "photo-1", done, exif=local.strftime("%Y:%m:%d %H:%M:%S"))
    assert again.json()["duplicate"] is True and again.json()["result"] == r1.json()["result"]
    assert _photo(client, team, insp, "photo-2", done, n=1).json()["state"] == "applied"
    text = team.folder / "note.jpg"
    text.write_text("这不是照片")
    with text.open("rb") as f:
        wrong = client.post("/api/v1/field/photos/", {"key": "photo-x", "matter": insp.pk,
                                                      "device_time": done.isoformat(), "file": f}).json()
    assert wrong["state"] == "conflict" and wrong["message"]
    assert Record.objects.filter(pk__in=[r1.json()["result"]["record"]]).count() == 1

    batch = {
        "items": [
            {"key": "inspect-1", "kind": "inspect", "device_time": (done + timedelta(minutes=1)).isoformat(),
             "data": {"matter": insp.pk, "place": "储罐区", "findings": "储罐区巡检", "photos": ["photo-1", "photo-2"]}},
            {"key": "hazard-1", "kind": "hazard", "device_time": (done + timedelta(minutes=2)).isoformat(),
             "data": {"matter": insp.pk, "description": "可燃气体报警器未投用", "location": "1号罐", "photo": "photo-1"}},
            {"key": "hazard-2", "kind": "hazard", "device_time": (done + timedelta(minutes=3)).isoformat(),
             "data": {"matter": insp.pk, "description": "防火堤破损", "location": "2号罐", "photo": "photo-2"}},
            {"key": "sign-1", "kind": "signature", "device_time": (done + timedelta(minutes=4)).isoformat(),
             "data": {"inspection": "inspect-1", "role": "party", "name": "王某", "image": signature_png()}},
        ]
    }
    first = client.post("/api/v1/field/sync/", batch, content_type="application/json")
    assert first.status_code == 200, first.content
    assert [i["state"] for i in first.json()["items"]] == ["applied"] * 4, [i["message"] for i in first.json()["items"]]
    second = client.post("/api/v1/field/sync/", batch, content_type="application/json")
    assert all(i["duplicate"] for i in second.json()["items"])
    assert SyncItem.objects.filter(user=team.officer).count() == 7  # the refused file's answer kept too
    assert insp.steps.filter(transition="inspect").count() == 1
    assert Hazard.objects.filter(matter=insp).count() == 2
    step = insp.steps.get(transition="inspect")
    assert abs(step.occurred_at - (done + timedelta(minutes=1))) < timedelta(seconds=1)  # the phone's time
    record = Instrument.objects.get(matter=insp, type="inspection_record")
    signature = Signature.objects.get(instrument=record)
    assert signature.scan is not None and SignatureBinding.objects.filter(signature=signature).exists()
    for kind in ("field.sync_applied", "instrument.sign", "signature.bind", "hazard.record", "instrument.issue"):
        assert Event.objects.filter(kind=kind).exists(), kind
    photo_item = SyncItem.objects.get(key="photo-1")
    assert photo_item.device_time == done and photo_item.result["taken_at"]

    # the same step again from another phone's queue: a conflict with its reason, nothing changed
    late = client.post("/api/v1/field/sync/", {"items": [
        {"key": "inspect-2", "kind": "inspect", "device_time": done.isoformat(),
         "data": {"matter": insp.pk, "place": "储罐区", "findings": "重复"}}]}, content_type="application/json")
    answer = late.json()["items"][0]
    assert answer["state"] == "conflict" and answer["message"]
    assert insp.steps.filter(transition="inspect").count() == 1

    listing = client.get(f"/api/v1/field/instruments/{record.pk}/signatures/").json()
    assert [s["valid"] for s in listing["signatures"]] == [True]

    # the 责令限期整改指令书 made on the spot, served with the party's on-screen signature as receipt
    receipt = team.folder / "receipt.png"
    receipt.write_bytes(base64.b64decode(signature_png().split(",")[1]))
    served = done + timedelta(minutes=6)
    with receipt.open("rb") as f:
        r = client.post("/api/v1/field/photos/", {"key": "receipt-1", "matter": insp.pk,
                                                  "device_time": served.isoformat(), "file": f})
    assert r.json()["state"] == "applied", r.json()
    due = (timezone.localdate() + timedelta(days=15)).isoformat()
    order = client.post("/api/v1/field/sync/", {"items": [
        {"key": "order-1", "kind": "order", "device_time": served.isoformat(),
         "data": {"matter": insp.pk, "basis": "《中华人民共和国安全生产法》第四十一条", "rectify_by": due,
                  "recipient": "王某", "signer": "王某", "place": "储罐区", "receipt": "receipt-1"}},
        {"key": "order-sign", "kind": "signature", "device_time": served.isoformat(),
         "data": {"order": "order-1", "role": "party", "name": "王某", "image": signature_png()}},
    ]}, content_type="application/json").json()["items"]
    assert [i["state"] for i in order] == ["applied", "applied"], [i["message"] for i in order]
    ordered = Instrument.objects.get(matter=insp, type="rectification_order")
    assert ordered.services.get().records.filter(pk=r.json()["result"]["record"]).exists()
    assert Signature.objects.filter(instrument=ordered, binding__isnull=False).count() == 1


def test_a_signature_fails_once_the_instrument_changes_and_bad_input_is_refused(team, client):
    insp = _planned(team)
    client.force_login(team.officer)
    done = timezone.now() - timedelta(minutes=5)
    _photo(client, team, insp, "p", done)
    client.post("/api/v1/field/sync/", {"items": [
        {"key": "i", "kind": "inspect", "device_time": done.isoformat(),
         "data": {"matter": insp.pk, "place": "厂区", "findings": "检查", "photos": ["p"]}}]},
        content_type="application/json")
    blank = client.post("/api/v1/field/sync/", {"items": [
        {"key": "s0", "kind": "signature", "device_time": timezone.now().isoformat(),
         "data": {"inspection": "i", "role": "party", "name": "王某", "image": signature_png(blank=True)}}]},
        content_type="application/json").json()["items"][0]
    assert blank["state"] == "conflict" and "空白" in blank["message"]
    refused = client.post("/api/v1/field/sync/", {"items": [
        {"key": "s1", "kind": "signature", "device_time": timezone.now().isoformat(),
         "data": {"inspection": "i", "role": "party", "name": "王某", "refused": True, "image": signature_png()}}]},
        content_type="application/json").json()["items"][0]
    assert refused["state"] == "conflict" and "见证人" in refused["message"]
    witnessed = client.post("/api/v1/field/sync/", {"items": [
        {"key": "s2", "kind": "signature", "device_time": timezone.now().isoformat(),
         "data": {"inspection": "i", "role": "party", "name": "王某", "refused": True,
                  "refusal_reason": "当事人拒绝在检查记录上签名", "witness": "赵见证", "image": signature_png()}}]},
        content_type="application/json").json()["items"][0]
    assert witnessed["state"] == "applied"
    assert client.post("/api/v1/field/sync/", {"items": [
        {"key": "bad key!", "kind": "inspect", "device_time": done.isoformat(), "data": {}}]},
        content_type="application/json").status_code == 400
    future = client.post("/api/v1/field/sync/", {"items": [
        {"key": "f", "kind": "inspect", "device_time": (timezone.now() + timedelta(days=1)).isoformat(),
         "data": {"matter": insp.pk}}]}, content_type="application/json")
    assert future.status_code == 400 and "设备时间" in future.json()["detail"]

    instrument = Instrument.objects.get(matter=insp, type="inspection_record")
    signature = Signature.objects.get(instrument=instrument)
    assert signature.refused and signature.witness == "赵见证"
    assert signature_verify(signature)[0]
    before = instrument_digest(instrument)
    Instrument.objects.filter(pk=instrument.pk).update(content={**instrument.content, "findings": "检查（已改）"})
    instrument.refresh_from_db()
    assert instrument_digest(instrument) != before
    ok, why = signature_verify(Signature.objects.get(pk=signature.pk))
    assert not ok and "重新签名" in why
    page = client.get(f"/matters/{insp.pk}/").content.decode()
    assert 'id="field-signatures"' in page and "已失效" in page


@pytest.mark.usefixtures("plain_pdf")
def test_a_recording_from_the_phone_must_be_sound_or_video(team, client):
    insp = _planned(team)
    client.force_login(team.officer)
    when = timezone.now() - timedelta(minutes=5)
    before = Record.objects.count()
    for name, content in (("clip.mp4", b"not a video at all"), ("shot.jpg", None)):
        path = team.folder / name
        if content is None:
            make_image(path, size=(50, 40))
        else:
            path.write_bytes(content)
        with path.open("rb") as f:
            answer = client.post("/api/v1/field/photos/", {"key": f"rec-{name[:4]}", "matter": insp.pk,
                                                           "recording": "true", "device_time": when.isoformat(),
                                                           "file": f}).json()
        assert answer["state"] == "conflict" and "不是可播放的录音或录像" in answer["message"], answer
    assert Record.objects.count() == before  # refused before anything is stored
