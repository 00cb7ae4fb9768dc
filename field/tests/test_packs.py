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
