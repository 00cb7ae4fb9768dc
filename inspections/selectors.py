from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from inspections.draw import draw
from inspections.models import InspectionDraw, InspectionItem, InspectionTask, Recusal
from ledger.refusals import object_visible, refusal_record
from org.choices import Role
from org.permissions import require


def public_items() -> QuerySet[InspectionItem]:
    """The 随机抽查事项清单 as published (000 第七条第二款)."""
    return InspectionItem.objects.filter(active=True).select_related("agency", "section")


def public_draws() -> QuerySet[InspectionDraw]:
    return InspectionDraw.objects.select_related("item", "agency")


def public_draw(*, pk: int) -> InspectionDraw:
    return public_draws().prefetch_related("tasks__party", "tasks__officers__certificates").get(pk=pk)


def draw_reproduces(record: InspectionDraw) -> bool:
    """Re-run the draw from its published seed and inputs; True when it gives the same result."""
    return draw(record.seed, record.inputs) == record.result


def item_list(*, viewer) -> QuerySet[InspectionItem]:
    require(viewer, "inspections.view")
    return InspectionItem.objects.filter(agency_id=viewer.agency_id)


def draw_list(*, viewer) -> QuerySet[InspectionDraw]:
    require(viewer, "inspections.view")
    return InspectionDraw.objects.filter(agency_id=viewer.agency_id).select_related("item")


def item_get(*, viewer, pk: int) -> InspectionItem:
    return object_visible(item_list(viewer=viewer), pk=pk, viewer=viewer, missing="没有该抽查事项。")


def draw_get(*, viewer, pk: int) -> InspectionDraw:
    qs = draw_list(viewer=viewer).prefetch_related("tasks__party", "tasks__officers")
    return object_visible(qs, pk=pk, viewer=viewer, missing="没有该抽取记录。")


def task_for(*, viewer, pk: int) -> InspectionTask:
    """A task whose result the viewer may record: one of its drawn officers, or the chief of their
    section or of the item's (002 二（一）: the drawn officers inspect)."""
    require(viewer, "inspections.record")
    qs = InspectionTask.objects.select_related("draw", "draw__item", "party").filter(draw__agency_id=viewer.agency_id)
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
