"""Reads of a supervising body (the 司法行政部门's 行政执法监督, 行政处罚法第七十五条) across the
agencies it supervises. Read-only: its staff hold no agency capability, so every write refuses them.

Each read is an event in the ledger of the agency read (`oversight.view`, the supervisor as actor);
an id outside the body's agencies (or a 涉密 item) is the same 404 as a missing one, logged as a
refusal. Records show their metadata only: their content stays behind the agency's own 调阅 path
(000 记录信息调阅监督制度), which a supervisor follows like any other requester.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from ledger.refusals import object_visible
from ledger.services import event_record
from matters.models import Matter
from matters.selectors import matter_deadlines, matter_steps
from org.models import Agency, SupervisingBody
from org.permissions import require
from policy.registry import UNIT_LABELS, spec_for
from policy.selectors import agency_rules
from records.choices import Confidentiality
from records.models import Record, RecordVersion
from review.models import LegalReview
from supervision import statistics
from supervision.oversight_models import CaseReview

MISSING_AGENCY = "没有这个执法主体，或它不在本机关的监督范围内。"
MISSING_MATTER = "没有这个执法事项，或它不在本机关的监督范围内。"
MISSING_RECORD = "没有这条执法记录，或它不在本机关的监督范围内。"


def _require(viewer) -> None:
    require(viewer, "supervision.oversee")
    if not viewer.supervising_body_id:
        raise PermissionDenied("只有执法监督机关（司法行政部门）的人员可以使用执法监督页面，请由其工作人员查看。")


def _read(*, viewer, subject, agency: Agency, what: str, **data) -> None:
    """A supervisor's read, in the ledger of the agency read."""
    with transaction.atomic():
        event_record(kind="oversight.view", subject=subject, acting_user=viewer, agency=agency,
                     data={"what": what, "body": viewer.supervising_body_id, **data})


def body_of(*, viewer) -> SupervisingBody:
    _require(viewer)
    return viewer.supervising_body


def supervised_agency_list(*, viewer, query: str = "") -> QuerySet[Agency]:
    """The agencies the viewer's body supervises (searchable by name, 简称 or 管辖范围)."""
    _require(viewer)
    qs = Agency.objects.filter(supervised_by__body_id=viewer.supervising_body_id)
    query = (query or "").strip()[:50]
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(short_name__icontains=query) | Q(jurisdiction__icontains=query))
    return qs.order_by("name", "pk")


def supervised_agency_for(*, viewer, pk: int, what: str = "执法主体概况") -> Agency:
    agency = object_visible(supervised_agency_list(viewer=viewer), pk=pk, viewer=viewer, missing=MISSING_AGENCY)
    _read(viewer=viewer, subject=agency, agency=agency, what=what)
    return agency


def _matters(viewer) -> QuerySet[Matter]:
    # 涉密 matters stay with the agency's leader and their officers (as they do inside the agency).
    return Matter.objects.filter(agency__supervised_by__body_id=viewer.supervising_body_id).exclude(
        confidentiality=Confidentiality.SECRET
    )


def oversight_matter_list(
    *, viewer, agency: Agency, query: str = "", kind: str = "", state: str = "", year: int | None = None
) -> QuerySet[Matter]:
    """An agency's matters (the agency resolved by supervised_agency_for, which logged the read);
    `state` is a workflow state, or `open` / `closed`; `year` the year it was opened."""
    _require(viewer)
    qs = _matters(viewer).filter(agency=agency)
    query = (query or "").strip()[:50]
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(party__name__icontains=query))
    if kind:
        qs = qs.filter(kind=kind)
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    elif state:
        qs = qs.filter(state=state)
    if year:
        start = timezone.make_aware(datetime(year, 1, 1))
        qs = qs.filter(opened_at__gte=start, opened_at__lt=timezone.make_aware(datetime(year + 1, 1, 1)))
    return qs.select_related("section", "party").order_by("-opened_at", "-pk")


