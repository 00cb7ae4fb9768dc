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

LATE = "据纸质执法文书事后录入"


def _inspected(team, *, days=10):
    """An inspection of the team's party, carried out `days` ago with one hazard from the form; the
    steps are entered afterwards from the paper file, so they claim their own times and say why."""
    a, b = team.officer, team.partner
    when = timezone.now() - timedelta(days=days)
    insp = matter_open(acting_user=a, kind="inspection", title="例行检查", party=team.party, officers=[a, b])
    matter_transition(
        acting_user=a,
        matter=insp,
        transition="plan",
        data={"place": "厂区", "time": when, "facts": "危化品储存"},
        occurred_at=when - timedelta(hours=2),
        late_reason=LATE,
    )
    insp.refresh_from_db()
    matter_transition(
        acting_user=a,
        matter=insp,
        transition="inspect",
        officers=[a, b],
        records=[team.clip("现场检查")],
        data={"place": "厂区", "time": when, "findings": "储罐区", "hazards": "储罐区未设置可燃气体报警装置"},
        occurred_at=when,
        late_reason=LATE,
    )
    insp.refresh_from_db()
    return insp


def _order(team, insp, rectify_by):
    """The rectification order, made and served on the spot an hour after the inspection."""
    a = team.officer
    served = min(insp.steps.latest("occurred_at").occurred_at + timedelta(hours=1), timezone.now())
    matter_transition(
        acting_user=a,
        matter=insp,
        transition="order_rectification",
        data={"basis": "安全生产法第六十五条", "rectify_by": rectify_by},
        service=ServiceInput("direct", "王某", served, signer="王某", receipt=team.scan("回执")),
        occurred_at=served,
        late_reason=LATE,
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


def test_the_register_page_filters_and_the_pages_record_report_reinspection_and_referral(team, client):
    from enterprises.services import enterprise_create
    from org.tests.factories import make_uscc

    insp = _inspected(team, days=20)
    _order(team, insp, timezone.localdate() - timedelta(days=2))
    overdue = insp.hazards.get()
    other = enterprise_create(
        agency=team.agency,
        uscc=make_uscc("91220500MA0000002"),
        name="通化西山机械厂",
        legal_representative="刘某",
        industry="机械",
    )
    second = matter_open(
        acting_user=team.officer,
        kind="inspection",
        title="复查前检查",
        party=other,
        officers=[team.officer, team.partner],
    )
    from matters.hazards import hazard_record
    from matters.models import Step

    found = Step.objects.create(
        matter=second,
        transition="inspect",
        label="现场检查",
        from_state="planned",
        to_state="inspected",
        occurred_at=timezone.now() - timedelta(days=1),
        acted_by=team.officer,
    )
    fresh = hazard_record(
        acting_user=team.officer,
        matter=second,
        description="安全出口堵塞",
        location="装配车间",
        rule_broken="《安全生产法》",
        article="第四十二条",
        rectify_by=timezone.localdate() + timedelta(days=7),
    )
    assert fresh.found_in == found
    client.force_login(team.officer)

    page = client.get("/matters/hazards/", {"status": "overdue"}).content.decode()
    assert "储罐区未设置可燃气体报警装置" in page and "安全出口堵塞" not in page and "已逾期" in page
    page = client.get("/matters/hazards/", {"status": "open", "enterprise": other.pk}).content.decode()
    assert "安全出口堵塞" in page and "储罐区未设置" not in page
    page = client.get("/matters/hazards/", {"status": "all", "section": team.section.pk}).content.decode()
    assert "安全出口堵塞" in page and "储罐区未设置" in page
    assert Event.objects.filter(kind="hazard.view", actor=team.officer).exists()

    # The party reports, and the officer re-inspects, on the hazard's page.
    r = client.post(
        f"/matters/hazards/{fresh.pk}/", {"action": "reinspect", "rectified": "yes", "note": "看过"}
    )
    assert r.status_code == 200 and "整改完毕报告" in r.content.decode()
    assert Hazard.objects.get(pk=fresh.pk).state == "open"
    photo = team.scan("疏通后的安全出口")
    r = client.post(
        f"/matters/hazards/{fresh.pk}/", {"action": "report", "note": "已清理通道", "photos": [photo.pk]}
    )
    assert r.status_code == 302
    r = client.post(
        f"/matters/hazards/{fresh.pk}/", {"action": "reinspect", "rectified": "yes", "note": "通道畅通"}
    )
    assert r.status_code == 302
    fresh.refresh_from_db()
    assert fresh.state == "rectified" and list(fresh.report_photos.all()) == [photo]
    assert "疏通后的安全出口" in client.get(f"/matters/hazards/{fresh.pk}/").content.decode()

    # The overdue one is moved to a penalty matter from its page with one click.
    r = client.post(
        f"/matters/hazards/{overdue.pk}/", {"action": "reinspect", "rectified": "no", "note": "未整改"}
    )
    assert r.status_code == 302
    assert "移交立案查处" in client.get(f"/matters/hazards/{overdue.pk}/").content.decode()
    r = client.post(f"/matters/{insp.pk}/hazards/refer/")
    penalty = Matter.objects.get(kind="penalty")
    assert r.status_code == 302 and r["Location"].endswith(f"/matters/{penalty.pk}/")
    overdue.refresh_from_db()
    assert overdue.penalty == penalty and overdue.state == "referred"

    # 一企一档: the enterprise's inspections, hazards, penalties and 文书.
    page = client.get(f"/matters/enterprises/{team.party.pk}/").content.decode()
    assert "例行检查" in page and "储罐区未设置可燃气体报警装置" in page and penalty.title in page
    assert "责令限期整改指令书" in page or "现场检查记录" in page
    assert "复查前检查" not in page and "安全出口堵塞" not in page
    assert Event.objects.filter(kind="enterprise.file_view", actor=team.officer).exists()
    assert "一企一档" in client.get(f"/enterprises/{team.party.pk}/").content.decode()


def test_a_hazard_is_recorded_on_its_page_with_photo_and_rule(team, client):
    insp = _inspected(team)
    photo = team.scan("配电箱照片")
    client.force_login(team.officer)
    assert "登记隐患" in client.get("/matters/hazards/", {"status": "all"}).content.decode()
    due = timezone.localdate() + timedelta(days=10)
    # A past deadline is refused in Chinese and nothing is written.
    before = Hazard.objects.count()
    r = client.post(
        f"/matters/{insp.pk}/hazards/new/",
        {"description": "配电箱未接地", "rectify_by": (timezone.localdate() - timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 200 and "整改期限不能早于今天" in r.content.decode()
    assert Hazard.objects.count() == before
    r = client.post(
        f"/matters/{insp.pk}/hazards/new/",
        {
            "description": "配电箱未接地",
            "location": "二车间",
            "photo": photo.pk,
            "rule_broken": "《安全生产法》",
            "article": "第三十六条",
            "rectify_by": due.isoformat(),
        },
    )
    assert r.status_code == 302
    hazard = Hazard.objects.get(description="配电箱未接地")
    assert (hazard.photo, hazard.article, hazard.rectify_by, hazard.deadline.due.date()) == (
        photo,
        "第三十六条",
        due,
        due,
    )
    page = client.get(f"/matters/hazards/{hazard.pk}/").content.decode()
    assert "配电箱照片" in page and "第三十六条" in page
    # A penalty matter takes no hazards.
    case = matter_open(
        acting_user=team.officer,
        kind="penalty",
        title="案件",
        party=team.party,
        officers=[team.officer, team.partner],
    )
    r = client.post(f"/matters/{case.pk}/hazards/new/", {"description": "某隐患"})
    assert "隐患只能登记在行政检查事项中" in r.content.decode()


def test_a_hazard_recorded_before_the_register_still_shows_on_the_workbench(team, client):
    insp = _inspected(team)
    due = timezone.localdate() + timedelta(days=3)
    # The old form: a rectify_by date on the row and no tracked deadline.
    Hazard.objects.filter(matter=insp).update(rectify_by=due, deadline=None)
    client.force_login(team.officer)
    rows = [r for r in client.get("/api/v1/matters/workbench/").json() if "储罐区" in r["label"]]
    assert len(rows) == 1 and rows[0]["due"].startswith(due.isoformat())
    assert "储罐区未设置可燃气体报警装置" in client.get("/matters/hazards/").content.decode()


def test_the_api_bounds_a_new_hazard(team, client):
    insp = _inspected(team)
    c = _api(client, team.officer)
    url = f"/api/v1/matters/{insp.pk}/hazards/"
    before = (Hazard.objects.count(), Event.objects.count())
    r = c.post(
        url, {"description": "消防通道堵塞", "rectify_by": "9999-01-01"}, content_type="application/json"
    )
    assert r.status_code == 400 and "整改期限应在" in r.json()["detail"]
    r = c.post(url, {"description": "   "}, content_type="application/json")
    assert r.status_code == 400
    r = c.post(url, {"description": "消防通道堵塞", "article": "条" * 61}, content_type="application/json")
    assert r.status_code == 400
    assert (Hazard.objects.count(), Event.objects.count()) == before
    r = c.post(url, {"description": "消防通道堵塞"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["photo"] is None and r.json()["rectify_by"] is None


def test_the_matter_reinspection_before_the_deadline_follows_the_party_report(team, client):
    """001 第八条: before the deadline the inspection's re-inspection waits for the party's report of
    every open hazard; the refusal says where to record it, and the matter page links each hazard."""
    from django.core.exceptions import ValidationError

    from matters.hazards import hazard_report_fixed

    insp = _inspected(team, days=2)
    _order(team, insp, timezone.localdate() + timedelta(days=10))
    hazard = insp.hazards.get()
    reinspect = {"time": timezone.now(), "rectified": "yes", "result": "已整改"}

    def step():
        insp.refresh_from_db()
        return matter_transition(
            acting_user=team.officer, matter=insp, transition="reinspect", officers=[team.officer, team.partner],
            records=[team.clip("复查")], data=dict(reinspect),
            service=ServiceInput("direct", "王某", timezone.now(), signer="王某", receipt=team.scan("复查回执")),
        )

    with pytest.raises(ValidationError, match="登记当事人的整改完毕报告"):
        step()
    page = _api(client, team.officer).get(f"/matters/{insp.pk}/").content.decode()
    assert f"/matters/hazards/{hazard.pk}/#report-form" in page and "登记整改完毕报告" in page
    hazard_report_fixed(acting_user=team.officer, hazard=hazard, note="报警装置已安装")
    step()
    insp.refresh_from_db()
    assert insp.state == "reinspected" and insp.hazards.get().state == "rectified"
