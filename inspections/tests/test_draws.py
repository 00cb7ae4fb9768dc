"""双随机 as the rules intend: targets within the item's scope, a preview before anything is stored,
the seed committed before the inputs are fixed, and each result tied to the inspection matter."""

import json
import subprocess
import sys
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enterprises.services import enterprise_create
from inspections import draw as draw_module
from inspections.models import InspectionDraw
from inspections.services import (
    draw_commit,
    draw_fix,
    draw_reveal,
    draw_run,
    item_create,
    task_matter_open,
    task_result_record,
)
from inspections.tests.inspecting import task_inspect
from ledger.models import Event
from org.tests.factories import make_uscc

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chief(make_staff):
    return make_staff("section_chief", username="chief")


@pytest.fixture
def officers(make_staff):
    return [make_staff("officer", certificate=True, username=f"o{n}") for n in range(3)]


def _enterprise(agency, n: int, sector: str, industry: str):
    return enterprise_create(agency=agency, uscc=make_uscc(f"91210403MA{n:07d}"), name=f"单位{n}（{industry}）",
                             legal_representative="某", industry=industry, sector=sector)  # fmt: skip


@pytest.fixture
def parties(agency):
    trade = [_enterprise(agency, n, "industry_trade", "机械") for n in range(3)]
    mines = [_enterprise(agency, 10 + n, "non_coal_mine", "非煤矿山") for n in range(3)]
    unknown = [_enterprise(agency, 20, "", "其他行业")]
    return {"trade": trade, "mines": mines, "unknown": unknown}


def _item(agency, chief, **kwargs):
    fields = {
        "name": "工贸企业安全生产监督检查", "basis": "《安全生产法》第六十五条", "target": "辖区工贸企业",
        "target_sector": "industry_trade", "content": "安全生产主体责任", "proportion": Decimal("100"),
        "frequency": "每年1次", "draws_per_year": 1, "method": "现场检查", "officers_per_target": 2,
    } | kwargs  # fmt: skip
    return item_create(agency=agency, acting_user=chief, **fields)


def _published(client, record) -> tuple[str, dict]:
    page = client.get(reverse("publicity:inspection_draw", kwargs={"pk": record.pk})).content.decode()
    return page, json.loads(unescape(page.split("<pre")[1].split(">", 1)[1].split("</pre>")[0]))


def test_a_trade_item_draws_only_trade_enterprises(agency, chief, officers, parties):
    record = draw_run(item=_item(agency, chief), plan="全覆盖", acting_user=chief)
    drawn = {t.party_id for t in record.tasks.all()}
    assert drawn == {p.pk for p in parties["trade"]}  # 100 % of the scope, never a mine
    assert sorted(record.inputs["targets"]) == sorted(p.id_number for p in parties["trade"])
    with pytest.raises(ValidationError, match="监管行业领域"):
        _item(agency, chief, target_sector="mines")


def test_the_preview_shows_the_scope_and_stores_nothing(agency, chief, officers, parties, client):
    item = _item(agency, chief)
    client.force_login(chief)
    page = client.get(reverse("inspections:draw_new", kwargs={"pk": item.pk})).content.decode()
    assert 'id="in-scope">3<' in page and 'id="count">3<' in page and 'id="unclassified">1<' in page
    assert "单位0（机械）" in page and "非煤矿山）" not in page.split('id="preview"')[1].split("</details>")[0]
    assert not InspectionDraw.objects.exists()
    assert "暂无" in client.get(reverse("publicity:inspection_items")).content.decode()


def test_the_seed_is_committed_before_the_inputs_are_fixed(agency, chief, officers, parties, client):
    item = _item(agency, chief)
    record = draw_commit(item=item, plan="2026年第一批", acting_user=chief)
    assert record.state == "committed" and record.inputs == {}
    assert record.seed_sha256 == draw_module.commitment(record.seed)
    # Only the commitment is public, on the portal and in the API.
    page, shown = _published(client, record)
    assert record.seed_sha256 in page and record.seed not in page and "seed" not in shown
    client.force_login(officers[0])
    api = client.get(reverse("inspection-draw-detail", kwargs={"pk": record.pk})).json()
    assert api["seed"] is None and api["seed_sha256"] == record.seed_sha256
    assert record.seed not in client.get(reverse("inspections:draw", kwargs={"pk": record.pk})).content.decode()
    with pytest.raises(ValidationError, match="须先固定抽取输入"):
        draw_reveal(record=record, acting_user=chief)
    # The inputs are those of the moment they are fixed, after the commitment.
    late = _enterprise(agency, 30, "industry_trade", "建材")
    record = draw_fix(record=record, acting_user=chief)
    assert late.id_number in record.inputs["targets"]
    assert record.inputs_sha256 == draw_module.digest(record.inputs)
    with pytest.raises(ValidationError, match="只有已承诺随机种子"):
        draw_fix(record=record, acting_user=chief)
    _enterprise(agency, 31, "industry_trade", "建材")  # after fixing: not in this draw
    record = draw_reveal(record=record, acting_user=chief)
    assert len(record.inputs["targets"]) == 4 and record.tasks.count() == 4
    kinds = list(Event.objects.filter(subject_id=str(record.pk), kind__startswith="inspection.")
                 .order_by("index").values_list("kind", flat=True))  # fmt: skip
    assert kinds == ["inspection.commit", "inspection.fix", "inspection.draw"]
    # Anyone checks it from what the portal publishes, with inspections/draw.py alone.
    page, shown = _published(client, record)
    assert shown["seed"] == record.seed and "结果一致" in page
    assert draw_module.verify(shown) == []
    assert draw_module.verify(shown | {"seed": "another"})[0] == "随机种子与事先公布的承诺值不符"
    assert "输入" in draw_module.verify(shown | {"inputs": {**shown["inputs"], "count": 1}})[0]