def oversight_matter_for(*, viewer, pk: int) -> Matter:
    _require(viewer)
    matter = object_visible(_matters(viewer).select_related("agency", "section", "party"), pk=pk, viewer=viewer,
                            missing=MISSING_MATTER)
    _read(viewer=viewer, subject=matter, agency=matter.agency, what="执法事项")
    return matter


def oversight_matter_detail(*, matter: Matter) -> dict:
    """What a supervisor sees of a matter: steps, 文书 (number and title, not their text), legal
    reviews with their opinions, deadlines."""
    reviews = (
        LegalReview.objects.filter(matter=matter)
        .select_related("opinion", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    return {
        "steps": matter_steps(matter),
        "instruments": matter.instruments.order_by("issued_at", "pk"),
        "reviews": reviews,
        "deadlines": matter_deadlines(matter),
    }


def _records(viewer) -> QuerySet[Record]:
    return Record.objects.filter(agency__supervised_by__body_id=viewer.supervising_body_id).exclude(
        confidentiality=Confidentiality.SECRET
    )


def oversight_record_list(*, viewer, agency: Agency, query: str = "") -> QuerySet[Record]:
    """An agency's records, metadata only (the agency resolved by supervised_agency_for)."""
    _require(viewer)
    qs = _records(viewer).filter(agency=agency)
    query = (query or "").strip()[:50]
    if query:
        qs = qs.filter(title__icontains=query)
    return qs.select_related("section", "party", "created_by").prefetch_related(
        Prefetch("versions", queryset=RecordVersion.objects.order_by("number"))
    ).order_by("-pk")


def oversight_record_for(*, viewer, pk: int) -> Record:
    _require(viewer)
    record = object_visible(
        _records(viewer).select_related("agency", "section", "party", "device", "created_by").prefetch_related(
            Prefetch("versions", queryset=RecordVersion.objects.order_by("number"))
        ),
        pk=pk,
        viewer=viewer,
        missing=MISSING_RECORD,
    )
    _read(viewer=viewer, subject=record, agency=record.agency, what="执法记录元数据")
    return record


def oversight_statistics(*, agency: Agency, year: int) -> statistics.Statistics:
    """The agency's year's figures (the agency resolved and its read logged by the caller)."""
    return statistics.compute(agency, year)


def oversight_casereviews(*, agency: Agency, year: int) -> QuerySet[CaseReview]:
    return (
        CaseReview.objects.filter(agency=agency, year=year)
        .select_related("matter", "section", "reviewed_by")
        .order_by("-reviewed_at", "-pk")
    )


def year_from(raw: str, today: date) -> int:
    """A year from the query string, bounded to what the platform can hold; else this year."""
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year else today.year


# The legal-review figures a supervisor compares across agencies, each as the agency's own pack sets it.
REVIEW_RULES = (
    "review.fine_threshold_person",
    "review.fine_threshold_organisation",
    "review.time_limit",
    "review.extension",
    "review.scope",
)


@dataclass(frozen=True)
class PackRule:
    key: str
    title: str
    value: str  # as a person reads it: "10000元", "7个工作日", "15项"; "" where the pack is silent
    citation: str
    summary: str


def oversight_pack_rules(*, agency: Agency) -> list[PackRule]:
    """The agency's legal-review thresholds and time limits from its pack (with its supplements), each
    with its citation; a rule the pack does not set says so."""
    rules = agency_rules(agency)
    out = []
    for key in REVIEW_RULES:
        rule = rules.get(key)
        title = spec_for(key).title
        if rule is None:
            out.append(PackRule(key, title, "", "", "本单位政策包未规定。"))
            continue
        if isinstance(rule.value, list | tuple):
            value = f"{len(rule.value)}项"
        else:
            value = f"{rule.value}{UNIT_LABELS.get(rule.unit, '')}"
        out.append(PackRule(key, title, value, rule.cited("、"), rule.summary))
    return out
