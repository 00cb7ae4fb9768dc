import pytest
from django.urls import reverse

from policy.models import CalendarArrangement

pytestmark = pytest.mark.django_db


def test_rules_api_gives_values_units_and_citations(login, make_staff):
    data = login(make_staff("officer")).get(reverse("api-policy-rules")).json()
    assert data["pack"] == "fushun-city" and data["chain"] == ["fushun-city", "work-safety", "national"]
    rules = {r["key"]: r for r in data["rules"]}
    assert rules["review.time_limit"]["value"] == 7 and rules["review.time_limit"]["unit"] == "working_days"
    citation = rules["review.time_limit"]["citations"][0]
    assert citation["article"] == "第十条" and "法制审核制度" in citation["document"]
    assert rules["penalty.payment_deadline"]["pack"] == "national"


def test_workdays_api_and_its_errors(login, make_staff):
    client = login(make_staff("officer"))
    ok = client.get(reverse("api-workdays-add"), {"start": "2026-12-20", "days": 10}).json()
    assert ok == {
        "start": "2026-12-20",
        "days": 10,
        "due": "2027-01-04",
        "provisional": True,
        "provisional_years": [2027],
    }
    bad = client.get(reverse("api-workdays-add"), {"start": "2026-02-30", "days": 1})
    assert bad.status_code == 400 and "不是有效日期" in bad.json()["detail"]
    bad = client.get(
        reverse("api-workdays-deadline"), {"start": "2026-01-01", "amount": 1, "unit": "fortnights"}
    )
    assert bad.status_code == 400 and "单位应为" in bad.json()["detail"]
    due = client.get(
        reverse("api-workdays-deadline"), {"start": "2025-09-16", "amount": 15, "unit": "days"}
    ).json()
    assert due["due"] == "2025-10-09"


def test_arrangement_api_for_admins_only(login, make_staff, client):
    payload = {
        "year": 2027,
        "document": "通知",
        "holidays": [{"date": "2027-01-01", "name": "元旦"}],
        "workdays": [],
    }
    officer = login(make_staff("officer"))
    assert (
        officer.post(reverse("arrangement-list"), payload, content_type="application/json").status_code == 403
    )
    client.logout()
    admin = login(make_staff("admin"))
    created = admin.post(reverse("arrangement-list"), payload, content_type="application/json")
    assert created.status_code == 201 and created.json()["year"] == 2027
    refused = admin.post(
        reverse("arrangement-list"), payload | {"workdays": ["2027-01-04"]}, content_type="application/json"
    )
    assert refused.status_code == 400 and "周末" in refused.json()["detail"]
    assert CalendarArrangement.objects.count() == 1


def test_pack_list_for_reviewers(login, make_staff):
    data = login(make_staff("legal_reviewer")).get(reverse("api-policy-packs")).json()
    ids = {p["id"] for p in data}
    assert ids == {
        "national",
        "work-safety",
        "fushun-city",
        "tonghua-city",
        "yuyao-city",
        "pingdingshan-hitech",
        "fushun-county-hrss",
    }


def test_openapi_schema_lists_the_endpoints(login, make_staff):
    response = login(make_staff("officer")).get(reverse("api-schema"), {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/policy/rules/" in paths and "/api/v1/staff/" in paths and "/api/v1/workdays/add/" in paths
