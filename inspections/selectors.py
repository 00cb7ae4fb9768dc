import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from enterprises.models import Enterprise
from inspections.choices import INSPECTION_STEP, DrawState
from inspections.draw import commitment, digest, draw
from inspections.models import InspectionDraw, InspectionItem, InspectionTask, Recusal
from ledger.refusals import object_visible, refusal_record
from org.choices import Role
from org.gates import assignment_excluded
from org.models import EnforcementCertificate
from org.permissions import require
from policy.selectors import agency_rules


def public_items() -> QuerySet[InspectionItem]:
    """The 随机抽查事项清单 as published (000 第七条第二款)."""
    return InspectionItem.objects.filter(active=True).select_related("agency", "section")


def public_draws() -> QuerySet[InspectionDraw]:
    return InspectionDraw.objects.select_related("item", "agency")


def _tasks() -> Prefetch:
    """A draw's tasks, each annotated with whether its matter has its 现场检查 recorded (`inspected`),
    which `InspectionTask.state` reads."""
    from matters.models import Step

    done = Step.objects.filter(matter_id=OuterRef("matter_id"), transition=INSPECTION_STEP)
    tasks = InspectionTask.objects.select_related("party", "matter").prefetch_related("officers__certificates")
    return Prefetch("tasks", queryset=tasks.annotate(inspected=Exists(done)))


def public_draw(*, pk: int) -> InspectionDraw:
    return public_draws().prefetch_related(_tasks()).get(pk=pk)


def draw_reproduces(record: InspectionDraw) -> bool:
    """Re-run the draw from its published seed and inputs; True when it gives the same result, the
    seed matches the commitment published first and the inputs the hash published when fixed."""
    if record.state != DrawState.DRAWN:
        return False
    if record.seed_sha256 and commitment(record.seed) != record.seed_sha256:
        return False
    if record.inputs_sha256 and digest(record.inputs) != record.inputs_sha256:
        return False
    return draw(record.seed, record.inputs) == record.result


def draw_published(record: InspectionDraw) -> dict:
    """What the portal publishes of a draw at its stage: the seed only once it is revealed."""
    shown = {"seed_sha256": record.seed_sha256, "inputs": record.inputs, "inputs_sha256": record.inputs_sha256}
    if record.state == DrawState.DRAWN:
        shown |= {"seed": record.seed, "result": record.result}
    return shown


@dataclass
class DrawPreview:
    inputs: dict
    parties: list  # the targets in scope, by key
    officers: list
    out_of_scope: int  # the agency's enterprises the item's scope leaves out
    unclassified: int  # of them, those whose field of supervision is not recorded


def draw_preview(*, viewer, item: InspectionItem) -> DrawPreview:
    """What a draw of `item` would run on if its inputs were fixed now; nothing is stored or shown
    to the public."""
    require(viewer, "inspections.draw", agency=item.agency)
    inputs, parties, officers = draw_inputs(item)
    everyone = Enterprise.objects.filter(agency=item.agency)
    unclassified = everyone.filter(sector="").count() if item.target_sector else 0
    return DrawPreview(
        inputs=inputs,
        parties=list(parties.values()),
        officers=list(officers.values()),
        out_of_scope=everyone.count() - len(parties),
        unclassified=unclassified,
    )


