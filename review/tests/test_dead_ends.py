"""Legal review without dead ends (issue 13 item 6): no second submission, a wrong reviewer
corrected by the leader or the review section's chief, the matter page offering 送法制审核."""

from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ledger.models import Event
from matters.models import Step
from org.tests.factories import SectionFactory
from review import services
from review.choices import ReviewState
from review.models import LegalReview
from review.tests.helpers import checklist_all_pass, complete_submission, make_matter

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_staff, agency):
    legal = SectionFactory(agency=agency, name="政策法规科")
    return {
        "officer": make_staff("officer", certificate=True),
        "chief": make_staff("section_chief", certificate=True),
        "reviewer": make_staff("legal_reviewer", section=legal, legal_qualification="A20231234567"),
        "reviewer2": make_staff("legal_reviewer", section=legal, legal_qualification="A20231234568"),
        "legal_chief": make_staff("section_chief", "legal_reviewer", section=legal),
        "leader": make_staff("leader"),
    }


@pytest.fixture(autouse=True)
def no_letter():
    with mock.patch("review.services._issue_letter", return_value=None):
        yield


def _submit(matter, people):
    return services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))


def _decide(review, matter, people, decision="approve"):
    services.review_assign(review=review, reviewer=people["reviewer"], first=True, acting_user=people["reviewer"])
    services.review_opinion_issue(
        review=review, acting_user=people["reviewer"], findings=checklist_all_pass(matter),
        outcome="agree" if decision == "approve" else "reinvestigate", opinion="意见。",
        meeting_on=date.today(), meeting_minutes="科务会研究。",
    )
    return services.review_leader_decide(review=review, decision=decision, acting_user=people["leader"])


def test_no_second_submission_while_open_or_after_the_decision(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    review = _submit(matter, people)
    with pytest.raises(ValidationError, match="正在进行的法制审核"):
        _submit(matter, people)
    _decide(review, matter, people)
    with pytest.raises(ValidationError, match="已作出决定"):
        _submit(matter, people)
    assert LegalReview.objects.filter(matter=matter).count() == 1


def test_after_not_passed_a_new_step_is_needed_before_resubmitting(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    review = _decide(_submit(matter, people), matter, people, decision="refuse")
    assert review.state == ReviewState.NOT_PASSED
    with pytest.raises(ValidationError, match="补充调查"):
        _submit(matter, people)
    step = Step.objects.create(matter=matter, transition="interview", label="询问", from_state="filed",
                               to_state="filed", occurred_at=review.leader_at, acted_by=people["officer"])
    step.officers.add(people["officer"])
    assert _submit(matter, people).state == ReviewState.REVIEWING


def test_second_submission_through_the_page_is_refused_with_the_reason(agency, section, people, login):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    _decide(_submit(matter, people), matter, people)
    data = complete_submission(matter)
    post = {"situation": data["situation"], "draft_decision": data["draft_decision"]}
    response = login(people["chief"]).post(reverse("review:submit", args=[matter.pk]), post)
    assert response.status_code == 200
    assert "已作出决定" in response.content.decode()
    assert LegalReview.objects.filter(matter=matter).count() == 1


def test_wrong_reviewer_is_corrected_by_the_review_sections_chief(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    review = _submit(matter, people)
    wrong = services.review_assign(review=review, reviewer=people["reviewer"], first=True,
                                   acting_user=people["reviewer"])
    with pytest.raises(PermissionDenied, match="局领导或法制审核机构"):
        services.review_reassign(review=review, assignment=wrong, reviewer=people["reviewer2"],
                                 reason="指派有误", acting_user=people["chief"])
    with pytest.raises(ValidationError, match="理由"):
        services.review_reassign(review=review, assignment=wrong, reviewer=people["reviewer2"],
                                 reason=" ", acting_user=people["legal_chief"])
    fixed = services.review_reassign(review=review, assignment=wrong, reviewer=people["reviewer2"],
                                     reason="原审核人员与当事人有亲属关系", acting_user=people["legal_chief"])
    assert fixed.reviewer == people["reviewer2"] and fixed.first
    assert list(review.assignments.values_list("reviewer", flat=True)) == [people["reviewer2"].pk]
    event = Event.objects.filter(kind="review.reassign").get()
    assert event.data["previous"] == people["reviewer"].pk and "亲属" in event.data["reason"]
    # The replacement passes the same checks: the first reviewer must hold the qualification.
    unqualified = people["legal_chief"]
    with pytest.raises(ValidationError, match="法律职业资格"):
        services.review_reassign(review=review, assignment=fixed, reviewer=unqualified,
                                 reason="再调整", acting_user=people["leader"])


def test_leader_reassigns_through_the_review_page(agency, section, people, login):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    review = _submit(matter, people)
    wrong = services.review_assign(review=review, reviewer=people["reviewer"], first=True,
                                   acting_user=people["reviewer"])
    client = login(people["leader"])
    page = client.get(reverse("review:detail", args=[review.pk])).content.decode()
    assert "调整审核人员" in page
    response = client.post(reverse("review:reassign", args=[review.pk]),
                           {"assignment": wrong.pk, "reviewer": people["reviewer2"].pk, "reason": "指派有误"})
    assert response.status_code == 302
    assert review.assignments.get().reviewer == people["reviewer2"]


def test_matter_page_says_review_is_needed_and_links_to_submission(agency, section, people, login):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    page = login(people["officer"]).get(reverse("matters:detail", args=[matter.pk])).content.decode()
    assert "属于重大行政执法决定法制审核范围" in page
    assert reverse("review:submit", args=[matter.pk]) in page
    assert "属法制审核范围" in page  # the 重大案件 row shows what the scope decided
    # The leader's step is refused to the officer by naming who acts.
    assert "须由局领导决定" in page and "有相应职权的人员" not in page
