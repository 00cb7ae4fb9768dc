"""Panels other apps' pages include: an inspection's 检查码 and the frequent-inspection flag."""

from django import template

from field.models import InspectionCode
from field.selectors import inspection_frequency
from matters.choices import MatterKind

register = template.Library()


@register.inclusion_tag("field/matter_panel.html")
def field_matter_panel(matter):
    if matter.kind != MatterKind.INSPECTION:
        return {"show": False}
    return {
        "show": True,
        "matter": matter,
        "code": InspectionCode.objects.filter(matter=matter).first(),
        "frequency": inspection_frequency(matter=matter),
    }


@register.inclusion_tag("field/enterprise_flag.html")
def field_enterprise_flag(enterprise):
    return {"frequency": inspection_frequency(party=enterprise, agency=enterprise.agency)}
