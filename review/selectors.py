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


# --- the records a submission names as its materials (000 审核制度第五条) ----------------------------------

MATERIAL_RECORDS_MAX = 50  # records picked for one material: a case's evidence fits; a post of thousands does not


def matter_record_ids(matter) -> QuerySet:
    """The ids of the matter's own records: those its steps link (evidence, recordings), its 文书's
    files and what proves their service."""
    from django.db.models import Q

    from records.models import Record

    instruments = matter.instruments.all()
    own = (
        Q(matter_steps__matter=matter)
        | Q(pk__in=instruments.exclude(docx=None).values("docx"))
        | Q(pk__in=instruments.exclude(pdf=None).values("pdf"))
        | Q(services__instrument__matter=matter)
        | Q(receipt_of__instrument__matter=matter)
    )
    return Record.objects.filter(own, agency_id=matter.agency_id).values("pk")


def material_record_choices(*, viewer, matter, log: bool = True) -> list | None:
    """The matter's records the submitter may read (records.selectors decides), newest first, for the
    submission form to offer; showing them is one logged read of their metadata (`log=False`: the
    caller logs it once it shows them). None when the viewer reads no records at all."""
    from org.permissions import can
    from records.selectors import record_list

    if not can(viewer, "records.view"):
        return None
    rows = list(record_list(viewer=viewer).filter(pk__in=matter_record_ids(matter))[:200])
    if log:
        material_choices_logged(viewer=viewer, matter=matter, records=rows)
    return rows


def material_choices_logged(*, viewer, matter, records) -> None:
    from records.selectors import record_list_logged

    record_list_logged(viewer=viewer, records=list(records or ()), purpose=f"送法制审核：选择送审材料（{matter.title}）")


def material_records_checked(*, viewer, matter, materials: dict) -> None:
    """Every record id a submission names, resolved for the submitter before anything is written: one
    the viewer may not read is refused by records.selectors (logged, PermissionDenied naming who
    approves); one of another matter is refused and logged here (ValidationError). Called before the
    service's transaction, so the refusal's event is kept."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from records.selectors import record_for

    ids = []
    for entry in materials.values():
        if isinstance(entry, dict) and isinstance(entry.get("records"), list):
            ids += [pk for pk in entry["records"] if isinstance(pk, int) and not isinstance(pk, bool)]
    ids = list(dict.fromkeys(ids))[: MATERIAL_RECORDS_MAX * 20]
    if not ids:
        return
    own = set(matter_record_ids(matter).filter(pk__in=ids).values_list("pk", flat=True))
    for pk in ids:
        try:
            record = record_for(viewer=viewer, pk=pk)
        except Http404:
            raise ValidationError(f"没有记录#{pk}，或它不属于本单位：请在本案的记录中勾选。") from None
        if pk not in own:
            refusal_record(subject=record, acting_user=viewer, kind="record.denied",
                           reason=f"送法制审核：该记录不属于本案（{matter.title}），不能作为送审材料")
            raise ValidationError(
                f"记录#{pk}“{record.title}”不属于本案，不能作为送审材料：请在本案的记录中勾选；"
                "如确属本案证据，请先由承办人员在相应办理环节中关联该记录。"
            )


def material_grant(viewer, record, use: str) -> str | None:
    """The provider records asks (records.grants): where the pack says so (review.reviewers_read_materials,
    行政处罚法第五十八条: the reviewers examine the submitted materials), the reviewers assigned to a
    review read the records the handling section submitted to it. Not a download, and never a 涉密
    record, which stays with the leader and the person who filed it."""
    from records.choices import Confidentiality

    if use != "read" or not getattr(viewer, "pk", None) or record.confidentiality == Confidentiality.SECRET:
        return None
    if not viewer.has_role(Role.LEGAL_REVIEWER):
        return None
    if not agency_rules(record.agency).value("review.reviewers_read_materials", default=False):
        return None
    review = (
        LegalReview.objects.filter(
            agency_id=record.agency_id, materials__records=record, assignments__reviewer=viewer
        )
        .order_by("-pk")
        .first()
    )
    return f"法制审核送审材料（{review.matter.title}，{review.submitted_at:%Y-%m-%d}送审）" if review else None


@dataclass
class MaterialRow:
    item: str
    note: str
    added_at: object
    records: list  # (record, whether the viewer may open it: its title is shown only then)


def review_materials(*, viewer, review) -> list[MaterialRow]:
    """The review's materials as the review page lists them: each note as it was stored, each record
    picked with its title where the viewer may read it (records.selectors, or the reviewers' grant),
    else by number only. Showing the titles is one logged read of their metadata."""
    from org.permissions import can
    from records.selectors import record_list, record_list_logged

    materials = list(review.materials.prefetch_related("records__section", "records__agency"))
    picked = {r.pk: r for m in materials for r in m.records.all()}
    readable = set()
    if picked and can(viewer, "records.view"):
        readable = set(record_list(viewer=viewer).filter(pk__in=list(picked)).values_list("pk", flat=True))
        readable |= {pk for pk, r in picked.items() if pk not in readable and material_grant(viewer, r, "read")}
    record_list_logged(viewer=viewer, records=[picked[pk] for pk in sorted(readable)],
                       purpose=f"查看法制审核送审材料（{review.matter.title}）")
    return [
        MaterialRow(m.item, m.note, m.added_at, [(r, r.pk in readable) for r in m.records.all()])
        for m in materials
    ]
