"""The hazard register (隐患台账): a hazard's life through the API — found with its photo and the rule
it breaks, its tracked deadline on the workbench, the party's report, its own re-inspection — and
unfixed hazards moved to a new penalty matter in one action; the register and 一企一档 pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ledger.models import Event
from matters.models import Hazard, Matter
from matters.services import ServiceInput, matter_open, matter_transition

pytestmark = pytest.mark.django_db


def _inspected(team, *, days=10):
    """An inspection of the team's party, carried out `days` ago with one hazard from the form."""
    a, b = team.officer, team.partner
    when = timezone.now() - timedelta(days=days)
    insp = matter_open(acting_user=a, kind="inspection", title="例行检查", party=team.party, officers=[a, b])
    matter_transition(
        acting_user=a,
        matter=insp,
        transition="plan",
        data={"place": "厂区", "time": when, "facts": "危化品储存"},
    )
    insp.refresh_from_db()
    matter_transition(
        acting_user=a,
        matter=insp,
        transition="inspect",
        officers=[a, b],
        records=[team.clip("现场检查")],
        data={"place": "厂区", "time": when, "findings": "储罐区", "hazards": "储罐区未设置可燃气体报警装置"},
    )
    insp.refresh_from_db()
    return insp


def _order(team, insp, rectify_by):
    a = team.officer
    matter_transition(
        acting_user=a,
        matter=insp,
        transition="order_rectification",
        data={"basis": "安全生产法第六十五条", "rectify_by": rectify_by},
        service=ServiceInput(
            "direct", "王某", timezone.now() - timedelta(hours=1), signer="王某", receipt=team.scan("回执")
        ),
    )
    insp.refresh_from_db()


def _api(client, user):
    client.force_login(user)
    return client


