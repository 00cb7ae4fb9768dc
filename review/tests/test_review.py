from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enterprises.choices import PartyKind
from matters import gates
from matters.services import matter_mark_major
from org.tests.factories import AgencyFactory, SectionFactory
from review import services
from review.choices import ReviewState
from review.scope import scope_for
from review.selectors import staffing, workbench
from review.tests.helpers import checklist_all_pass, complete_submission, make_matter, make_party

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_staff):
    return {
        "officer": make_staff("officer", certificate=True),
        "chief": make_staff("section_chief", certificate=True),
        "reviewer": make_staff("legal_reviewer", legal_qualification="A20231234567"),
        "reviewer2": make_staff("legal_reviewer"),
        "leader": make_staff("leader"),
    }


def _pass_review(matter, people, *, outcome="agree"):
    review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    services.review_assign(review=review, reviewer=people["reviewer"], first=True, acting_user=people["reviewer"])
    services.review_opinion_issue(
        review=review,
        acting_user=people["reviewer"],
        findings=checklist_all_pass(matter),
        outcome=outcome,
        opinion="同意作出行政处罚决定。",
        meeting_on=date.today(),
        meeting_participants="政策法规科全体",
        meeting_minutes="科务会研究同意。",
    )
    return services.review_leader_decide(review=review, decision="approve", acting_user=people["leader"])


@pytest.fixture
def no_letter():
    """Skip rendering the 意见书 where a test is about something else (test_letter renders it)."""
    with mock.patch("review.services._issue_letter", return_value=None):
        yield


# --- scope and the gate ------------------------------------------------------------------------------
def test_fushun_citizen_fine_below_threshold_goes_straight_to_decision(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="9999")
    assert scope_for(matter) == []
    assert gates.refusals(matter, "decide") == []


def test_fushun_citizen_fine_at_threshold_is_stopped_until_review_passes(agency, section, people, no_letter):
    matter = make_matter(agency, section, people["officer"], amount="10000")
    hits = scope_for(matter)
    assert [h.code for h in hits] == ["penalty.fine"]
    assert "第三条" in hits[0].citation
    refusals = gates.refusals(matter, "decide")
    assert len(refusals) == 1 and "法制审核" in refusals[0] and "尚未送法制审核" in refusals[0]
    review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    assert "审核中" in gates.refusals(matter, "decide")[0]
    review.refresh_from_db()
    _pass_review_from(review, matter, people)
    # 000 审核第四条: after the review the leaders' collective discussion, then the decision.
    (refusal,) = gates.refusals(matter, "decide")
    assert "集体讨论" in refusal and "第四条" in refusal
    from django.utils import timezone

    from matters.models import Step

    Step.objects.create(matter=matter, transition="discuss", label="集体讨论", from_state="notified",
                        to_state="discussed", occurred_at=timezone.now(), acted_by=people["leader"])
    assert gates.refusals(matter, "decide") == []


def _pass_review_from(review, matter, people):
    services.review_assign(review=review, reviewer=people["reviewer"], first=True, acting_user=people["reviewer"])
    services.review_opinion_issue(
        review=review,
        acting_user=people["reviewer"],
        findings=checklist_all_pass(matter),
        outcome="agree",
        opinion="同意。",
        meeting_on=date.today(),
        meeting_minutes="科务会研究同意。",
    )
    assert gates.refusals(matter, "decide"), "an opinion without the leader's approval does not open the gate"
    services.review_leader_decide(review=review, decision="approve", acting_user=people["leader"])


def test_fushun_organisation_threshold_is_100000(agency, section, people):
    company = make_party(agency, PartyKind.LEGAL_PERSON, "某化工有限公司", "91210403MA0000001X")
    assert scope_for(make_matter(agency, section, people["officer"], amount="99999", party=company)) == []
    hit = make_matter(agency, section, people["officer"], amount="100000", party=make_party(
        agency, PartyKind.LEGAL_PERSON, "另一公司", "91210403MA0000002X"))
    assert [h.code for h in scope_for(hit)] == ["penalty.fine"]


