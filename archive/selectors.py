"""Reads of the archive: which case files a viewer may see, the archivist's 待归档 queue, and the
logged reads of a case file and an enterprise's file."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from archive.choices import CaseFileState, DisposalState
from archive.hooks import ARCHIVING_DEADLINE
from archive.models import Carrier, CaseFile, Collection, Disposal, Hold
from ledger.refusals import object_visible
from ledger.services import event_record
from org.choices import Role
from org.permissions import require
from policy.models import Deadline

WIDE = (Role.ARCHIVIST, Role.LEADER, Role.ADMIN)


def _visible(viewer) -> Q:
    """Case files of matters the viewer may open (matters' own rule): archivists, leaders and
    administrators the agency's; chiefs their section's."""
    from matters.models import Matter
    from matters.selectors import _visible as matter_visible

    if viewer.has_role(*WIDE):
        matters = Matter.objects.filter(matter_visible(viewer))
    else:
        matters = Matter.objects.filter(matter_visible(viewer), section_id=viewer.section_id)
    return Q(agency_id=viewer.agency_id, matter__in=matters.values("pk"))


def casefile_list(*, viewer, state: str = "") -> QuerySet[CaseFile]:
    require(viewer, "archive.view")
    qs = CaseFile.objects.filter(_visible(viewer)).select_related("matter", "section")
    if state:
        qs = qs.filter(state=state)
    return qs


@dataclass
class QueueRow:
    case_file: CaseFile
    due: datetime | None
    provisional: bool

    @property
    def overdue(self) -> bool:
        return self.due is not None and timezone.now() > self.due


def casefile_queue(*, viewer) -> list[QueueRow]:
    """待归档: open volumes, the archiving deadline of each (overdue first, then soonest)."""
    files = list(casefile_list(viewer=viewer, state=CaseFileState.OPEN))
    ct = ContentType.objects.get_for_model(files[0].matter) if files else None
    latest = {}
    if files:
        for d in Deadline.objects.filter(
            subject_type=ct, subject_id__in=[str(f.matter_id) for f in files], rule_key=ARCHIVING_DEADLINE
        ).order_by("pk"):
            latest[d.subject_id] = d
    rows = []
    for f in files:
        d = latest.get(str(f.matter_id))
        rows.append(QueueRow(f, d.due if d else None, d.provisional if d else False))
    far = timezone.now().replace(year=9999)
    return sorted(rows, key=lambda r: (not r.overdue, r.due or far, r.case_file.pk))


def casefile_for(*, viewer, pk: int, purpose: str = "查看案卷") -> CaseFile:
    """One case file for a viewer who may see it; the look is a ledger event, a refusal too."""
    require(viewer, "archive.view")
    case_file = CaseFile.objects.filter(pk=pk, agency_id=viewer.agency_id).select_related(
        "matter", "section", "agency", "sealed_by", "pdf"
    ).first()
    if case_file is None:
        raise Http404("没有这个案卷。")
    allowed = CaseFile.objects.filter(_visible(viewer), pk=pk).exists()
    with transaction.atomic():
        event_record(
            kind="casefile.view" if allowed else "casefile.denied",
            subject=case_file,
            acting_user=viewer,
            data={"purpose": purpose},
        )
    if not allowed:
        raise PermissionDenied(
            f"您无权查看该案卷：它由{case_file.section.name}承办。请向档案管理员申请调阅。"
        )
    return case_file


def casefile_items(case_file):
    return case_file.items.select_related("record", "version", "instrument", "step").order_by("position")


def hold_list(*, viewer) -> QuerySet[Hold]:
    require(viewer, "archive.view_holds")
    return Hold.objects.filter(agency_id=viewer.agency_id).select_related("case_file", "record", "placed_by")


def disposal_list(*, viewer) -> QuerySet[Disposal]:
    require(viewer, "archive.view")
    return Disposal.objects.filter(agency_id=viewer.agency_id).prefetch_related("items__case_file", "removals")


def disposal_pending_count(*, viewer) -> int:
    return disposal_list(viewer=viewer).filter(state=DisposalState.PROPOSED).count()


def carrier_list(*, viewer) -> QuerySet[Carrier]:
    require(viewer, "archive.view")
    return Carrier.objects.filter(agency_id=viewer.agency_id).select_related("party").prefetch_related("case_files")


def carrier_for(*, viewer, pk: int) -> Carrier:
    require(viewer, "archive.view")
    carrier = carrier_list(viewer=viewer).filter(pk=pk).first()
    if carrier is None:
        raise Http404("没有这个存储载体。")
    return carrier


def collection_list(*, viewer, party) -> QuerySet[Collection]:
    require(viewer, "enterprises.view")
    if party.agency_id != viewer.agency_id:
        raise Http404("没有这个企业。")
    return Collection.objects.filter(party=party).select_related("collected_by", "section").prefetch_related(
        "items__record__versions"
    )


HOLD_PICKS_SHOWN = 30  # case files a search offers at once; the picked one stays offered besides


def casefile_hold_choices(*, viewer, query: str = "", picked=()) -> list[CaseFile]:
    """The case files the 登记保全 form offers: the agency's not yet disposed (holds are placed without
    reading contents, so legal reviewers place them for 复议 and 诉讼) whose code, title or matter matches
    `query`, newest first, and the one already picked."""
    require(viewer, "archive.hold")
    qs = (CaseFile.objects.filter(agency_id=viewer.agency_id).exclude(state=CaseFileState.DISPOSED)
          .select_related("matter").order_by("-pk"))
    ids = [pk for pk in picked if isinstance(pk, int)][:1]
    rows = list(qs.filter(pk__in=ids)) if ids else []
    query = query.strip()
    found = qs.filter(Q(code__icontains=query) | Q(title__icontains=query) | Q(matter__title__icontains=query)) \
        if query else qs
    return rows + [c for c in found[:HOLD_PICKS_SHOWN] if c.pk not in ids]


def casefile_for_hold(*, viewer, pk: int) -> CaseFile:
    """The case file a hold is placed on: the agency's, without reading its contents (legal reviewers
    place holds for 复议 and 诉讼). Another agency's is refused and logged (ValidationError)."""
    require(viewer, "archive.hold")
    try:
        return object_visible(CaseFile.objects.filter(agency_id=viewer.agency_id), pk=pk, viewer=viewer)
    except Http404:
        from django.core.exceptions import ValidationError

        raise ValidationError(f"本单位没有案卷#{pk}：请在列表中查找并选择。") from None