def draw_inputs(item: InspectionItem, *, on=None) -> tuple[dict, dict, dict]:
    """The inputs of a draw from today's data: the regulated parties (by their public code), the
    officers with a valid 执法证 (by certificate number) and who is excluded for whom.
    Returns (inputs, parties by key, officers by key)."""
    on = on or timezone.localdate()
    parties = Enterprise.objects.filter(agency=item.agency)
    if item.target_sector:
        # Only enterprises in the item's field of supervision are its targets (a 工贸 item never
        # draws a mine); one whose field is not recorded is in no item's scope until it is.
        parties = parties.filter(sector=item.target_sector)
    if item.target_industry:
        parties = parties.filter(industry=item.target_industry)
    party_by_key = {p.id_number: p for p in parties.order_by("id_number")}
    certificates = (
        EnforcementCertificate.objects.valid_on(on)
        .filter(staff__agency=item.agency, staff__is_active=True, staff__role_assignments__role=Role.OFFICER)
        .exclude(staff_id__in=assignment_excluded(item.agency_id, on))  # e.g. suspended for a 执法过错
        .select_related("staff")
        .order_by("number")
    )
    officer_by_key = {}
    for certificate in certificates:
        if certificate.staff not in officer_by_key.values():
            officer_by_key[certificate.number] = certificate.staff
    key_of_staff = {staff.pk: key for key, staff in officer_by_key.items()}
    excluded: dict[str, set[str]] = {}
    for recusal in Recusal.objects.filter(party__in=party_by_key.values(), officer_id__in=key_of_staff):
        excluded.setdefault(recusal.party.id_number, set()).add(key_of_staff[recusal.officer_id])
    if agency_rules(item.agency, on).value("publicity.inspection_recuse_last_inspector", default=False):
        seen = set()
        last_tasks = InspectionTask.objects.filter(party__in=party_by_key.values()).order_by(
            "-draw__drawn_at", "-id"
        )
        for task in last_tasks.prefetch_related("officers").select_related("party"):
            if task.party_id in seen:
                continue
            seen.add(task.party_id)
            for officer in task.officers.all():
                if officer.pk in key_of_staff:
                    excluded.setdefault(task.party.id_number, set()).add(key_of_staff[officer.pk])
    count = math.ceil(len(party_by_key) * item.proportion / 100) if party_by_key else 0
    inputs = {
        "item": item.pk,
        "on": on.isoformat(),
        "targets": list(party_by_key),
        "officers": list(officer_by_key),
        "count": count,
        "per_target": item.officers_per_target,
        "excluded": {k: sorted(v) for k, v in sorted(excluded.items())},
    }
    return inputs, party_by_key, officer_by_key


def item_list(*, viewer) -> QuerySet[InspectionItem]:
    require(viewer, "inspections.view")
    return InspectionItem.objects.filter(agency_id=viewer.agency_id)


def draw_list(*, viewer) -> QuerySet[InspectionDraw]:
    require(viewer, "inspections.view")
    return InspectionDraw.objects.filter(agency_id=viewer.agency_id).select_related("item")


def item_get(*, viewer, pk: int) -> InspectionItem:
    return object_visible(item_list(viewer=viewer), pk=pk, viewer=viewer, missing="没有该抽查事项。")


def draw_get(*, viewer, pk: int) -> InspectionDraw:
    qs = draw_list(viewer=viewer).prefetch_related(_tasks())
    return object_visible(qs, pk=pk, viewer=viewer, missing="没有该抽取记录。")


def task_for(*, viewer, pk: int) -> InspectionTask:
    """A task whose result the viewer may record: one of its drawn officers, or the chief of their
    section or of the item's (002 二（一）: the drawn officers inspect)."""
    require(viewer, "inspections.record")
    qs = InspectionTask.objects.select_related("draw", "draw__item", "party", "matter").filter(draw__agency_id=viewer.agency_id)
    task = object_visible(qs, pk=pk, viewer=viewer, missing="没有该检查任务。")
    officers = list(task.officers.all())
    sections = {o.section_id for o in officers} | {task.draw.item.section_id}
    chief = viewer.has_role(Role.SECTION_CHIEF) and viewer.section_id in sections - {None}
    if not chief and viewer.pk not in {o.pk for o in officers}:
        refusal_record(subject=task, acting_user=viewer, reason="不是该检查任务的检查人员")
        names = "、".join(o.name for o in officers) or "抽中的检查人员"
        raise PermissionDenied(f"该检查任务由{names}承担，只有他们或其所在科室的负责人可以登记检查结果。")
    return task


def recusal_list(*, viewer) -> QuerySet[Recusal]:
    require(viewer, "inspections.view")
    return Recusal.objects.filter(officer__agency_id=viewer.agency_id).select_related("officer", "party")


def task_refused(*, viewer, task: InspectionTask, reason: str) -> None:
    """A refused attempt to register a task's result is logged as a refusal."""
    refusal_record(subject=task, acting_user=viewer, reason=reason)
