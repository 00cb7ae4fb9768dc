"""Agency supplements (本单位补充规定, issue 11 item 5): an administrator adopts a figure by the
agency's own document through the API and the rules page; it overlays the pack from its date."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprises.choices import PartyKind
from ledger.models import Event
from policy.models import RuleSupplement
from policy.selectors import agency_rules
from policy.services import deadline_track
from review.scope import scope_for

pytestmark = pytest.mark.django_db

THRESHOLD = {
    "key": "review.fine_threshold_organisation",
    "value": 50000,
    "unit": "yuan",
    "document_title": "平顶山高新区应急管理局关于较大数额罚款标准的通知",
    "document_number": "平开应急〔2026〕3号",
    "article": "第二条",
    "summary": "对法人或者其他组织罚款五万元以上为较大数额罚款，须法制审核。",
    "effective_from": "2026-11-01",
}


@pytest.fixture
def pingdingshan(agency):
    agency.policy_pack = "pingdingshan-hitech"
    agency.save(update_fields=["policy_pack"])
    return agency


def _fine(agency, amount: int):
    """A penalty matter about to be decided (what review.scope reads), not saved."""
    return SimpleNamespace(
        pk=None,
        agency=agency,
        kind="penalty",
        measures=[],
        fine_amount=Decimal(amount),
        party=SimpleNamespace(kind=PartyKind.LEGAL_PERSON),
        data={},
    )


def test_pingdingshan_adopts_its_larger_amount_through_the_api(pingdingshan, make_staff, login):
    api = login(make_staff("admin"))
    response = api.post(reverse("api-policy-supplements"), THRESHOLD, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["document_number"] == "平开应急〔2026〕3号" and body["effective_from"] == "2026-11-01"
    event = Event.objects.get(kind="policy.supplement_adopt")
    assert event.data["key"] == "review.fine_threshold_organisation" and event.data["value"] == 50000

    # The day before it takes effect the pack still sets no figure; from that day it does.
    assert "review.fine_threshold_organisation" not in agency_rules(pingdingshan, date(2026, 10, 31))
    rule = agency_rules(pingdingshan, date(2026, 11, 1)).rule("review.fine_threshold_organisation")
    assert rule.value == 50000
    assert rule.cited() == "《平顶山高新区应急管理局关于较大数额罚款标准的通知（平开应急〔2026〕3号）》第二条"

    # Legal review's catalogue (附件5 较大数额罚款) now reads the adopted figure.
    [hit] = scope_for(_fine(pingdingshan, 60000), on=date(2026, 11, 2))
    assert hit.code == "penalty.fine" and "平开应急〔2026〕3号" in hit.reason
    assert scope_for(_fine(pingdingshan, 30000), on=date(2026, 11, 2)) == []

    listed = api.get(reverse("api-policy-supplements")).json()
    assert [s["key"] for s in listed] == ["review.fine_threshold_organisation"]
    rules = {r["key"]: r for r in api.get(reverse("api-policy-rules") + "?on=2026-11-02").json()["rules"]}
    assert rules["review.fine_threshold_organisation"]["pack"] == "agency-supplement"
    assert rules["review.fine_threshold_organisation"]["applied_in"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": "review.no_such_rule"}, "规则“review.no_such_rule”不存在"),
        ({"unit": "working_days"}, "不能使用单位"),
        ({"value": -5}, "不符合要求"),
        ({"value": "五万"}, "不符合要求"),
        ({"article": "第二段"}, "格式无法识别"),
        ({"document_number": "  "}, "文号"),
        ({"document_title": "文" * 201}, "200"),
        ({"effective_from": "1999-12-31"}, "施行日期"),
    ],
)
def test_bad_supplements_are_refused_in_chinese_and_change_nothing(
    pingdingshan, make_staff, login, change, message
):
    api = login(make_staff("admin"))
    response = api.post(reverse("api-policy-supplements"), THRESHOLD | change, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not RuleSupplement.objects.exists()
    assert not Event.objects.filter(kind="policy.supplement_adopt").exists()


def test_only_an_administrator_adopts_and_a_day_takes_one_supplement(pingdingshan, make_staff, login, client):
    refused = login(make_staff("leader")).post(
        reverse("api-policy-supplements"), THRESHOLD, content_type="application/json"
    )
    assert refused.status_code == 403 and "系统管理员" in refused.json()["detail"]
    assert not RuleSupplement.objects.exists()
    client.logout()
    api = login(make_staff("admin"))
    assert api.post(reverse("api-policy-supplements"), THRESHOLD, content_type="application/json").status_code == 201
    again = api.post(
        reverse("api-policy-supplements"), THRESHOLD | {"value": 80000}, content_type="application/json"
    )
    assert again.status_code == 400 and "另行录入" in again.json()["detail"]
    assert RuleSupplement.objects.count() == 1


def test_a_deadline_keeps_the_rule_in_force_when_it_started(agency, make_staff, login):
    api = login(make_staff("admin"))
    today = timezone.localdate()
    payload = {
        "key": "publicity.update_after_change",
        "value": 10,
        "unit": "working_days",
        "document_title": "关于缩短公示内容更新期限的通知",
        "document_number": "测应急〔2026〕9号",
        "article": "第一条",
        "summary": "公示内容自依据变化之日起10个工作日内更新。",
        "effective_from": today.isoformat(),
    }
    assert api.post(reverse("api-policy-supplements"), payload, content_type="application/json").status_code == 201
    before = timezone.make_aware(datetime.combine(today - timedelta(days=3), datetime.min.time()))
    after = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    old = deadline_track(agency=agency, subject=agency, rule_key="publicity.update_after_change", start=before)
    new = deadline_track(agency=agency, subject=agency, rule_key="publicity.update_after_change", start=after)
    assert old.amount == 20  # 抚顺 公示制度第十九条, in force when the period started
    assert new.amount == 10


def test_the_rules_page_adopts_a_figure_and_shows_its_history(agency, make_staff, login):
    client = login(make_staff("admin"))
    page = client.get(reverse("policy:rules")).content.decode()
    assert "录入补充规定</button>" in page
    # The 10 s tolerance is a platform default until the agency adopts its own figure.
    assert "平台默认值" in page
    # Where each rule is applied.
    assert "系统执行位置" in page and "records/services.py" in page
    response = client.post(
        reverse("policy:supplement_new"),
        {
            "key": "av.interruption_tolerance",
            "unit": "seconds",
            "value": "5",
            "document_title": "抚顺市应急管理局执法记录仪使用细则",
            "document_number": "抚应急〔2026〕12号",
            "article": "第四条",
            "summary": "同一设备相邻片段间隔超过5秒即视为中断。",
            "effective_from": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302
    rule = agency_rules(agency).rule("av.interruption_tolerance")
    assert rule.value == 5 and not rule.platform_default
    page = client.get(reverse("policy:rules")).content.decode()
    assert "本单位补充规定" in page and "抚应急〔2026〕12号" in page
    assert "历史版本（2）" in page

    bad = client.post(reverse("policy:supplement_new"), {"key": "av.interruption_tolerance", "unit": "seconds", "value": "五秒"})
    assert bad.status_code == 200 and "不是整数" in bad.content.decode()
    assert RuleSupplement.objects.count() == 1


def test_staff_without_the_role_get_no_form(make_staff, login):
    page = login(make_staff("officer")).get(reverse("policy:rules")).content.decode()
    assert "录入补充规定</button>" not in page and "本单位尚未录入补充规定" in page
    assert login(make_staff("officer")).get(reverse("policy:supplement_new")).status_code == 403