CARRIER_PICKS_SHOWN = 30  # case files a search offers at once; the picked ones stay offered besides
CARRIER_PICKS_MAX = 50  # case files one carrier may name on its registration


def _carrier_case_files(viewer) -> QuerySet[CaseFile]:
    require(viewer, "archive.manage")
    return casefile_list(viewer=viewer).exclude(state=CaseFileState.DISPOSED)


def casefile_carrier_choices(*, viewer, query: str = "", picked=()) -> list[CaseFile]:
    """The case files the 登记存储载体 form offers: the viewer's, not destroyed, whose code, title or
    matter matches `query`, newest first, and those already picked."""
    qs = _carrier_case_files(viewer).order_by("-pk")
    ids = [pk for pk in picked if isinstance(pk, int)][:CARRIER_PICKS_MAX]
    rows = list(qs.filter(pk__in=ids)) if ids else []
    query = query.strip()
    found = qs.filter(Q(code__icontains=query) | Q(title__icontains=query) | Q(matter__title__icontains=query)) \
        if query else qs
    return rows + [c for c in found[:CARRIER_PICKS_SHOWN] if c.pk not in ids]


def casefile_for_carrier(*, viewer, pk: int) -> CaseFile:
    """A case file a carrier holds: one the viewer may see and not destroyed. Any other is refused
    and logged (ValidationError)."""
    try:
        return object_visible(_carrier_case_files(viewer), pk=pk, viewer=viewer)
    except Http404:
        from django.core.exceptions import ValidationError

        raise ValidationError(f"没有您可选择的案卷#{pk}：请在列表中查找并勾选。") from None


def hold_for(*, viewer, pk: int) -> Hold:
    require(viewer, "archive.hold")
    hold = Hold.objects.filter(pk=pk, agency_id=viewer.agency_id).first()
    if hold is None:
        raise Http404("没有这个保全。")
    return hold


def archived_record_ids(record_ids) -> set[int]:
    """The records among `record_ids` that are archived: filed in a sealed case-file volume (as an
    item, or as the printed file itself). What other apps (access) ask instead of "the matter closed"."""
    ids = {int(pk) for pk in record_ids}
    if not ids:
        return set()
    sealed = CaseFile.objects.filter(state=CaseFileState.SEALED)
    found = set(sealed.filter(items__record_id__in=ids).values_list("items__record_id", flat=True))
    found |= set(sealed.filter(pdf_id__in=ids).values_list("pdf_id", flat=True))
    return found & ids


def matter_case_file_links(matter, viewer) -> list[dict]:
    """The volumes of a matter's case file that this viewer may open, for the matter page
    (registered in matters.gates, so matters never imports archive)."""
    from org.permissions import can

    if not getattr(viewer, "is_authenticated", False) or viewer.agency_id != matter.agency_id:
        return []
    linked = can(viewer, "archive.view")
    files = CaseFile.objects.filter(matter=matter).order_by("volume")
    if linked:
        visible = set(CaseFile.objects.filter(_visible(viewer), matter=matter).values_list("pk", flat=True))
    return [
        {
            "label": f"案卷 {f.code}（第{f.volume}卷，{f.get_state_display()}）",
            # Those who may not open case files see the state, and who to ask.
            "url": reverse("archive:detail", args=[f.pk]) if linked and f.pk in visible else "",
            "open": f.state == CaseFileState.OPEN,
        }
        for f in files
    ]


# What one refused at the 登记保全 and 登记存储载体 pages is told: who acts, and what to do instead
# (org.permissions.capability_required's `refusal`: the event kind, and the text naming {who}).
REFUSALS = {
    "archive.hold": (
        "hold.denied",
        "登记保全须由{who}办理，您的角色不能登记。请将复议、诉讼案号或调阅申请、投诉举报的编号告知{who}，"
        "由其在“保全”页登记；登记后该案卷解除前不得销毁。",
    ),
    "archive.manage": (
        "carrier.denied",
        "存储载体由{who}登记和保管，您的角色不能登记。请将载体及其内容清单交{who}，由其在“存储载体”页登记并打印标签。",
    ),
}

