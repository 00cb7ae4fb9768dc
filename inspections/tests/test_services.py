import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enterprises.services import enterprise_create
from inspections.draw import draw
from inspections.selectors import draw_reproduces
from inspections.services import (
    draw_inputs,
    draw_run,
    item_create,
    recusal_record,
    task_matter_open,
    task_result_record,
)
from inspections.tests.inspecting import task_inspect
from org.tests.factories import make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(make_staff):
    return make_staff("section_chief", username="chief")


@pytest.fixture
def officers(make_staff):
    return [make_staff("officer", certificate=True, username=f"o{n}") for n in range(5)]


@pytest.fixture
def parties(agency):
    return [
        enterprise_create(
            agency=agency,
            uscc=make_uscc(f"91210403MA{n:07d}"),
            name=f"化工企业{n}",
            legal_representative="某",
            industry="化工",
        )
        for n in range(10)
    ]


def _item(agency, chief, **kwargs):
    fields = {
        "name": "危险化学品企业安全生产检查",
        "basis": "《安全生产法》第六十五条",
        "target": "辖区危险化学品生产经营单位",
        "content": "安全生产主体责任落实情况",
        "proportion": Decimal("30"),
        "frequency": "每年2次",
        "draws_per_year": 2,
        "method": "现场检查",
        "officers_per_target": 2,
    } | kwargs
    return item_create(agency=agency, acting_user=chief, **fields)


def test_a_draw_rerun_from_its_published_seed_reproduces_targets_and_officers(
    agency, chief, officers, parties, client
):
    item = _item(agency, chief)
    record = draw_run(item=item, plan="2026年第一批", acting_user=chief)
    assert len(record.result["tasks"]) == 3  # 30% of 10
    assert all(len(t["officers"]) == 2 for t in record.result["tasks"])
    # Anyone re-runs it from what the portal publishes: the seed and the inputs.
    page = client.get(reverse("publicity:inspection_draw", kwargs={"pk": record.pk})).content.decode()
    assert record.seed in page and "结果一致" in page
    published = json.loads(page.split("<pre")[1].split(">", 1)[1].split("</pre>")[0].replace("&quot;", '"'))
    assert draw(published["seed"], published["inputs"]) == record.result
    assert draw_reproduces(record)
    drawn = {t.party.id_number for t in record.tasks.all()}
    assert drawn == {t["target"] for t in record.result["tasks"]}
    # Another seed gives another draw (with overwhelming probability), the same seed the same one.
    assert draw(record.seed, record.inputs) == record.result
    assert draw("another", record.inputs) != record.result or len(parties) <= 3


def test_recused_officers_are_never_drawn_for_that_party(agency, chief, officers, parties):
    item = _item(agency, chief, proportion=Decimal("100"), draws_per_year=5)
    for party in parties:
        recusal_record(officer=officers[0], party=party, reason="近亲属任该单位负责人", acting_user=chief)
    record = draw_run(item=item, plan="全覆盖", acting_user=chief)
    number = officers[0].certificates.get().number
    assert all(number not in t["officers"] for t in record.result["tasks"])
    assert all(number in record.inputs["excluded"][p.id_number] for p in parties)


def test_last_inspector_recused_when_the_pack_says_so(agency, chief, officers, parties, monkeypatch):
    import inspections.selectors as services

    item = _item(agency, chief, proportion=Decimal("100"), draws_per_year=5)
    first = draw_run(item=item, plan="第一批", acting_user=chief)
    real = services.agency_rules

    class Rules:
        def __init__(self, inner):
            self.inner = inner

        def value(self, key, default=None):
            if key == "publicity.inspection_recuse_last_inspector":
                return True
            return self.inner.value(key, default=default)

    monkeypatch.setattr(services, "agency_rules", lambda a, on=None: Rules(real(a, on)))
    inputs, _, _ = draw_inputs(item)
    for task in first.result["tasks"]:
        assert set(task["officers"]) <= set(inputs["excluded"][task["target"]])


def test_frequency_limits_draws(agency, chief, officers, parties):
    item = _item(agency, chief, draws_per_year=1)
    draw_run(item=item, plan="一", acting_user=chief)
    with pytest.raises(ValidationError, match="频次"):
        draw_run(item=item, plan="二", acting_user=chief)


def test_too_few_officers(agency, chief, parties, make_staff):
    make_staff("officer", certificate=True, username="only")
    make_staff("officer", certificate=False, username="nocert")
    item = _item(agency, chief)
    with pytest.raises(ValidationError, match="不足"):
        draw_run(item=item, plan="一", acting_user=chief)


def test_item_validation(agency, chief):
    with pytest.raises(ValidationError, match="比例"):
        _item(agency, chief, proportion=Decimal("0"))
    with pytest.raises(ValidationError, match="第四十二条"):
        _item(agency, chief, officers_per_target=1)


def test_results_are_published(agency, chief, officers, parties, client, tmp_path):
    record = draw_run(item=_item(agency, chief), plan="一", acting_user=chief)
    task = record.tasks.first()
    task_matter_open(task=task, acting_user=task.officers.first())
    task_inspect(task, task.officers.first(), tmp_path)
    task_result_record(task=task, result="未发现违法行为", acting_user=task.officers.first())
    page = client.get(reverse("publicity:inspection_items")).content.decode()
    assert "危险化学品企业安全生产检查" in page and "每年2次" in page and "30%" in page
    detail = client.get(reverse("publicity:inspection_draw", kwargs={"pk": record.pk})).content.decode()
    assert "未发现违法行为" in detail and task.party.name in detail


def test_recusal_page(agency, chief, officers, parties, client):
    client.force_login(chief)
    url = reverse("inspections:recusal_new")
    assert client.get(url).status_code == 200
    response = client.post(url, {"officer": officers[1].pk, "party": parties[0].pk, "reason": "曾在该单位任职"})
    assert response.status_code == 302
    assert "曾在该单位任职" in client.get(reverse("inspections:list")).content.decode()


def test_draw_through_the_api(agency, chief, officers, parties, client):
    item = _item(agency, chief)
    client.force_login(chief)
    response = client.post(reverse("inspection-item-draw", kwargs={"pk": item.pk}), {"plan": "API抽查"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert draw(body["seed"], body["inputs"]) == body["result"]
    assert client.get(reverse("inspection-draw-list")).json()["results"][0]["plan"] == "API抽查"
    client.force_login(officers[0])
    assert client.post(reverse("inspection-item-draw", kwargs={"pk": item.pk}), {"plan": "x"}).status_code == 403