@pytest.mark.parametrize(
    ("amount", "stopped"), [("9999", False), ("10000", False), ("49999", False), ("50000", True)]
)
def test_yuyao_pack_uses_its_own_threshold(make_staff, amount, stopped):
    yuyao = AgencyFactory(policy_pack="yuyao-city", name="余姚市应急管理局")
    section = SectionFactory(agency=yuyao, name="执法大队")
    officer = make_staff("officer", agency=yuyao, section=section)
    matter = make_matter(yuyao, section, officer, amount=amount)
    assert bool(gates.refusals(matter, "decide")) is stopped


def test_measures_and_hand_marking_bring_a_matter_into_scope(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="100", measures=["suspension"])
    assert [h.code for h in scope_for(matter)] == ["penalty.suspension"]
    plain = make_matter(agency, section, people["officer"], amount="100")
    assert gates.refusals(plain, "decide") == []
    with pytest.raises(ValidationError):
        matter_mark_major(matter=plain, reason="", acting_user=people["reviewer"])
    plain = matter_mark_major(matter=plain, reason="案情疑难复杂，涉及多个法律关系", acting_user=people["reviewer"])
    assert "疑难复杂" in gates.refusals(plain, "decide")[0]


def test_seal_of_a_compulsion_matter_needs_review(agency, section, people):
    matter = make_matter(agency, section, people["officer"], kind="compulsion", state="registered")
    assert {h.code for h in scope_for(matter, "seal")} == {"compulsion.seizure", "compulsion.premises-sealing"}
    assert gates.refusals(matter, "seal")
    from review.scope import gated_transition

    assert gated_transition(matter) == "seal"
    review = services.review_submit(
        matter=matter, acting_user=people["chief"], transition="seal", **complete_submission(matter)
    )
    assert {h["code"] for h in review.scope} == {"compulsion.seizure", "compulsion.premises-sealing"}


# --- submission -----------------------------------------------------------------------------------
def test_incomplete_submission_is_refused_with_what_is_missing(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="20000")
    data = complete_submission(matter)
    del data["application"]["证据情况"]
    data["materials"] = {}
    with pytest.raises(ValidationError) as exc:
        services.review_submit(matter=matter, acting_user=people["chief"], **data)
    message = exc.value.messages[0]
    assert "申请表：证据情况" in message and "相关证据材料" in message
    assert "听证笔录" not in message  # only where a hearing was held
    assert "第五条" in message


def test_hearing_record_required_once_a_hearing_was_held(agency, section, people):
    from django.utils import timezone

    from matters.models import Step

    matter = make_matter(agency, section, people["officer"], amount="20000", state="heard")
    Step.objects.create(matter=matter, transition="hold_hearing", label="举行听证", from_state="hearing_scheduled",
                        to_state="heard", occurred_at=timezone.now(), acted_by=people["officer"])
    assert "penalty.hearing" in {h.code for h in scope_for(matter)}
    data = complete_submission(matter)
    assert any("听证笔录" in item for item in data["materials"])
    data["materials"] = {k: v for k, v in data["materials"].items() if "听证" not in k}
    with pytest.raises(ValidationError, match="听证笔录"):
        services.review_submit(matter=matter, acting_user=people["chief"], **data)


# --- the clock ------------------------------------------------------------------------------------
def test_deadline_skips_national_day(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="20000")
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 9, 29)):
        review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    # 9-30 is day 1; Oct 1-7 off; 10-08, 10-09, the make-up Saturday 10-10, 10-12, 10-13, 10-14.
    assert review.due.date() == date(2026, 10, 14)
    assert not review.due_provisional


