"""A 双随机 task's result comes from its inspection: registered only once the task's matter has its
现场检查 recorded (the inspection workflow's `inspect` step, state 已现场检查), refused before in Chinese
naming the drawn officers and what they do first; the draw page shows where each task stands."""

import re

import pytest
from django.urls import reverse

from inspections.services import draw_run
from inspections.tests.inspecting import task_inspect, task_plan
from inspections.tests.test_services import _item, chief, officers, parties  # noqa: F401  (fixtures)
from ledger.models import Event

pytestmark = pytest.mark.django_db


def _states(client, record) -> dict:
    page = client.get(reverse("inspections:draw", kwargs={"pk": record.pk})).content.decode()
    rows = re.findall(r"<tr><td>([^<]+)</td>.*?data-state=\"(\w+)\">([^<]+)</td>", page)
    return {name: (state, label) for name, state, label in rows}


def test_a_result_waits_for_the_on_site_inspection_and_the_draw_page_shows_each_state(
    agency, chief, officers, parties, client, tmp_path  # noqa: F811
):
    record = draw_run(item=_item(agency, chief), plan="状态", acting_user=chief)
    first, second, third = record.tasks.all()[:3]
    officer = first.officers.first()
    client.force_login(officer)
    url = reverse("inspections:task_result", kwargs={"pk": first.pk})
    states = _states(client, record)
    assert {s for s, _ in states.values()} == {"not_started"} and "未开始" in states[first.party.name][1]

    # the matter opened (开始检查) and planned, no 现场检查 yet: 检查中, and a result is refused
    client.post(reverse("inspections:task_matter", kwargs={"pk": first.pk}))
    first.refresh_from_db()
    task_plan(first, officer)
    assert _states(client, record)[first.party.name] == ("inspecting", "检查中")
    events = Event.objects.filter(kind="inspection.result").count()
    refusals = Event.objects.filter(kind="inspectiontask.denied", subject_id=str(first.pk))
    # the result page refuses before showing a form, on the draw page, and logs the refusal
    shown = client.get(url, follow=True)
    assert shown.redirect_chain[-1][0] == reverse("inspections:draw", kwargs={"pk": record.pk})
    assert "尚未实施现场检查" in shown.content.decode() and refusals.count() == 1
    page = client.post(url, {"result": "未发现问题"}).content.decode()
    assert refusals.count() == 2 and "尚未实施现场检查" in refusals.last().data["reason"]
    names = [o.name for o in first.officers.all()]
    assert "尚未实施现场检查" in page and "已制定检查方案" in page and "001 第六条、第七条" in page
    assert all(n in page for n in names) and "登记“现场检查”后" in page
    first.refresh_from_db()
    assert first.result == "" and first.result_at is None
    assert Event.objects.filter(kind="inspection.result").count() == events
    # no 登记结果 link while the task is being inspected
    draw_page = client.get(reverse("inspections:draw", kwargs={"pk": record.pk})).content.decode()
    assert url not in draw_page

    # 现场检查 recorded: 已检查待登记结果, then the result registers and the state follows
    task_inspect(first, officer, tmp_path)
    assert _states(client, record)[first.party.name] == ("inspected", "已检查待登记结果")
    assert url in client.get(reverse("inspections:draw", kwargs={"pk": record.pk})).content.decode()
    response = client.post(url, {"result": "未发现问题"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.result == "未发现问题" and first.result_at is not None
    states = _states(client, record)
    assert states[first.party.name] == ("result", "已登记结果")
    assert states[second.party.name][0] == states[third.party.name][0] == "not_started"
    # the public page shows the same states
    public = client.get(reverse("publicity:inspection_draw", kwargs={"pk": record.pk})).content.decode()
    assert "已登记结果" in public and "未开始" in public and "未发现问题" in public

    # a result is bounded by its column
    page = client.post(url, {"result": "问" * 20_001}).content.decode()
    first.refresh_from_db()
    assert first.result == "未发现问题" and "20000" in page
