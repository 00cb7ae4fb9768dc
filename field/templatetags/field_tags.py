"""Panels other apps' pages include: an inspection's 检查码 and the frequent-inspection flag."""

from django import template

from field.models import InspectionCode, SignatureBinding
from field.selectors import inspection_frequency
from field.services import signature_verify
from matters.choices import MatterKind

register = template.Library()


@register.inclusion_tag("field/matter_panel.html")
def field_matter_panel(matter):
    """The inspection's 检查码 and frequency flag; for every matter, its on-screen signatures and
    whether each still signs its 文书 as it stands."""
    signatures = [
        {"s": b.signature, "valid": signature_verify(b.signature)}
        for b in SignatureBinding.objects.filter(signature__instrument__matter=matter).select_related(
            "signature__instrument"
        )
    ]
    inspection = matter.kind == MatterKind.INSPECTION
    return {
        "show": inspection,
        "matter": matter,
        "code": InspectionCode.objects.filter(matter=matter).select_related("rating").first() if inspection else None,
        "frequency": inspection_frequency(matter=matter) if inspection else None,
        "signatures": signatures,
    }


@register.inclusion_tag("field/enterprise_flag.html")
def field_enterprise_flag(enterprise):
    return {"frequency": inspection_frequency(party=enterprise, agency=enterprise.agency)}
