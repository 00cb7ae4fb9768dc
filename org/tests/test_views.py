from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from org.models import EnforcementCertificate, Staff
from org.tests.factories import PASSWORD, CertificateFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_and_wrong_password_says_so(client, make_staff):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "登录行政执法平台" in page.content.decode()
    officer = make_staff("officer")
    refused = client.post(reverse("login"), {"username": officer.username, "password": "nope"})
    assert "登录名或密码不正确" in refused.content.decode()


def test_log_in_lands_on_the_home_page_of_the_role(client, make_staff):
    officer = make_staff("officer", name="张伟", certificate=True)
    response = client.post(
        reverse("login"), {"username": officer.username, "password": PASSWORD}, follow=True
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "张伟的工作台" in body and "我的执法证" in body and "执法人员" in body
    assert "执法人员持证情况" not in body  # that section is for chiefs and leaders


def test_chief_home_lists_officers_without_a_valid_certificate(login, make_staff):
    chief = make_staff("section_chief", "officer", certificate=True)
    expired = make_staff("officer", name="过期者")
    CertificateFactory(staff=expired, valid_from=date(2020, 1, 1), valid_to=date.today() - timedelta(days=1))
    body = login(chief).get(reverse("home")).content.decode()
    assert "执法人员持证情况" in body and "过期者" in body and "无有效执法证" in body


def test_reviewer_home_shows_review_rules_with_their_articles(login, make_staff):
    body = login(make_staff("legal_reviewer")).get(reverse("home")).content.decode()
    assert "法制审核规则" in body
    assert "7个工作日" in body and "第十条" in body


def test_admin_creates_staff_through_the_page(login, make_staff, section):
    client = login(make_staff("admin"))
    response = client.post(
        reverse("org:staff_new"),
        {
            "username": "newbie",
            "name": "新同志",
            "password": "long-enough-1",
            "section": section.pk,
            "roles": ["officer"],
        },
    )
    staff = Staff.objects.get(username="newbie")
    assert response.status_code == 302 and response["Location"] == reverse(
        "org:staff_detail", kwargs={"pk": staff.pk}
    )
    assert staff.role_codes == {"officer"} and staff.section == section


def test_staff_page_refuses_an_unknown_role_in_chinese(login, make_staff):
    client = login(make_staff("admin"))
    response = client.post(
        reverse("org:staff_new"),
        {"username": "bad", "name": "某人", "password": "long-enough-1", "roles": ["janitor"]},
    )
    assert response.status_code == 200
    assert "janitor 不在可用的选项中" in response.content.decode()
    assert not Staff.objects.filter(username="bad").exists()


def test_officer_cannot_create_staff_and_is_told_why(login, make_staff):
    client = login(make_staff("officer"))
    response = client.post(
        reverse("org:staff_new"),
        {"username": "sneaky", "name": "某人", "password": "long-enough-1", "roles": ["admin"]},
    )
    body = response.content.decode()
    assert response.status_code == 403
    assert "您没有权限执行此操作，需要以下角色之一：系统管理员" in body and "未作任何更改" in body
    assert not Staff.objects.filter(username="sneaky").exists()


def test_certificate_form_refuses_end_before_start(login, make_staff):
    officer = make_staff("officer")
    client = login(make_staff("admin"))
    response = client.post(
        reverse("org:certificate_new", kwargs={"pk": officer.pk}),
        {
            "number": "X9",
            "category": "安全生产",
            "region": "抚顺市",
            "valid_from": "2026-06-01",
            "valid_to": "2026-05-01",
        },
    )
    assert "早于有效期起" in response.content.decode()
    assert not EnforcementCertificate.objects.filter(number="X9").exists()


def test_agency_page_shows_staff_to_chiefs_but_not_to_officers(login, make_staff, client):
    officer = make_staff("officer", name="普通执法员")
    chief = make_staff("section_chief", name="大队长甲")
    officer_view = login(officer).get(reverse("org:agency")).content.decode()
    assert "内设机构" in officer_view and "大队长甲" not in officer_view
    client.logout()
    chief_view = login(chief).get(reverse("org:agency")).content.decode()
    assert "普通执法员" in chief_view and "大队长甲" in chief_view


def test_agency_page_query_count_does_not_grow_with_staff(login, make_staff):
    client = login(make_staff("admin"))

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("org:agency")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        CertificateFactory(staff=make_staff("officer"))
    few = queries()
    for _ in range(6):
        CertificateFactory(staff=make_staff("officer", "section_chief"))
    assert queries() == few


def test_officer_sees_own_record_but_not_colleagues(login, make_staff):
    officer, colleague = make_staff("officer"), make_staff("officer")
    client = login(officer)
    assert client.get(reverse("org:staff_detail", kwargs={"pk": officer.pk})).status_code == 200
    assert client.get(reverse("org:staff_detail", kwargs={"pk": colleague.pk})).status_code == 403


def test_officer_with_an_expired_certificate_is_told_on_the_home_page(login, make_staff):
    officer = make_staff("officer")
    CertificateFactory(
        staff=officer, number="OLD1", valid_from=date(2020, 1, 1), valid_to=date.today() - timedelta(days=3)
    )
    body = login(officer).get(reverse("home")).content.decode()
    expired_on = (date.today() - timedelta(days=3)).isoformat()
    assert f"执法证 OLD1已于 {expired_on} 过期" in body and "不能承担执法工作" in body
