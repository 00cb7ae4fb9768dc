"""Reads of spot checks, 案卷评查 and 执法过错: who may see and do them, and the year's results."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from archive.choices import CaseFileState
from archive.models import CaseFile
from ledger.refusals import object_visible, refusal_record
from ledger.services import event_record
from matters.models import Matter
from matters.selectors import matter_for, matter_list
from org.choices import Role
from org.models import Section, Staff
from org.permissions import can, denial_message, require
from policy.selectors import agency_rules
from records.selectors import record_list_logged
from supervision.oversight_models import CaseReview, Fault, SpotCheck, SpotCheckItem
from supervision.selectors import SUPERVISOR_RULE, _scope, picks, record_choices, records_picked


def supervisor_required(user) -> None:
    """Spot checks, scoring and faults are the supervising section's (the pack's
    supervision.supervisor_role: 政策法规科, or 办公室 in 抚顺县); the leader reads them."""
    require(user, "supervision.check")
    rule = agency_rules(user.agency).get(SUPERVISOR_RULE)
    if rule is not None and not user.has_role(rule.value):
        raise PermissionDenied(_supervisor_message(rule))


def _supervisor_message(rule) -> str:
    return f"执法监督由{Role(rule.value).label}负责（{rule.cited('、')}），请交由其办理；局领导可查看结果。"


def check_refusal(viewer) -> str:
    """Why the viewer may not draw spot checks, score case files or record faults ("" when they may):
    who does it under the agency's pack, by which article, and what to do instead."""
    try:
        supervisor_required(viewer)
    except PermissionDenied as exc:
        rule = agency_rules(viewer.agency).get(SUPERVISOR_RULE)
        return _supervisor_message(rule) if rule is not None else str(exc)
    return ""


def _logged(kind: str, obj, viewer):
    with transaction.atomic():
        event_record(kind=kind, subject=obj, acting_user=viewer, agency=obj.agency)
    return obj


# --- AV spot checks ---------------------------------------------------------------------------------------


def spotcheck_list(*, viewer) -> QuerySet[SpotCheck]:
    """Spot checks of the viewer's agency: the supervisors and the leader see them all; a section
    chief sees those that drew a recording of the section."""
    section = _scope(viewer)
    qs = SpotCheck.objects.filter(agency_id=viewer.agency_id)
    if section is not None:
        qs = qs.filter(items__section_id=section).distinct()
    return qs.order_by("-committed_at", "-pk")


def spotcheck_for(*, viewer, pk: int) -> SpotCheck:
    found = object_visible(spotcheck_list(viewer=viewer), pk=pk, viewer=viewer,
                           missing="没有这次音像记录抽查，或它不属于您负责的范围。")
    return _logged("spotcheck.view", found, viewer)


def spotcheck_items(*, viewer, spot_check: SpotCheck) -> QuerySet[SpotCheckItem]:
    section = _scope(viewer)
    qs = spot_check.items.select_related("record", "section", "answered_by").prefetch_related("officers")
    return qs.filter(section_id=section) if section is not None else qs


def spotcheck_item_for(*, viewer, pk: int) -> SpotCheckItem:
    section = _scope(viewer)
    qs = SpotCheckItem.objects.filter(spot_check__agency_id=viewer.agency_id).select_related("spot_check", "record")
    if section is not None:
        qs = qs.filter(section_id=section)
    return object_visible(qs, pk=pk, viewer=viewer, missing="没有这件抽查的音像记录，或它不属于您负责的范围。")


# --- 案卷评查 -------------------------------------------------------------------------------------------


def casereview_list(*, viewer, year: int | None = None) -> QuerySet[CaseReview]:
    section = _scope(viewer)
    qs = CaseReview.objects.filter(agency_id=viewer.agency_id).select_related("matter", "section", "reviewed_by")
    if section is not None:
        qs = qs.filter(section_id=section)
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-reviewed_at", "-pk")


def casereview_for(*, viewer, pk: int) -> CaseReview:
    found = object_visible(casereview_list(viewer=viewer), pk=pk, viewer=viewer,
                           missing="没有这份案卷评查，或它不属于您负责的范围。")
    return _logged("casereview.view", found, viewer)


def reviewable_case_files(*, viewer) -> QuerySet[CaseFile]:
    """Sealed (归档) case files of closed matters: what a supervisor scores."""
    require(viewer, "supervision.check")
    return (
        CaseFile.objects.filter(agency_id=viewer.agency_id, state=CaseFileState.SEALED)
        .select_related("matter", "section")
        .order_by("-closed_on", "-pk")
    )


@dataclass
class PassRate:
    name: str
    reviewed: int = 0
    passed: int = 0

    @property
    def rate(self) -> float | None:
        return round(100 * self.passed / self.reviewed, 1) if self.reviewed else None


def casereview_rates(*, viewer, year: int) -> tuple[list[PassRate], PassRate]:
    """案卷评查合格率 per section and in all for `year`."""
    rows: dict[int, PassRate] = {}
    total = PassRate("合计")
    for section_id, name, passed in casereview_list(viewer=viewer, year=year).values_list(
        "section_id", "section__name", "passed"
    ):
        row = rows.setdefault(section_id, PassRate(name))
        for r in (row, total):
            r.reviewed += 1
            r.passed += int(passed)
    return sorted(rows.values(), key=lambda r: r.name), total


# --- 执法过错 -------------------------------------------------------------------------------------------


def fault_list(*, viewer) -> QuerySet[Fault]:
    section = _scope(viewer)
    qs = Fault.objects.filter(agency_id=viewer.agency_id).select_related("officer", "section", "recorded_by")
    if section is not None:
        qs = qs.filter(section_id=section)
    return qs.order_by("-recorded_at", "-pk")


