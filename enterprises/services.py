"""Writes for regulated parties. Each checks the role, validates in Chinese and logs its event."""

from django.core.exceptions import ValidationError
from django.db import transaction

from enterprises.choices import PartyKind, RiskLevel, Sector
from enterprises.models import Enterprise
from ledger.services import event_record
from org.permissions import require
from org.validators import validate_uscc

ENTERPRISE_FIELDS = (
    "name",
    "legal_representative",
    "industry",
    "sector",
    "region",
    "address",
    "phone",
    "business_scope",
    "employees",
    "risk_level",
    "major_hazard_source",
    "hazardous_processes",
    "contact_person",
    "contact_phone",
    "supervising_section",
)


def _validate(agency, fields: dict) -> None:
    for required, label in (
        ("name", "单位名称"),
        ("legal_representative", "法定代表人"),
        ("industry", "所属行业"),
    ):
        if not str(fields.get(required) or "").strip():
            raise ValidationError(f"{label}不能为空。")
    if fields.get("risk_level") and fields["risk_level"] not in RiskLevel.values:
        raise ValidationError(f"未知风险等级“{fields['risk_level']}”。")
    if fields.get("sector") and fields["sector"] not in Sector.values:
        raise ValidationError(f"未知监管行业领域“{fields['sector']}”。")
    section = fields.get("supervising_section")
    if section is not None and section.agency_id != agency.pk:
        raise ValidationError("监管科室不属于本单位。")


@transaction.atomic
def enterprise_create(*, acting_user=None, agency, uscc: str, **fields) -> Enterprise:
    """Register a regulated enterprise (一企一档).

    Raises ValidationError: invalid or already registered 统一社会信用代码, missing name,
    legal representative or industry. Raises PermissionDenied without enterprises.manage.
    """
    require(acting_user, "enterprises.manage", agency=agency)
    uscc = (uscc or "").strip().upper()
    validate_uscc(uscc)
    unknown = set(fields) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise ValidationError("未知字段：" + "、".join(sorted(unknown)))
    _validate(agency, fields)
    if Enterprise.objects.filter(agency=agency, id_number=uscc).exists():
        raise ValidationError(f"统一社会信用代码为“{uscc}”的单位已登记。")
    kind = PartyKind.LEGAL_PERSON if uscc[0] in "19" else PartyKind.OTHER_ORGANISATION
    enterprise = Enterprise.objects.create(agency=agency, kind=kind, id_number=uscc, **fields)
    event_record(
        kind="enterprise.create",
        subject=enterprise,
        acting_user=acting_user,
        agency=agency,
        data={"uscc": uscc, "name": enterprise.name},
    )
    return enterprise


@transaction.atomic
def enterprise_update(*, acting_user=None, enterprise: Enterprise, **fields) -> Enterprise:
    """Change an enterprise's base information; the event keeps what each field was before."""
    require(acting_user, "enterprises.manage", agency=enterprise.agency)
    unknown = set(fields) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise ValidationError("未知字段或不可修改的字段：" + "、".join(sorted(unknown)))
    merged = {name: getattr(enterprise, name) for name in ENTERPRISE_FIELDS} | fields
    _validate(enterprise.agency, merged)
    changes = {}
    for name, value in fields.items():
        before = getattr(enterprise, name)
        if before != value:
            changes[name] = {"before": _plain(before), "after": _plain(value)}
            setattr(enterprise, name, value)
    if changes:
        enterprise.save()
        event_record(kind="enterprise.update", subject=enterprise, acting_user=acting_user, data=changes)
    return enterprise


def _plain(value):
    return value.pk if hasattr(value, "pk") else value
