"""检查码: an inspection gets its code with its plan; the enterprise scans it, sees who inspects on
which item, rates the inspection once afterwards; frequent inspections of one enterprise are
flagged on the matter and enterprise pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from field.models import InspectionCode, InspectionRating
from ledger.models import Event
from matters.services import matter_open, matter_transition
from org.models import EnforcementCertificate
from policy.selectors import agency_rules

pytestmark = pytest.mark.django_db


def _planned(team, title="例行检查"):
    a, b = team.officer, team.partner
    insp = matter_open(acting_user=a, kind="inspection", title=title, party=team.party, officers=[a, b])
    when = timezone.now() + timedelta(hours=1)
    matter_transition(
        acting_user=a, matter=insp, transition="plan", data={"place": "厂区", "time": when, "facts": "危化品储存管理"}
    )
    insp.refresh_from_db()
    return insp


def _inspect(team, insp):
    a, b = team.officer, team.partner
    now = timezone.now()
    matter_transition(
        acting_user=a,
        matter=insp,
        transition="inspect",
        officers=[a, b],
        records=[team.clip("现场检查")],
        data={"place": "厂区", "time": now, "findings": "储罐区检查", "hazards": ""},
        occurred_at=now,
    )
    insp.refresh_from_db()


def test_the_plan_gives_the_inspection_its_code_and_the_enterprise_sees_who_inspects(team, client):
    insp = _planned(team)
    code = InspectionCode.objects.get(matter=insp)
    assert len(code.token) >= 43  # 256 random bits
    assert Event.objects.filter(kind="inspection_code.issue", subject_id=str(code.pk)).exists()

    page = client.get(f"/public/visit/{code.token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "例行检查" in html and team.agency.name in html and "危化品储存管理" in html
    for officer in (team.officer, team.partner):
        cert = EnforcementCertificate.objects.get(staff=officer)
        assert officer.name in html and cert.number in html
    assert "待实施" in html and 'id="rate"' not in html  # nothing to rate before the inspection
    assert Event.objects.filter(kind="inspection_code.view", subject_id=str(code.pk)).count() == 1

    # a guessed or altered code opens nothing
    assert client.get(f"/public/visit/{code.token[:-1]}x/").status_code == 404
    assert client.get("/public/visit/" + "a" * 60 + "/").status_code == 404

    # the officer's page shows the code as a QR image drawn by zhifa
    client.force_login(team.officer)
    shown = client.get(f"/field/matters/{insp.pk}/code/").content.decode()
    assert "<svg" in shown and code.token in shown
    detail = client.get(f"/matters/{insp.pk}/").content.decode()
    assert "出示检查码" in detail


def test_the_enterprise_rates_once_after_the_inspection_and_bad_input_changes_nothing(team, client):
    insp = _planned(team)
    code = insp.inspection_code
    before = client.post(f"/public/visit/{code.token}/", {"score": "5"})
    assert "实施现场检查后才能评价" in before.content.decode()
    assert not InspectionRating.objects.exists()

    _inspect(team, insp)
    assert 'id="rate"' in client.get(f"/public/visit/{code.token}/").content.decode()
    for bad in ({"score": "9"}, {"score": "x"}, {"score": "4", "comment": "很" * 501}):
        r = client.post(f"/public/visit/{code.token}/", bad)
        assert r.status_code == 200 and not InspectionRating.objects.exists()
    r = client.post(f"/public/visit/{code.token}/", {"score": "2", "comment": "检查人员未出示证件"})
    assert r.status_code == 302
    rating = InspectionRating.objects.get()
    assert (rating.score, rating.comment) == (2, "检查人员未出示证件")
    assert Event.objects.filter(kind="inspection_rating.create", subject_id=str(rating.pk)).exists()
    again = client.post(f"/public/visit/{code.token}/", {"score": "5"}, follow=True)
    assert "已评价" in again.content.decode()
    assert InspectionRating.objects.get().score == 2

    client.force_login(team.officer)
    assert "检查人员未出示证件" in client.get(f"/matters/{insp.pk}/").content.decode()
    # supervision sees the ratings
    client.force_login(team.reviewer)
    listing = client.get("/field/ratings/").content.decode()
    assert "检查人员未出示证件" in listing and "不满意" in listing


def test_frequent_inspections_of_one_enterprise_are_flagged_with_the_packs_limit(team, client):
    a, b = team.officer, team.partner
    first = matter_open(acting_user=a, kind="inspection", title="第一次检查", party=team.party, officers=[a, b])
    client.force_login(team.officer)
    assert 'id="frequency-flag"' not in client.get(f"/matters/{first.pk}/").content.decode()
    matter_open(acting_user=a, kind="inspection", title="第二次检查", party=team.party, officers=[a, b])
    third = _planned(team, "第三次检查")  # the national pack's platform default: more than 2 in 365 days
    rules = agency_rules(team.agency)
    assert rules.get("field.inspection_frequency_limit").value == 2
    assert rules.get("field.inspection_frequency_period").value == 365
    page = client.get(f"/matters/{third.pk}/").content.decode()
    assert 'id="frequency-flag"' in page and "3次" in page and "国务院办公厅关于严格规范涉企行政检查的意见" in page
    assert 'id="frequency-flag"' in client.get(f"/enterprises/{team.party.pk}/").content.decode()
    assert "高频检查提示" in client.get(f"/public/visit/{third.inspection_code.token}/").content.decode()


def test_a_code_is_not_issued_after_the_inspection_or_for_another_kind(team):
    from django.core.exceptions import ValidationError

    from field.services import inspection_code_issue

    penalty = matter_open(acting_user=team.officer, kind="penalty", title="违法行为", party=team.party,
                          officers=[team.officer, team.partner])
    with pytest.raises(ValidationError, match="只有行政检查"):
        inspection_code_issue(matter=penalty, acting_user=team.officer)
    assert not InspectionCode.objects.filter(matter=penalty).exists()