def test_supplement_pauses_the_clock_and_extension_adds_five(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="20000")
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 2)):  # a Monday
        review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    assert review.due.date() == date(2026, 11, 11)  # 7 working days
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 4)):  # 2 days used
        # an item longer than a material row holds is refused in Chinese, nothing changed
        with pytest.raises(ValidationError, match="每项需补正的材料不超过 200 字"):
            services.review_supplement_request(
                review=review, items=["现场检查照片", "材" * 201], supply_by=date(2026, 11, 10),
                acting_user=people["reviewer"],
            )
        review.refresh_from_db()
        assert review.state == ReviewState.REVIEWING and not review.supplements.exists()
        services.review_supplement_request(
            review=review, items=["现场检查照片"], supply_by=date(2026, 11, 10), acting_user=people["reviewer"]
        )
    review.refresh_from_db()
    assert review.state == ReviewState.SUPPLEMENTING and review.due is None and review.days_used == 2
    with pytest.raises(ValidationError, match="现场检查照片"):
        services.review_supplement_provide(review=review, materials={}, acting_user=people["chief"])
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 9)):  # Monday
        review = services.review_supplement_provide(
            review=review, materials={"现场检查照片": {"note": "已补"}}, acting_user=people["chief"]
        )
    # 000 审核第十条: the 7 working days run afresh from the day all supplements arrived (11-10 … 11-18).
    assert review.due.date() == date(2026, 11, 18)
    with pytest.raises(PermissionDenied):  # the leader in charge approves (第十条)
        services.review_extend(review=review, reason="案件复杂", acting_user=people["reviewer"])
    review = services.review_extend(review=review, reason="案件复杂，涉及多个法律关系", acting_user=people["leader"])
    assert review.due.date() == date(2026, 11, 25)
    with pytest.raises(ValidationError, match="一次"):
        services.review_extend(review=review, reason="再延", acting_user=people["leader"])


def _enter_spring_festival_2027(make_staff):
    from policy.services import arrangement_enter

    arrangement_enter(
        acting_user=make_staff("admin"),
        year=2027,
        holidays=[(date(2027, 2, d), "春节") for d in range(5, 13)],
        workdays=[date(2027, 2, 20)],
        document="测试用安排",
    )


def test_entering_next_years_holidays_moves_a_running_review(agency, section, people, make_staff):
    from django.utils import timezone

    matter = make_matter(agency, section, people["officer"], amount="20000")
    with mock.patch("django.utils.timezone.localdate", return_value=date(2027, 2, 4)):
        review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    # 2027 is not yet entered: only 除夕 to 初三 (5–8 Feb) are taken as off, so the due date is provisional.
    assert review.due_provisional and timezone.localtime(review.due).date() == date(2027, 2, 17)
    _enter_spring_festival_2027(make_staff)
    review.refresh_from_db()
    # Off 5–12 Feb, Saturday 20 Feb worked: 15, 16, 17, 18, 19, 20, 22 Feb.
    assert not review.due_provisional and timezone.localtime(review.due).date() == date(2027, 2, 22)


def test_a_paused_review_is_not_moved_and_resumes_from_the_new_calendar(agency, section, people, make_staff):
    from django.utils import timezone

    matter = make_matter(agency, section, people["officer"], amount="20000")
    with mock.patch("django.utils.timezone.localdate", return_value=date(2027, 2, 1)):  # Monday
        review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    with mock.patch("django.utils.timezone.localdate", return_value=date(2027, 2, 3)):  # 2 days used
        services.review_supplement_request(
            review=review, items=["现场检查照片"], supply_by=date(2027, 2, 20), acting_user=people["reviewer"]
        )
    _enter_spring_festival_2027(make_staff)
    review.refresh_from_db()
    assert review.due is None  # stopped while materials are awaited
    with mock.patch("django.utils.timezone.localdate", return_value=date(2027, 2, 4)):
        review = services.review_supplement_provide(
            review=review, materials={"现场检查照片": {"note": "已补"}}, acting_user=people["chief"]
        )
    # 7 working days afresh from 4 Feb (000 审核第十条) under the entered calendar: 15–19, the make-up
    # Saturday 20 and 22 Feb.
    assert not review.due_provisional and timezone.localtime(review.due).date() == date(2027, 2, 22)


def test_workbench_shows_overdue(agency, section, people):
    matter = make_matter(agency, section, people["officer"], amount="20000")
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 1, 5)):
        review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    bench = workbench(viewer=people["reviewer"])
    assert review in bench.overdue