def test_a_hazard_found_reported_reinspected_and_closed(team, client):
    insp = _inspected(team)
    old = insp.hazards.get()  # the inspection form's line is a row of the register too
    c = _api(client, team.officer)
    photo = team.scan("隐患照片")
    due = timezone.localdate() + timedelta(days=5)
    r = c.post(
        f"/api/v1/matters/{insp.pk}/hazards/",
        {
            "description": "配电箱未接地",
            "location": "二车间",
            "photo": photo.pk,
            "rule_broken": "《用电安全导则》",
            "article": "第5.2条",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    hid = r.json()["id"]
    assert r.json()["photo"] == photo.pk and r.json()["state"] == "open"

    _order(team, insp, due)
    hazard = Hazard.objects.get(pk=hid)
    assert hazard.rectify_by == due and hazard.deadline.due.date() == due
    assert hazard.deadline.rule_key == "inspection.hazard_rectification"
    board = c.get("/api/v1/matters/workbench/").json()
    assert any("配电箱未接地" in row["label"] for row in board)

    # Before the deadline a re-inspection needs the party's report first.
    r = c.post(f"/api/v1/hazards/{hid}/reinspect/", {"rectified": True}, content_type="application/json")
    assert r.status_code == 400 and "整改完毕报告" in r.json()["detail"]
    # A report claimed in the future is refused and changes nothing.
    events = Event.objects.count()
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    r = c.post(
        f"/api/v1/hazards/{hid}/report/",
        {"note": "已接地", "reported_at": future},
        content_type="application/json",
    )
    assert r.status_code == 400 and "不能晚于现在" in r.json()["detail"]
    assert Event.objects.count() == events and Hazard.objects.get(pk=hid).state == "open"

    fixed = team.scan("整改后照片")
    r = c.post(
        f"/api/v1/hazards/{hid}/report/",
        {"note": "已重新接地", "photos": [fixed.pk]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "reported"
    assert r.json()["report_photos"] == [fixed.pk]
    # A re-inspection claimed before the report is refused.
    early = (timezone.now() - timedelta(days=1)).isoformat()
    r = c.post(
        f"/api/v1/hazards/{hid}/reinspect/",
        {"rectified": True, "checked_at": early},
        content_type="application/json",
    )
    assert r.status_code == 400 and "不能早于当事人报告整改完毕的时间" in r.json()["detail"]
    r = c.post(
        f"/api/v1/hazards/{hid}/reinspect/",
        {"rectified": True, "note": "已整改到位"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "rectified"
    assert not any("配电箱未接地" in row["label"] for row in c.get("/api/v1/matters/workbench/").json())
    kinds = list(Event.objects.filter(kind__startswith="hazard.").values_list("kind", flat=True))
    assert kinds[:3] == ["hazard.record", "hazard.report", "hazard.reinspect"] or set(kinds) >= {
        "hazard.record",
        "hazard.report",
        "hazard.reinspect",
    }

    # The old hazard is settled by the step-level re-inspection; then the inspection closes.
    assert Hazard.objects.get(pk=old.pk).state == "open"
    r = c.post(
        f"/api/v1/hazards/{old.pk}/report/", {"note": "已安装报警装置"}, content_type="application/json"
    )
    r = c.post(f"/api/v1/hazards/{old.pk}/reinspect/", {"rectified": True}, content_type="application/json")
    assert r.status_code == 200
    assert not insp.hazards.exclude(state="rectified").exists()

    # Reading one is a ledger event; the list shows both with their state.
    r = c.get(f"/api/v1/hazards/{hid}/")
    assert r.status_code == 200 and r.json()["description"] == "配电箱未接地"
    assert Event.objects.filter(kind="hazard.view").exists()
    listing = c.get("/api/v1/hazards/", {"status": "fixed"}).json()
    assert {h["id"] for h in listing["results"]} == {hid, old.pk}


def test_unfixed_hazards_move_to_a_penalty_matter_in_one_action(team, client):
    insp = _inspected(team, days=20)
    _order(team, insp, timezone.localdate() - timedelta(days=3))  # the deadline has passed
    hazard = insp.hazards.get()
    c = _api(client, team.officer)
    r = c.post(
        f"/api/v1/hazards/{hazard.pk}/reinspect/",
        {"rectified": False, "note": "未整改"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "not_rectified"
    overdue = c.get("/api/v1/hazards/", {"status": "overdue"}).json()["results"]
    assert [h["id"] for h in overdue] == [hazard.pk]

    r = c.post(f"/api/v1/matters/{insp.pk}/hazards/refer/", {}, content_type="application/json")
    assert r.status_code == 201, r.content
    penalty = Matter.objects.get(pk=r.json()["id"])
    assert penalty.kind == "penalty" and penalty.party_id == team.party.pk
    assert "储罐区未设置可燃气体报警装置" in penalty.facts
    hazard.refresh_from_db()
    assert hazard.state == "referred" and hazard.penalty_id == penalty.pk
    ev = Event.objects.get(kind="matter.hazards_referred")
    assert ev.data["penalty"] == penalty.pk and ev.data["hazards"] == [hazard.pk]
    # Nothing left to move: a second action is refused in Chinese and opens nothing.
    count = Matter.objects.count()
    r = c.post(f"/api/v1/matters/{insp.pk}/hazards/refer/", {}, content_type="application/json")
    assert r.status_code == 400 and "没有未整改的隐患" in r.json()["detail"]
    assert Matter.objects.count() == count


def test_hazards_of_another_section_are_refused_and_logged(team, client, make_staff, agency):
    from org.models import Section

    insp = _inspected(team)
    hazard = insp.hazards.get()
    other = Section.objects.create(agency=agency, name="危化品监管科")
    stranger = make_staff("officer", certificate=True, name="周某", username="zhou", section=other)
    c = _api(client, stranger)
    assert c.get(f"/api/v1/hazards/{hazard.pk}/").status_code == 404
    assert (
        Event.objects.filter(kind="hazard.denied", actor=stranger).exists()
        or Event.objects.filter(kind="hazard.denied").exists()
    )
    r = c.post(f"/api/v1/hazards/{hazard.pk}/report/", {"note": "x"}, content_type="application/json")
    assert r.status_code == 404
    assert Hazard.objects.get(pk=hazard.pk).state == "open"
    assert c.get("/api/v1/hazards/").json()["results"] == []
