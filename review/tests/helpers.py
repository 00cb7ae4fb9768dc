"""Builders for review tests: a penalty matter at the point of decision, and a complete submission."""

from decimal import Decimal

from django.utils import timezone

from enterprises.choices import PartyKind
from enterprises.models import Party
from matters.models import Matter, Step
from policy.selectors import agency_rules


def make_party(agency, kind=PartyKind.NATURAL_PERSON, name="张三", id_number="210402199001011234"):
    party, _ = Party.objects.get_or_create(
        agency=agency, id_number=id_number, defaults={"kind": kind, "name": name}
    )
    return party


def make_matter(agency, section, officer, *, amount=None, party=None, measures=(), state="notified", kind="penalty"):
    matter = Matter.objects.create(
        agency=agency,
        section=section,
        kind=kind,
        workflow="penalty_general" if kind == "penalty" else kind,
        state=state,
        title="某某未按规定进行安全生产教育培训案",
        party=party or make_party(agency),
        facts="未对从业人员进行安全生产教育和培训",
        legal_basis="《安全生产法》第九十七条",
        fine_amount=Decimal(amount) if amount is not None else None,
        measures=list(measures),
        opened_by=officer,
        opened_at=timezone.now(),
    )
    matter.officers.add(officer)
    step = Step.objects.create(
        matter=matter,
        transition="request_filing",
        label="立案申请",
        from_state="registered",
        to_state="filing",
        occurred_at=timezone.now(),
        acted_by=officer,
    )
    step.officers.add(officer)
    return matter


def complete_submission(matter) -> dict:
    """Every application item and required material of the agency's pack, filled in."""
    rules = agency_rules(matter.agency)
    from review.services import material_requirements

    return {
        "application": {item: f"{item}：见案卷" for item in rules.value("review.application_items", default=[])},
        "situation": "基本事实清楚，适用《安全生产法》第九十七条，执法人员均持证。",
        "draft_decision": "行政处罚决定书（草稿）",
        "materials": {
            row["item"]: {"note": "已附"}
            for row in material_requirements(matter, rules)
            if row["required"] and not row["supplied_by"]
        },
    }


def checklist_all_pass(matter) -> list[dict]:
    return [{"finding": "pass", "note": ""} for _ in agency_rules(matter.agency).value("review.checklist", default=[])]


def pass_review(matter, *, submitter, reviewer, leader, transition="decide", collective=False):
    """Take a matter's decision through legal review to the leader's approval (000 第五至十二条)."""
    from datetime import date

    from review import services

    review = services.review_submit(
        matter=matter, acting_user=submitter, transition=transition, **complete_submission(matter)
    )
    services.review_assign(review=review, reviewer=reviewer, first=True, acting_user=reviewer)
    services.review_opinion_issue(
        review=review,
        acting_user=reviewer,
        findings=checklist_all_pass(matter),
        outcome="agree",
        opinion="事实清楚、证据确凿、定性准确、程序合法、裁量适当，同意作出决定。",
        meeting_on=date.today(),
        meeting_participants="法制审核机构全体人员",
        meeting_minutes="集体研究，同意。",
    )
    if collective:  # the leaders decide in collective discussion after the review (000 审核第四条)
        return services.review_leader_decide(
            review=review, decision="approve", acting_user=leader, collective=True, note="局领导集体讨论，同意。"
        )
    return services.review_leader_decide(review=review, decision="approve", acting_user=leader)
