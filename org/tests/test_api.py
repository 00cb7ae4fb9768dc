from datetime import date, timedelta

import pytest
from django.urls import reverse

from org.models import EnforcementCertificate, Staff
from org.tests.factories import CertificateFactory

pytestmark = pytest.mark.django_db


def test_admin_creates_staff_and_unknown_roles_are_refused(login, make_staff, section):
    client = login(make_staff("admin"))
    created = client.post(
        reverse("staff-list"),
        {
            "username": "api_user",
            "name": "接口新增",
            "roles": ["officer"],
            "section": section.pk,
            "password": "long-enough-1",
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["roles"] == ["officer"]
    refused = client.post(
        reverse("staff-list"),
        {"username": "api_bad", "name": "某人", "roles": ["overlord"]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "未知角色：overlord" in refused.json()["detail"]
    assert not Staff.objects.filter(username="api_bad").exists()


def test_certificate_api_refuses_reversed_period_and_duplicates(login, make_staff):
    officer = make_staff("officer")
    client = login(make_staff("admin"))
    payload = {
        "staff": officer.pk,
        "number": "C-1",
        "category": "安全生产",
        "region": "抚顺市",
        "valid_from": "2026-05-01",
        "valid_to": "2026-04-01",
    }
    reversed_period = client.post(reverse("certificate-list"), payload, content_type="application/json")
    assert reversed_period.status_code == 400 and "早于有效期起" in reversed_period.json()["detail"]
    ok = client.post(
        reverse("certificate-list"), payload | {"valid_to": "2027-04-30"}, content_type="application/json"
    )
    assert ok.status_code == 201
    again = client.post(
        reverse("certificate-list"), payload | {"valid_to": "2027-04-30"}, content_type="application/json"
    )
    assert again.status_code == 400 and "已被登记" in again.json()["detail"]
    assert EnforcementCertificate.objects.filter(number="C-1").count() == 1


def test_assignable_officers_and_the_reason_one_is_not(login, make_staff):
    chief = make_staff("section_chief")
    fine = make_staff("officer", name="持证者")
    CertificateFactory(staff=fine)
    lapsed = make_staff("officer", name="过期者")
    CertificateFactory(staff=lapsed, valid_from=date(2020, 1, 1), valid_to=date.today() - timedelta(days=2))
    client = login(chief)
    names = [s["name"] for s in client.get(reverse("api-officers-assignable")).json()]
    assert names == ["持证者"]
    check = client.get(reverse("api-officer-check", kwargs={"pk": lapsed.pk})).json()
    assert check["assignable"] is False and "过期" in check["reason"]
    past = client.get(reverse("api-officer-check", kwargs={"pk": lapsed.pk}), {"on": "2021-06-01"}).json()
    assert past["assignable"] is True
    bad = client.get(reverse("api-officers-assignable"), {"on": "2026-13-01"})
    assert bad.status_code == 400 and "不是有效日期" in bad.json()["detail"]


def test_missing_fields_get_a_chinese_summary(login, make_staff):
    response = login(make_staff("admin")).post(
        reverse("certificate-list"), {"number": "Z"}, content_type="application/json"
    )
    body = response.json()
    assert (
        response.status_code == 400
        and "staff：该字段是必填项。" in body["detail"]
        and "valid_to" in body["errors"]
    )
