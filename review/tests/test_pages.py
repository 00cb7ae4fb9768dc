from datetime import date
from unittest import mock

import pytest
from django.urls import reverse

from org.tests.factories import AgencyFactory, SectionFactory
from policy.selectors import agency_rules
from review.choices import ReviewState
from review.models import LegalReview
from review.tests.helpers import complete_submission, make_matter

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_staff):
    return {
        "officer": make_staff("officer", certificate=True),
        "chief": make_staff("section_chief", certificate=True),
        "reviewer": make_staff("legal_reviewer", legal_qualification="A20231234567"),
        "leader": make_staff("leader"),
    }


def test_submission_page_refuses_incomplete_then_accepts(agency, section, people, client):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    client.force_login(people["officer"])
    url = reverse("review:submit", kwargs={"matter_pk": matter.pk})
    page = client.get(url).content.decode()
    assert "对公民罚款1万元以上" in page and "第三条" in page and "证据情况" in page
    response = client.post(url, {"situation": "情况"})
    body = response.content.decode()
    assert response.status_code == 200 and "送审材料不齐全" in body and "相关证据材料" in body
    assert not LegalReview.objects.exists()
    rules = agency_rules(agency)
    form = {f"app_{n}": "已写明" for n, _ in enumerate(rules.value("review.application_items"))}
    form.update(situation="情况说明", draft_decision="决定书草稿")
    for n in range(10):
        form[f"mat_{n}"] = "已附"
    response = client.post(url, form)
    assert response.status_code == 302
    review = LegalReview.objects.get()
    assert review.state == ReviewState.REVIEWING and review.materials.exists()
    assert "审核中" in client.get(url).content.decode()


def test_workbench_and_detail_for_the_reviewer(agency, section, people, client):
    from review.services import review_submit

    matter = make_matter(agency, section, people["officer"], amount="20000")
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 1, 5)):
        review = review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    client.force_login(people["reviewer"])
    bench = client.get(reverse("review:workbench")).content.decode()
    assert "已超期" in bench and matter.title in bench
    detail = client.get(reverse("review:detail", kwargs={"pk": review.pk})).content.decode()
    assert "指派" in detail and "要求补正" in detail
    response = client.post(
        reverse("review:assign", kwargs={"pk": review.pk}),
        {"reviewer": people["reviewer"].pk, "first": "on"},
    )
    assert response.status_code == 302 and review.assignments.filter(first=True).exists()
    opinion = client.get(reverse("review:opinion", kwargs={"pk": review.pk})).content.decode()
    assert "执法主体是否合法" in opinion and "科务会" in opinion
    form = {f"finding_{n}": "pass" for n in range(10)}
    form.update(outcome="agree", opinion="同意")
    response = client.post(reverse("review:opinion", kwargs={"pk": review.pk}), form)
    assert "科务会集体研究决定" in response.content.decode()  # 000 第九条第二款
    form.update(meeting_on=str(date.today()), meeting_minutes="科务会研究同意")
    with mock.patch("review.services._issue_letter", return_value=None):
        response = client.post(reverse("review:opinion", kwargs={"pk": review.pk}), form)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.OPINION and review.findings.count() == 10
    client.force_login(people["leader"])
    client.post(reverse("review:decide", kwargs={"pk": review.pk}), {"decision": "approve"})
    review.refresh_from_db()
    assert review.state == ReviewState.PASSED