def fault_for(*, viewer, pk: int) -> Fault:
    found = object_visible(fault_list(viewer=viewer), pk=pk, viewer=viewer,
                           missing="没有这条执法过错记录，或它不属于您负责的范围。")
    return _logged("fault.view", found, viewer)


def agency_staff(*, viewer) -> QuerySet[Staff]:
    return Staff.objects.filter(agency_id=viewer.agency_id, is_active=True).order_by("section_id", "pk")


def fault_record_choices(*, viewer, query: str = "", picked=()) -> list | None:
    """The records the 执法过错 form offers (supervision.selectors.record_choices). Listing them is a
    logged read of their metadata. None when the viewer may not read records at all."""
    rows = record_choices(viewer=viewer, query=query, picked=picked)
    if rows is not None:
        record_list_logged(viewer=viewer, records=rows, purpose="登记执法过错：选择相关记录")
    return rows


def fault_matter_choices(*, viewer, query: str = "", picked=()) -> list | None:
    """The matters the 执法过错 form offers: those the viewer may open (matters.selectors) whose title
    or party matches `query` (the newest without one), and those already picked. None when the
    viewer may not open matters."""
    if not can(viewer, "matters.view"):
        return None
    visible = matter_list(viewer=viewer).order_by("-pk")
    return picks(visible, matter_list(viewer=viewer, query=query.strip()).order_by("-pk"), picked)


def fault_links(*, viewer, records=(), matters=()) -> tuple[list, list]:
    """The records and matters a 执法过错 names, each id resolved through the selector of what the
    viewer may see. An id out of the viewer's sight is refused and logged as a refusal (PermissionDenied
    naming who may act; ValidationError for one not in the agency)."""
    found_records = records_picked(viewer=viewer, ids=records, purpose="登记执法过错")
    if matters and not can(viewer, "matters.view"):
        for hidden in Matter.objects.filter(agency_id=viewer.agency_id, pk__in=list(matters)[:100]):
            refusal_record(subject=hidden, acting_user=viewer, reason=f"登记执法过错：{denial_message('matters.view')}")
        raise PermissionDenied(denial_message("matters.view"))
    found_matters = []
    for pk in dict.fromkeys(matters):
        try:
            found_matters.append(matter_for(viewer=viewer, pk=pk, purpose="登记执法过错：关联事项", read=False))
        except Http404:
            raise ValidationError(f"没有执法事项#{pk}，或它不属于本单位：请在列表中查找并勾选。") from None
    return found_records, found_matters


# --- the year's evaluation ----------------------------------------------------------------------------


@dataclass
class OfficerYear:
    """One officer's supervision results in a year (003 附件3 第十六条: 纳入年度考评)."""

    officer: Staff
    checked: int = 0
    passed: int = 0
    failed: dict = field(default_factory=lambda: defaultdict(int))
    reviews: int = 0
    reviews_passed: int = 0
    faults: list = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        return round(100 * self.passed / self.checked, 1) if self.checked else None

    @property
    def review_rate(self) -> float | None:
        return round(100 * self.reviews_passed / self.reviews, 1) if self.reviews else None

    @property
    def no_awards(self) -> bool:
        return any("no_awards" in f.measures for f in self.faults)


@dataclass
class SectionYear:
    section: Section | None
    checked: int = 0
    passed: int = 0

    @property
    def pass_rate(self) -> float | None:
        return round(100 * self.passed / self.checked, 1) if self.checked else None


def evaluation(*, viewer, year: int) -> tuple[list[OfficerYear], list[SectionYear]]:
    """Per officer and per section for `year`: answered spot checks of recordings made in the year
    (each counts for every officer the recording names), 案卷评查 of their matters, their faults."""
    section = _scope(viewer)
    officers: dict[int, OfficerYear] = {}
    sections: dict[int | None, SectionYear] = {}

    def officer_row(staff):
        return officers.setdefault(staff.pk, OfficerYear(staff))

    items = SpotCheckItem.objects.filter(
        spot_check__agency_id=viewer.agency_id, spot_check__period_end__year=year, answered_at__isnull=False
    ).select_related("section").prefetch_related("officers__section")
    if section is not None:
        items = items.filter(section_id=section)
    for item in items:
        s = sections.setdefault(item.section_id, SectionYear(item.section))
        s.checked += 1
        s.passed += int(bool(item.passed))
        for staff in item.officers.all():
            row = officer_row(staff)
            row.checked += 1
            row.passed += int(bool(item.passed))
            for code in ("recorded", "continuous", "handled"):
                if getattr(item, code) is False:
                    row.failed[code] += 1
    for review in casereview_list(viewer=viewer, year=year).prefetch_related("matter__officers__section"):
        for staff in review.matter.officers.all():
            row = officer_row(staff)
            row.reviews += 1
            row.reviews_passed += int(review.passed)
    for fault in fault_list(viewer=viewer).filter(occurred_on__year=year).select_related("officer__section"):
        officer_row(fault.officer).faults.append(fault)
    rows = sorted(officers.values(), key=lambda r: (r.officer.section_id or 0, r.officer.pk))
    return rows, sorted(sections.values(), key=lambda s: s.section.pk if s.section else 0)


def case_file_for_review(*, viewer, pk: int) -> CaseFile:
    """A case file of the viewer's agency, for the scoring page (the service accepts only sealed ones)."""
    require(viewer, "supervision.check")
    qs = CaseFile.objects.filter(agency_id=viewer.agency_id).select_related("matter", "section")
    found = object_visible(qs, pk=pk, viewer=viewer, missing="没有这份案卷，或它不属于本单位。")
    return _logged("casefile.view", found, viewer)
