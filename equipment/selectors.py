"""Reads for devices, and the shortfall against the pack's equipment standard."""

from dataclasses import dataclass

from django.db.models import QuerySet

from equipment.choices import DeviceKind, DeviceStatus
from equipment.models import Device
from ledger.refusals import object_visible
from org.models import Section, Staff
from org.permissions import require
from policy.selectors import agency_rules


def device_list(*, viewer) -> QuerySet[Device]:
    require(viewer, "equipment.view")
    return (
        Device.objects.filter(agency_id=viewer.agency_id)
        .select_related("section", "holder")
        .order_by("section_id", "kind", "serial")
    )


def device_get(*, viewer, pk: int) -> Device:
    return object_visible(device_list(viewer=viewer), pk=pk, viewer=viewer, missing="本单位没有这台设备。")


@dataclass(frozen=True)
class Shortfall:
    section: Section
    kind: str
    required: int
    held: int

    @property
    def kind_label(self) -> str:
        return DeviceKind(self.kind).label

    @property
    def missing(self) -> int:
        return max(0, self.required - self.held)


def equipment_shortfall(*, viewer) -> tuple[list[Shortfall], object]:
    """Per enforcing section and device kind: what the pack's standard requires, what is in service.

    Returns the rows and the rule (with its citation) the standard comes from; no rows and None
    where the agency's regulations set no standard (通化, 平顶山).
    """
    require(viewer, "equipment.view")
    rules = agency_rules(viewer.agency)
    rule = rules.get("equipment.standard")
    if rule is None:
        return [], None
    sections = list(Section.objects.filter(agency_id=viewer.agency_id, enforces=True).order_by("id"))
    in_service = {}
    for section_id, kind in Device.objects.filter(
        agency_id=viewer.agency_id, status=DeviceStatus.IN_SERVICE
    ).values_list("section_id", "kind"):
        in_service[(section_id, kind)] = in_service.get((section_id, kind), 0) + 1
    rows = []
    for section in sections:
        frontline = Staff.objects.filter(section=section, is_active=True, frontline=True).count()
        officers = (
            Staff.objects.filter(section=section, is_active=True, role_assignments__role="officer")
            .distinct()
            .count()
        )
        for standard in rule.value:
            per = {"frontline_officer": frontline, "officer": officers, "section": 1}[standard["per"]]
            required = per * standard["count"]
            rows.append(
                Shortfall(
                    section,
                    standard["device_kind"],
                    required,
                    in_service.get((section.pk, standard["device_kind"]), 0),
                )
            )
    return rows, rule