def test_api_refuses_incomplete_submission_with_the_list(agency, section, people, client):
    matter = make_matter(agency, section, people["officer"], amount="20000")
    client.force_login(people["chief"])
    response = client.post(
        reverse("api-review-submit"), {"matter": matter.pk, "situation": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "证据情况" in response.json()["detail"] and "拟作出的决定书文本" in response.json()["detail"]
    data = complete_submission(matter)
    response = client.post(
        reverse("api-review-submit"), {"matter": matter.pk, **data}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["state"] == "reviewing"
    client.force_login(people["officer"])
    scope = client.get(reverse("api-review-scope", kwargs={"pk": matter.pk})).json()
    assert scope["required"] and scope["entries"][0]["code"] == "penalty.fine"


def test_staffing_on_agency_page(make_staff, client):
    yuyao = AgencyFactory(policy_pack="yuyao-city", name="余姚市应急管理局")
    section = SectionFactory(agency=yuyao, name="执法大队")
    for _ in range(21):
        make_staff("officer", agency=yuyao, section=section)
    leader = make_staff("leader", agency=yuyao, section=section)
    client.force_login(leader)
    page = client.get(reverse("org:agency")).content.decode()
    assert "法制审核人员配备" in page and "最低比例 5.0%" in page and "尚缺 2 人" in page
    api = client.get(reverse("api-review-staffing")).json()
    assert api["officers"] == 21 and api["reviewers"] == 0 and api["needed"] == 2


def test_home_page_counts_overdue_reviews(agency, section, people, client):
    from review.services import review_submit

    matter = make_matter(agency, section, people["officer"], amount="20000")
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 1, 5)):
        review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    client.force_login(people["reviewer"])
    assert "已超期 1 件" in client.get(reverse("home")).content.decode()


def test_api_runs_a_review_to_the_leaders_approval(agency, section, people, client):
    from review.services import review_submit

    matter = make_matter(agency, section, people["officer"], amount="20000")
    review = review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    client.force_login(people["reviewer"])
    url = lambda name: reverse(name, kwargs={"pk": review.pk})  # noqa: E731
    json = {"content_type": "application/json"}
    response = client.post(url("api-review-assign"), {"reviewer": people["reviewer"].pk, "first": True}, **json)
    assert response.status_code == 200 and response.json()["reviewers"][0]["first"]
    response = client.post(url("api-review-supplement"), {"items": ["询问笔录"], "supply_by": "2099-01-01"}, **json)
    assert response.json()["state"] == "supplementing" and response.json()["due"] is None
    client.force_login(people["chief"])
    response = client.post(url("api-review-provide"), {"materials": {"询问笔录": {"note": "已补"}}}, **json)
    assert response.status_code == 200 and response.json()["due"]
    client.force_login(people["reviewer"])
    checks = [{"finding": "pass"} for _ in agency_rules(agency).value("review.checklist")]
    body = {"findings": checks, "outcome": "agree", "opinion": "同意", "meeting_on": str(date.today()),
            "meeting_minutes": "科务会同意"}
    with mock.patch("review.services._issue_letter", return_value=None):
        response = client.post(url("api-review-opinion"), body, **json)
    assert response.status_code == 200 and response.json()["outcome"] == "agree"
    assert client.post(url("api-review-decide"), {"decision": "approve"}, **json).status_code == 403
    client.force_login(people["leader"])
    response = client.post(url("api-review-decide"), {"decision": "approve"}, **json)
    assert response.json()["state"] == "passed"
    assert client.get(reverse("api-review-scope", kwargs={"pk": matter.pk})).json()["required"]


def _kinds_since(index):
    from ledger.models import Event

    return list(Event.objects.filter(index__gt=index).values_list("kind", flat=True))


def _last():
    from ledger.models import Event

    return Event.objects.order_by("-index").values_list("index", flat=True).first() or -1


def test_review_submit_takes_only_a_matter_the_viewer_may_see(agency, section, people, client, make_staff, tmp_path):
    """Another section's matter: the submission page, the scope API, the API submission and the
    service itself refuse it, say who can act, and log a refusal (never a view)."""
    from django.core.exceptions import PermissionDenied

    from records.services import record_ingest
    from records.tests.clips import make_pdf
    from review.services import review_submit

    other = SectionFactory(agency=agency, name="危化科")
    theirs = make_staff("officer", certificate=True, section=other)
    matter = make_matter(agency, other, theirs, amount="20000")
    client.force_login(people["officer"])
    last = _last()
    for url in (
        reverse("review:submit", kwargs={"matter_pk": matter.pk}),
        reverse("api-review-scope", kwargs={"pk": matter.pk}),
    ):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 403, url
        assert matter.title not in body and "major_reason" not in body
        assert "危化科" in body  # who handles it
    submission = {"matter": matter.pk, **complete_submission(matter)}
    response = client.post(reverse("api-review-submit"), submission, content_type="application/json")
    assert response.status_code == 403
    assert _kinds_since(last) == ["matter.denied"] * 3
    with pytest.raises(PermissionDenied):
        review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    assert not LegalReview.objects.exists()

    # Their own matter, but a material naming a record of that section: refused, nothing stored.
    mine = make_matter(agency, section, people["officer"], amount="20000")
    record = record_ingest(
        acting_user=theirs, section=other, path=make_pdf(tmp_path / "x.pdf"), original_name="x.pdf", title="危化科笔录"
    ).version.record
    submission = complete_submission(mine)
    item = next(iter(submission["materials"]))
    submission["materials"][item] = {"note": "见附件", "records": [record.pk]}
    response = client.post(
        reverse("api-review-submit"), {"matter": mine.pk, **submission}, content_type="application/json"
    )
    # Out of the submitter's sight: the records selector's refusal, saying who approves, logged.
    assert response.status_code == 403 and "危化科" in response.json()["detail"], response.json()
    assert _kinds_since(last)[-1] == "record.denied"
    assert not LegalReview.objects.exists()


def test_a_review_shows_to_its_section_reviewers_and_leader_only(agency, section, people, client, make_staff):
    from review.services import review_submit

    other = SectionFactory(agency=agency, name="危化科")
    theirs = make_staff("officer", certificate=True, section=other)
    matter = make_matter(agency, other, theirs, amount="20000")
    review = review_submit(matter=matter, acting_user=theirs, **complete_submission(matter))
    url = reverse("review:detail", kwargs={"pk": review.pk})
    last = _last()
    client.force_login(people["chief"])  # the chief of another section
    response = client.get(url)
    assert response.status_code == 403 and "危化科" in response.content.decode()
    assert client.get(reverse("api-review-detail", kwargs={"pk": review.pk})).status_code == 403
    assert review.pk not in [r["id"] for r in client.get(reverse("api-review-list")).json()["results"]]
    assert _kinds_since(last) == ["review.denied", "review.denied"]
    for who in ("reviewer", "leader"):
        client.force_login(people[who])
        assert client.get(url).status_code == 200
    assert _kinds_since(last)[2:] == ["review.view", "review.view"]
    stranger = AgencyFactory()
    client.force_login(make_staff("legal_reviewer", agency=stranger, section=SectionFactory(agency=stranger)))
    last = _last()
    assert client.get(url).status_code == 404
    assert _kinds_since(last) == ["review.denied"]
