import pytest
from django.urls import reverse

from policy.models import CalendarArrangement

pytestmark = pytest.mark.django_db


def test_chief_sees_the_agency_rules_grouped_with_their_articles(login, make_staff):
    body = login(make_staff("section_chief")).get(reverse("policy:rules")).content.decode()
    assert "执法规则：抚顺市应急管理局政策包" in body
    assert "重大执法决定法制审核" in body and "音像记录" in body
    # An agency rule with its document and article …
    assert "《抚顺市应急管理局安全生产行政执法公示制度》第二十一条" in body
    assert "seeds/000_04a1bc6199d80048.txt" in body
    # … and a national rule it inherits, marked as such.
    assert "《中华人民共和国行政处罚法》第六十条" in body and "沿用全国法定基线政策包" in body
    assert "10,000元" in body and "100,000元" in body


def test_rules_on_a_past_date(login, make_staff):
    body = login(make_staff("officer")).get(reverse("policy:rules") + "?on=2020-06-01").content.decode()
    # Before the 2021 regulations took effect only the national and work-safety rules applied (the
    # agency's later versions appear only in a rule's history).
    assert 'id="rule-review.time_limit"' not in body and "第六十条" in body
    row = body[body.index('id="rule-publicity.penalty_deadline"') :]
    row = row[: row.index("</tr>")]
    assert "沿用安全生产领域政策包" in row and "历史版本（3）" in row


def test_other_packs_need_the_right_role(login, make_staff, client):
    url = reverse("policy:rules") + "?pack=yuyao-city"
    assert login(make_staff("officer")).get(url).status_code == 403
    client.logout()
    body = login(make_staff("leader")).get(url).content.decode()
    assert "余姚市应急管理局" in body and "50,000元" in body
    assert client.get(reverse("policy:rules") + "?pack=nowhere").status_code == 404


def test_calendar_page_marks_provisional_years(login, make_staff):
    body = (
        login(make_staff("officer"))
        .get(reverse("policy:calendar") + "?start=2026-12-20&days=10")
        .content.decode()
    )
    assert "2027年1月4日" in body and "暂定" in body
    assert "录入节假日安排" not in body  # the form is for administrators


def test_admin_enters_an_arrangement_through_the_page(login, make_staff):
    client = login(make_staff("admin"))
    response = client.post(
        reverse("policy:arrangement_new"),
        {
            "year": 2027,
            "document": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
            "holidays": "2027-01-01 元旦\n2027-02-05 ~ 2027-02-12 春节",
            "workdays": "2027-01-30\n2027-02-20",
        },
    )
    assert response.status_code == 302
    arrangement = CalendarArrangement.objects.get(year=2027)
    assert len(arrangement.holidays) == 9 and arrangement.workdays == ["2027-01-30", "2027-02-20"]
    body = client.get(reverse("policy:calendar") + "?start=2026-12-20&days=10", follow=True).content.decode()
    assert "已录入安排" in body


def test_a_malformed_arrangement_is_refused_with_the_line(login, make_staff):
    client = login(make_staff("admin"))
    response = client.post(
        reverse("policy:arrangement_new"),
        {"year": 2027, "document": "通知", "holidays": "2027-02-05 ~ 2027-02-30 春节", "workdays": ""},
    )
    assert "第1行的日期不存在" in response.content.decode()
    response = client.post(
        reverse("policy:arrangement_new"),
        {"year": 2027, "document": "通知", "holidays": "2027-01-01", "workdays": "2027-01-06"},
    )
    assert "调休上班日应为周末" in response.content.decode()
    assert not CalendarArrangement.objects.exists()


def test_a_wrong_date_is_explained_and_today_shown(login, make_staff):
    body = login(make_staff("officer")).get(reverse("policy:rules") + "?on=2026-02-30").content.decode()
    assert "查看日期“2026-02-30”不是有效日期" in body and "第二十一条" in body
