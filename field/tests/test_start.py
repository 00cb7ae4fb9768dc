"""开始检查 from the phone: a drawn 双随机 task in the day's work becomes the inspection matter
linked to the task, with its 现场检查方案 and its 检查码, once per idempotency key."""

from datetime import timedelta

import pytest
from django.utils import timezone

from field.models import InspectionCode, SyncItem
from field.tests.tasks import drawn_task
from ledger.models import Event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_pdf")]


def _start(client, task, key, **data):
    item = {"key": key, "kind": "start", "device_time": timezone.now().isoformat(), "data": {"task": task.pk, **data}}
    response = client.post("/api/v1/field/sync/", {"items": [item]}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["items"][0]


def test_a_drawn_task_is_started_from_the_phone_with_its_code(team, client):
    task = drawn_task(team)
    client.force_login(team.officer)
    day = client.get("/api/v1/field/today/").json()
    mine = [i for i in day["items"] if i.get("task") == task.pk]
    assert len(mine) == 1 and mine[0]["needs_start"] and mine[0]["matter"] is None
    assert mine[0]["basis"] == "《安全生产法》第六十五条" and mine[0]["party"]["checklist"]

    answer = _start(client, task, "start-1", place="东兴化工厂区", facts="")
    assert answer["state"] == "applied", answer
    task.refresh_from_db()
    matter = task.matter
    assert matter is not None and matter.state == "planned" and answer["result"]["matter"] == matter.pk
    assert set(matter.officers.all()) == {team.officer, team.partner}
    plan = matter.steps.get(transition="plan")
    assert plan.data["place"] == "东兴化工厂区" and plan.data["facts"] == "安全生产主体责任落实情况"
    code = InspectionCode.objects.get(matter=matter)
    assert answer["result"]["code"] == code.token
    for kind in ("inspection.task_matter", "matter.plan", "inspection_code.issue", "field.sync_applied"):
        assert Event.objects.filter(kind=kind).exists(), kind

    # the answer lost and the tap repeated: the same key changes nothing
    again = _start(client, task, "start-1")
    assert again["duplicate"] and again["result"] == answer["result"]
    assert SyncItem.objects.filter(user=team.officer).count() == 1

    # the day now shows the inspection once, its code drawn for showing without signal
    day = client.get("/api/v1/field/today/").json()
    mine = [i for i in day["items"] if i.get("task") == task.pk]
    assert len(mine) == 1 and mine[0]["kind"] == "inspection" and not mine[0]["needs_start"]
    assert mine[0]["code"] == code.token and mine[0]["code_svg"].startswith("<svg")

    # another key for a task already started: the matter and its code stay as they are
    other = _start(client, task, "start-2")
    assert other["state"] == "applied" and other["result"]["matter"] == matter.pk
    assert InspectionCode.objects.filter(matter=matter).count() == 1
    assert matter.steps.filter(transition="plan").count() == 1


def test_only_the_drawn_officers_start_a_task(team, client, make_staff):
    task = drawn_task(team)
    outsider = make_staff("officer", certificate=True, name="周执法", username="zhou")
    client.force_login(outsider)
    assert all(i.get("task") != task.pk for i in client.get("/api/v1/field/today/").json()["items"])
    answer = _start(client, task, "start-x")
    assert answer["state"] == "refused" and "李执法" in answer["message"]
    task.refresh_from_db()
    assert task.matter is None and not InspectionCode.objects.exists()


def test_a_task_with_its_result_is_not_started_again(team, client):
    task = drawn_task(team)
    task.result, task.result_at = "未发现问题", timezone.now() - timedelta(days=1)
    task.save(update_fields=["result", "result_at"])
    client.force_login(team.officer)
    answer = _start(client, task, "start-r")
    assert answer["state"] == "conflict" and "已登记检查结果" in answer["message"]
    task.refresh_from_db()
    assert task.matter is None
    missing = _start(client, type("T", (), {"pk": 987654})(), "start-m")
    assert missing["state"] == "conflict" and "没有这个检查任务" in missing["message"]
