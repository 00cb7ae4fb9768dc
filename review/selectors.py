"""Reads of legal review: the reviewer's workbench, one review, a matter's scope, staffing."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from org.choices import Role
from org.models import Staff
from org.permissions import require
from policy.selectors import agency_rules
from review.choices import ReviewState
from review.models import LegalReview
from review.scope import review_required


def review_list(*, viewer, capability: str = "review.view") -> QuerySet[LegalReview]:
    """The agency's reviews; the handling section reaches its own submissions with review.submit."""
    require(viewer, capability)
    return LegalReview.objects.filter(agency_id=viewer.agency_id).select_related(
        "matter", "matter__section", "matter__party", "submitted_by"
    )


def review_get(*, viewer, pk: int, capability: str = "review.view") -> LegalReview:
    return get_object_or_404(review_list(viewer=viewer, capability=capability), pk=pk)


@dataclass
class Workbench:
    overdue: list
    due_soon: list
    reviewing: list
    supplementing: list
    awaiting_leader: list
    recent: list


def workbench(*, viewer, soon_days: int = 2) -> Workbench:
    """What the review section has on hand: overdue and nearly due reviews first (000 第十条)."""
    reviews = review_list(viewer=viewer)
    now = timezone.now()
    reviewing = list(reviews.filter(state=ReviewState.REVIEWING).order_by("due", "pk"))
    overdue = [r for r in reviewing if r.due and r.due < now]
    due_soon = [r for r in reviewing if r.due and now <= r.due <= now + timedelta(days=soon_days)]
    return Workbench(
        overdue=overdue,
        due_soon=due_soon,
        reviewing=reviewing,
        supplementing=list(reviews.filter(state=ReviewState.SUPPLEMENTING).prefetch_related("supplements")),
        awaiting_leader=list(reviews.filter(state=ReviewState.OPINION)),
        recent=list(
            reviews.filter(state__in=(ReviewState.PASSED, ReviewState.NOT_PASSED, ReviewState.FILED))[:20]
        ),
    )


def matter_scope(*, viewer, matter, transition: str = "decide"):
    """Whether the matter's decision needs review, and which catalogue entries apply."""
    require(viewer, "matters.view", agency=matter.agency)
    return review_required(matter, transition)


@dataclass(frozen=True)
class Staffing:
    reviewers: int
    officers: int
    qualified: int
    minimum: float | None
    rule: object | None

    @property
    def percent(self) -> float | None:
        return round(self.reviewers * 100 / self.officers, 1) if self.officers else None

    @property
    def short(self) -> bool:
        return self.minimum is not None and (self.percent or 0) < self.minimum

    @property
    def needed(self) -> int:
        """Reviewers needed to reach the minimum share."""
        if self.minimum is None:
            return 0
        import math

        return max(0, math.ceil(self.officers * self.minimum / 100) - self.reviewers)


def staffing(*, agency) -> Staffing:
    """Reviewers as a share of enforcement staff, against the pack's minimum (余姚 二（三）1)."""
    rules = agency_rules(agency)
    active = Staff.objects.filter(agency=agency, is_active=True)
    reviewers = active.filter(role_assignments__role=Role.LEGAL_REVIEWER).distinct()
    officers = active.filter(role_assignments__role=Role.OFFICER).distinct().count()
    rule = rules.rule("review.reviewer_ratio_min") if "review.reviewer_ratio_min" in rules else None
    return Staffing(
        reviewers=reviewers.count(),
        officers=officers,
        qualified=reviewers.exclude(legal_qualification="").count(),
        minimum=float(rule.value) if rule else None,
        rule=rule,
    )


def staffing_for_viewer(*, viewer) -> Staffing:
    require(viewer, "review.view")
    return staffing(agency=viewer.agency)
