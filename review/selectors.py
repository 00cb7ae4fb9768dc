"""Reads of legal review: the reviewer's workbench, one review, a matter's scope, staffing."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ledger.refusals import object_visible, refusal_record
from ledger.services import event_record
from matters import selectors as matter_selectors
from matters.models import Matter
from org.choices import Role
from org.models import Staff
from org.permissions import require
from policy.selectors import agency_rules
from review.choices import ReviewState
from review.models import LegalReview
from review.scope import review_required

# Those who see every review of the agency: the reviewers conduct them, the leader decides them.
# Everyone else sees the reviews of the matters they may see (their section's, their own).
WIDE_READERS = (Role.LEGAL_REVIEWER, Role.LEADER)


def _agency_reviews(viewer) -> QuerySet[LegalReview]:
    return LegalReview.objects.filter(agency_id=viewer.agency_id).select_related(
        "matter", "matter__section", "matter__party", "submitted_by"
    )


def _visible(viewer, qs: QuerySet[LegalReview]) -> QuerySet[LegalReview]:
    if viewer.has_role(*WIDE_READERS):
        return qs
    return qs.filter(matter__in=Matter.objects.filter(matter_selectors._visible(viewer)))


def review_list(*, viewer, capability: str = "review.view") -> QuerySet[LegalReview]:
    """The agency's reviews the viewer may see; the handling section reaches its own submissions
    with review.submit."""
    require(viewer, capability)
    return _visible(viewer, _agency_reviews(viewer))


def review_get(*, viewer, pk: int, capability: str = "review.view") -> LegalReview:
    """One review. Raises Http404 (not in the viewer's agency) or PermissionDenied naming who may
    see it; both are logged as `review.denied` when the review exists."""
    require(viewer, capability)
    review = object_visible(
        _agency_reviews(viewer), pk=pk, viewer=viewer, missing="没有这项法制审核。", kind="review.denied"
    )
    if not _visible(viewer, LegalReview.objects.filter(pk=review.pk)).exists():
        refusal_record(subject=review, acting_user=viewer, reason="不在可查看范围内", kind="review.denied")
        raise PermissionDenied(
            f"您无权查看这项法制审核：所涉执法事项由{review.matter.section.name}承办。"
            f"只有法制审核人员、局领导和{review.matter.section.name}的承办人员可以查看。"
        )
    return review


def review_view(*, viewer, pk: int, purpose: str = "查看法制审核") -> LegalReview:
    """Read one review (the matter's draft decision and materials): checked, then logged."""
    review = review_get(viewer=viewer, pk=pk)
    with transaction.atomic():
        event_record(kind="review.view", subject=review, acting_user=viewer, data={"purpose": purpose})
    return review


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


def workbench_counts(*, viewer, soon_days: int = 2) -> dict[str, int]:
    """The workbench's counts for a home page (overdue, due soon, under review, waiting for the
    leader), as `workbench` counts them, from one query of the reviews' states and due times."""
    now = timezone.now()
    rows = list(
        review_list(viewer=viewer)
        .filter(state__in=(ReviewState.REVIEWING, ReviewState.OPINION))
        .values_list("pk", "state", "due")
    )
    reviewing = [due for _, state, due in rows if state == ReviewState.REVIEWING]
    return {
        "overdue": sum(1 for due in reviewing if due and due < now),
        "due_soon": sum(1 for due in reviewing if due and now <= due <= now + timedelta(days=soon_days)),
        "reviewing": len(reviewing),
        "awaiting_leader": sum(1 for _, state, _ in rows if state == ReviewState.OPINION),
    }


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