# --- reviewers ------------------------------------------------------------------------------------
def test_reviewer_who_investigated_cannot_review(agency, section, people, make_staff):
    both = make_staff("officer", "legal_reviewer", legal_qualification="A1")
    matter = make_matter(agency, section, both, amount="20000")
    review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    with pytest.raises(ValidationError, match="回避"):
        services.review_assign(review=review, reviewer=both, first=True, acting_user=people["reviewer"])
    with pytest.raises(ValidationError, match="利害关系"):
        services.review_assign(
            review=review, reviewer=people["reviewer"], first=True, interest="系当事人近亲属",
            acting_user=people["reviewer"],
        )
    with pytest.raises(ValidationError, match="法律职业资格"):
        services.review_assign(review=review, reviewer=people["reviewer2"], first=True, acting_user=people["reviewer"])
    services.review_assign(review=review, reviewer=people["reviewer"], first=True, acting_user=people["reviewer"])
    services.review_assign(review=review, reviewer=people["reviewer2"], acting_user=people["reviewer"])
    assert review.assignments.count() == 2


# --- opinion and the leader ----------------------------------------------------------------------
def test_opinion_needs_every_check_and_the_meeting(agency, section, people, no_letter):
    matter = make_matter(agency, section, people["officer"], amount="20000")
    review = services.review_submit(matter=matter, acting_user=people["chief"], **complete_submission(matter))
    services.review_assign(review=review, reviewer=people["reviewer"], first=True, acting_user=people["reviewer"])
    findings = checklist_all_pass(matter)
    with pytest.raises(ValidationError) as exc:
        services.review_opinion_issue(
            review=review, acting_user=people["reviewer"], findings=findings[:-1], outcome="agree", opinion="同意"
        )
    assert "10项" in exc.value.messages[0]
    findings[3] = {"finding": "issue", "note": "裁量基准适用不当"}
    with pytest.raises(ValidationError) as exc:
        services.review_opinion_issue(
            review=review, acting_user=people["reviewer"], findings=findings, outcome="agree", opinion="同意"
        )
    text = "；".join(exc.value.messages)
    assert "科务会" in text and "不能提出同意" in text
    opinion = services.review_opinion_issue(
        review=review, acting_user=people["reviewer"], findings=findings, outcome="change",
        opinion="建议变更罚款数额", meeting_on=date.today(), meeting_minutes="科务会研究：变更",
    )
    assert [c["copy"] for c in opinion.copies] == [1, 2]
    with pytest.raises(ValidationError, match="集体讨论"):
        services.review_leader_decide(review=review, decision="approve", acting_user=people["leader"])
    review = services.review_leader_decide(
        review=review, decision="approve", collective=True, note="局领导集体讨论：维持原处理意见",
        acting_user=people["leader"],
    )
    assert review.state == ReviewState.PASSED and gates.refusals(matter, "decide") == []


def test_staffing_ratio_against_yuyao_minimum(make_staff):
    yuyao = AgencyFactory(policy_pack="yuyao-city", name="余姚市应急管理局")
    section = SectionFactory(agency=yuyao, name="执法大队")
    for _ in range(25):
        make_staff("officer", agency=yuyao, section=section)
    make_staff("legal_reviewer", agency=yuyao, section=section)
    result = staffing(agency=yuyao)
    assert (result.reviewers, result.officers, result.minimum, result.percent) == (1, 25, 5.0, 4.0)
    assert result.short and result.needed == 1


def test_pingdingshan_benefit_decisions_are_in_scope(make_staff):
    agency = AgencyFactory(policy_pack="pingdingshan-hitech", name="平顶山高新区应急管理局")
    section = SectionFactory(agency=agency, name="应急救援科")
    officer = make_staff("officer", agency=agency, section=section)
    matter = make_matter(agency, section, officer, kind="benefit", state="reviewed")
    assert [h.code for h in scope_for(matter)] == ["benefit.disaster-relief"]
