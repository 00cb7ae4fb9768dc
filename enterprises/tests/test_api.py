import pytest
from django.urls import reverse

from org.tests.factories import make_uscc

pytestmark = pytest.mark.django_db


def test_register_and_change_an_enterprise_through_the_api(login, make_staff):
    client = login(make_staff("officer"))
    code = make_uscc("91210411MA0000077")
    created = client.post(
        reverse("enterprise-list"),
        {"uscc": code, "name": "顺城测试公司", "legal_representative": "钱某", "industry": "冶金"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["uscc"] == code
    pk = created.json()["id"]
    changed = client.patch(
        reverse("enterprise-detail", kwargs={"pk": pk}), {"employees": 120}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["employees"] == 120
    refused = client.patch(
        reverse("enterprise-detail", kwargs={"pk": pk}),
        {"uscc": make_uscc("91210411MA0000078")},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "不能修改" in refused.json()["detail"]
    listed = client.get(reverse("enterprise-list"), {"q": "顺城"}).json()
    assert [e["name"] for e in listed["results"]] == ["顺城测试公司"]


def test_bad_code_through_the_api_gets_a_chinese_error(login, make_staff):
    client = login(make_staff("officer"))
    bad = client.post(
        reverse("enterprise-list"),
        {"uscc": "912104110000000000", "name": "x", "legal_representative": "y", "industry": "z"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "统一社会信用代码" in bad.json()["detail"]


def test_enterprise_pages(login, make_staff):
    client = login(make_staff("officer"))
    response = client.post(
        reverse("enterprises:new"),
        {
            "uscc": make_uscc("91210402MA0000011"),
            "name": "新抚测试印刷厂",
            "legal_representative": "孙某",
            "industry": "印刷",
            "risk_level": "low",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "新抚测试印刷厂" in page and "低风险" in page
    assert "新抚测试印刷厂" in client.get(reverse("enterprises:list")).content.decode()
