from django.db.models import QuerySet

from inspections.draw import draw
from inspections.models import InspectionDraw, InspectionItem, Recusal
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


def draw_get(*, viewer, pk: int) -> InspectionDraw:
    return draw_list(viewer=viewer).prefetch_related("tasks__party", "tasks__officers").get(pk=pk)


def recusal_list(*, viewer) -> QuerySet[Recusal]:
    require(viewer, "inspections.view")
    return Recusal.objects.filter(officer__agency_id=viewer.agency_id).select_related("officer", "party")
