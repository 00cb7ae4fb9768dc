"""The field app walked once under each of the five agencies' packs (API level: the browser adds
nothing here): the day's 检查表 is the pack's for the enterprise's sector, a drawn task starts with
its 检查码, the on-site record synced from the phone meets the pack's recording rules, and the
frequency flag follows the pack's limit and period, citing them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from field.models import InspectionCode
from field.selectors import CHECKLISTS, FREQUENCY_LIMIT, FREQUENCY_PERIOD
from field.tests.tasks import drawn_task
from matters.services import matter_open
from policy.selectors import agency_rules
from records.tests.clips import make_image, make_video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_pdf")]

# packs whose recording list requires sound or video of an on-site inspection, and the text that says so
NEEDS_AV = {"fushun-city": "抚顺市应急管理局", "yuyao-city": "附件1第1至8行"}
PACKS = ["fushun-city", "yuyao-city", "pingdingshan-hitech", "tonghua-city", "fushun-county-hrss"]


def _sync(client, *items):
    response = client.post("/api/v1/field/sync/", {"items": list(items)}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["items"]


@pytest.mark.parametrize("pack", PACKS)
def test_the_field_app_follows_each_agencys_pack(pack, team, client):
    team.agency.policy_pack = pack
    team.agency.save(update_fields=["policy_pack"])
    rules = agency_rules(team.agency)
    task = drawn_task(team)
    client.force_login(team.officer)

    day = client.get("/api/v1/field/today/").json()
    item = next(i for i in day["items"] if i.get("task") == task.pk)
    sector = team.party.enterprise.sector
    expected = [
        {"item": r["item"], "basis": r["basis"]} for r in rules.get(CHECKLISTS).value if r["sector"] in ("all", sector)
    ]
    assert expected and item["party"]["checklist"] == expected  # the pack's own, never empty

    now = timezone.now()
    (started,) = _sync(client, {"key": "s", "kind": "start", "device_time": now.isoformat(), "data": {"task": task.pk, "place": "厂区"}})
    assert started["state"] == "applied", started["message"]
    matter = started["result"]["matter"]
    assert InspectionCode.objects.get(matter_id=matter).token == started["result"]["code"]

    path = make_image(team.folder / f"{pack}.jpg", size=(70, 50))
    with path.open("rb") as f:
        photo = client.post("/api/v1/field/photos/", {"key": "p", "matter": matter,
                                                      "device_time": now.isoformat(), "file": f}).json()
    assert photo["state"] == "applied", photo
    checks = "\n".join(f"{row['item']}：未发现问题" for row in expected)
    inspect = {"matter": matter, "place": "厂区", "findings": checks, "photos": ["p"], "disputed": "no"}
    (inspected,) = _sync(client, {"key": "i", "kind": "inspect", "device_time": timezone.now().isoformat(),
                                  "data": inspect})
    if pack in NEEDS_AV:
        # the pack requires sound or video of the on-site inspection: a photo is not enough, and says so
        assert inspected["state"] == "conflict" and NEEDS_AV[pack] in inspected["message"], inspected["message"]
        clip = make_video(team.folder / f"{pack}.mp4", seconds=1, creation_time=timezone.now() - timedelta(minutes=2))
        with clip.open("rb") as f:
            recorded = client.post("/api/v1/field/photos/", {"key": "v", "matter": matter, "recording": "true",
                                                             "device_time": now.isoformat(), "file": f}).json()
        assert recorded["state"] == "applied", recorded
        (inspected,) = _sync(client, {"key": "i2", "kind": "inspect", "device_time": timezone.now().isoformat(),
                                      "data": inspect | {"photos": ["p", "v"]}})
    assert inspected["state"] == "applied", inspected["message"]
    assert inspected["result"]["number"]

    # the frequency flag: the pack's limit and period, with its citation
    limit, period = rules.get(FREQUENCY_LIMIT), rules.get(FREQUENCY_PERIOD)
    page = client.get(f"/field/matters/{matter}/code/").content.decode()
    assert 'id="frequency-flag"' not in page
    for n in range(int(limit.value)):
        matter_open(acting_user=team.officer, kind="inspection", title=f"复查{n}", party=team.party,
                    officers=[team.officer, team.partner])
    page = client.get(f"/field/matters/{matter}/code/").content.decode()
    assert 'id="frequency-flag"' in page
    assert f"最近{period.value}日内" in page and f"超过{limit.value}次" in page and limit.cited("、") in page
    # an inspection older than the pack's period no longer counts
    from matters.models import Matter

    Matter.objects.filter(agency=team.agency, title="复查0").update(
        opened_at=timezone.now() - timedelta(days=int(period.value) + 1)
    )
    assert 'id="frequency-flag"' not in client.get(f"/field/matters/{matter}/code/").content.decode()


@pytest.mark.parametrize("pack", PACKS)
def test_the_day_carries_the_packs_recording_rule_and_the_order_follows_it(pack, team, client):
    """The phone checks the pack's recording list before it queues a step: the day it caches says what
    each pack demands, with the citation. A 责令限期整改指令书 made on site to be served later (电子送达)
    is issued without a service; where the pack films the 指令书 (余姚 附件1第9行) it needs the clip."""
    from field.selectors import recording_demands
    from matters.serving import instrument_awaits_service

    team.agency.policy_pack = pack
    team.agency.save(update_fields=["policy_pack"])
    rule = agency_rules(team.agency).get("av.required_steps")
    client.force_login(team.officer)
    demands = client.get("/api/v1/field/today/").json()["recording"]
    assert demands == recording_demands(team.agency)
    inspect, order = demands["inspect"], demands["order_rectification"]
    assert inspect["required"] == (pack in ("fushun-city", "yuyao-city", "tonghua-city"))
    assert inspect["asks_dispute"] == (pack == "pingdingshan-hitech")
    assert order["required"] == (pack == "yuyao-city")
    for demand in (inspect, order):
        assert (rule.cited("、") in demand["text"]) if demand["text"] else not (demand["required"] or demand["asks_dispute"])

    task = drawn_task(team)
    now = timezone.now()
    (started,) = _sync(client, {"key": "s", "kind": "start", "device_time": now.isoformat(),
                                 "data": {"task": task.pk, "place": "厂区"}})
    matter = started["result"]["matter"]
    clip = make_video(team.folder / f"{pack}.mp4", seconds=1, creation_time=now - timedelta(minutes=2))
    with clip.open("rb") as f:
        recorded = client.post("/api/v1/field/photos/", {"key": "v", "matter": matter, "recording": "true",
                                                         "device_time": now.isoformat(), "file": f}).json()
    assert recorded["state"] == "applied", recorded
    (inspected,) = _sync(client, {"key": "i", "kind": "inspect", "device_time": timezone.now().isoformat(), "data": {
        "matter": matter, "place": "厂区", "findings": "报警器未投用", "photos": ["v"], "disputed": "no"}})
    assert inspected["state"] == "applied", inspected["message"]
    (hazard,) = _sync(client, {"key": "h", "kind": "hazard", "device_time": timezone.now().isoformat(),
                               "data": {"matter": matter, "description": "可燃气体报警器未投用", "location": "1号储罐"}})
    assert hazard["state"] == "applied", hazard["message"]
    later = {"matter": matter, "basis": "《安全生产法》第四十一条", "serve": "later",
             "rectify_by": (timezone.localdate() + timedelta(days=15)).isoformat()}
    (ordered,) = _sync(client, {"key": "o", "kind": "order", "device_time": timezone.now().isoformat(), "data": later})
    if order["required"]:
        assert ordered["state"] == "conflict" and "附件1第9行" in ordered["message"], ordered["message"]
        (ordered,) = _sync(client, {"key": "o2", "kind": "order", "device_time": timezone.now().isoformat(),
                                    "data": later | {"records": ["v"]}})
    assert ordered["state"] == "applied", ordered["message"]
    from matters.models import Instrument

    issued = Instrument.objects.get(pk=ordered["result"]["instrument"])
    assert instrument_awaits_service(issued) and not issued.services.exists()
    # served on the spot it needs the party's signed receipt, and says how to serve later instead
    (spot,) = _sync(client, {"key": "o3", "kind": "order", "device_time": timezone.now().isoformat(),
                             "data": later | {"serve": ""}})
    assert spot["state"] == "conflict" and "稍后电子送达" in spot["message"], spot["message"]