def test_the_published_draw_checks_out_from_the_command_line(agency, chief, officers, parties, client, tmp_path):
    record = draw_run(item=_item(agency, chief), plan="一", acting_user=chief)
    _, shown = _published(client, record)
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(shown, ensure_ascii=False), encoding="utf-8")
    ok = subprocess.run([sys.executable, "inspections/draw.py", str(path)], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and "核验一致" in ok.stdout
    path.write_text(json.dumps(shown | {"seed": "0" * 32}, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run([sys.executable, "inspections/draw.py", str(path)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "承诺值不符" in bad.stdout


def test_a_commitment_cannot_be_dropped_to_try_another_seed(agency, chief, officers, parties):
    item = _item(agency, chief, draws_per_year=1)
    draw_commit(item=item, plan="第一次", acting_user=chief)  # never drawn
    with pytest.raises(ValidationError, match="频次"):
        draw_commit(item=item, plan="再来一次", acting_user=chief)


def test_each_result_comes_from_the_inspection_matter_that_carried_it_out(
    agency, chief, officers, parties, client, tmp_path
):
    record = draw_run(item=_item(agency, chief), plan="一", acting_user=chief)
    task = record.tasks.first()
    officer = task.officers.first()
    with pytest.raises(ValidationError) as refused:
        task_result_record(task=task, result="未发现问题", acting_user=officer)
    # who may start it (the capability's roles), who was drawn, and where the button is
    message = refused.value.messages[0]
    assert "开始检查须由执法人员或科室负责人办理" in message and officer.name in message, message
    assert "“双随机”的“一”抽查页面" in message and "点击该企业一行的“开始检查”" in message, message
    client.force_login(officer)
    response = client.post(reverse("inspections:task_matter", kwargs={"pk": task.pk}))
    task.refresh_from_db()
    matter = task.matter
    assert response.status_code == 302 and response["Location"] == reverse("matters:detail", kwargs={"pk": matter.pk})
    assert matter.kind == "inspection" and matter.party_id == task.party_id
    assert set(matter.officers.all()) == set(task.officers.all())
    with pytest.raises(ValidationError, match="已有对应的执法事项"):
        task_matter_open(task=task, acting_user=officer)
    task_inspect(task, officer, tmp_path)
    task_result_record(task=task, result="未发现问题", acting_user=officer)
    staff_page = client.get(reverse("inspections:draw", kwargs={"pk": record.pk})).content.decode()
    assert reverse("matters:detail", kwargs={"pk": matter.pk}) in staff_page and "未发现问题" in staff_page


def test_preview_commit_fix_reveal_through_the_staff_pages(agency, chief, officers, parties, client):
    item = _item(agency, chief)
    client.force_login(chief)
    response = client.post(reverse("inspections:draw_new", kwargs={"pk": item.pk}), {"plan": "页面抽取"})
    record = InspectionDraw.objects.get()
    assert response["Location"] == reverse("inspections:draw", kwargs={"pk": record.pk})
    client.post(reverse("inspections:draw_fix", kwargs={"pk": record.pk}))
    client.post(reverse("inspections:draw_reveal", kwargs={"pk": record.pk}))
    record.refresh_from_db()
    assert record.state == "drawn" and record.tasks.count() == 3
    page = client.get(reverse("inspections:draw", kwargs={"pk": record.pk})).content.decode()
    assert record.seed in page and "开始检查" in page
    client.force_login(officers[0])
    assert client.post(reverse("inspections:draw_fix", kwargs={"pk": record.pk})).status_code == 403
