"""Writes for agencies, sections, staff and certificates. Each runs in one transaction with its
ledger event, checks the acting user's role, and refuses bad input with a Chinese message."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from ledger.services import event_record
from org.choices import CertificateStatus, Role
from org.gates import assignment_refusal
from org.models import (
    Agency,
    EnforcementCertificate,
    RoleAssignment,
    Section,
    Staff,
    SupervisedAgency,
    SupervisingBody,
)
from org.permissions import require
from org.validators import validate_uscc


class NotAssignable(ValidationError):
    """The officer may not be given enforcement work (no valid 执法证 on that day)."""


def _known_pack(pack_id: str) -> None:
    from policy.selectors import packset

    if pack_id not in packset().packs:
        raise ValidationError(f"政策包“{pack_id}”不存在。")


def _bounded(model, **values) -> None:
    """Refuse a value longer than its column (SQLite would keep it, PostgreSQL would fail)."""
    for field, value in values.items():
        f = model._meta.get_field(field)
        if f.max_length and len(value or "") > f.max_length:
            raise ValidationError(f"{f.verbose_name}不能超过{f.max_length}个字（现为{len(value)}个字）。")


@transaction.atomic
def agency_create(
    *,
    acting_user=None,
    name: str,
    uscc: str,
    jurisdiction: str,
    policy_pack: str,
    short_name: str = "",
    duties: str = "",
    address: str = "",
    phone: str = "",
    complaint_channel: str = "",
    instrument_prefix: str = "",
) -> Agency:
    """Create an agency. Only the system (a command on the server) creates agencies.

    Raises ValidationError: invalid 统一社会信用代码, duplicate name or code, unknown policy pack.
    """
    if acting_user is not None:
        raise PermissionDenied("执法主体只能由系统运维人员在服务器上用命令创建。")
    name, jurisdiction = (name or "").strip(), (jurisdiction or "").strip()
    if not name or not jurisdiction:
        raise ValidationError("执法主体的名称和管辖范围不能为空。")
    _bounded(Agency, name=name, short_name=short_name, jurisdiction=jurisdiction, address=address, phone=phone,
             instrument_prefix=instrument_prefix)
    validate_uscc(uscc)
    _known_pack(policy_pack)
    if Agency.objects.filter(name=name).exists():
        raise ValidationError(f"执法主体“{name}”已存在。")
    if Agency.objects.filter(uscc=uscc).exists():
        raise ValidationError(f"统一社会信用代码“{uscc}”已被其他执法主体使用。")
    agency = Agency.objects.create(
        name=name,
        short_name=short_name,
        uscc=uscc,
        jurisdiction=jurisdiction,
        policy_pack=policy_pack,
        duties=duties,
        address=address,
        phone=phone,
        complaint_channel=complaint_channel,
        instrument_prefix=instrument_prefix,
    )
    event_record(
        kind="agency.create", subject=agency, agency=agency, data={"name": name, "policy_pack": policy_pack}
    )
    return agency


@transaction.atomic
def section_create(
    *,
    acting_user=None,
    agency: Agency,
    name: str,
    kind: str = "section",
    duties: str = "",
    enforces: bool = True,
) -> Section:
    require(acting_user, "org.manage_staff", agency=agency)
    name = (name or "").strip()
    if not name:
        raise ValidationError("科室名称不能为空。")
    _bounded(Section, name=name)
    if Section.objects.filter(agency=agency, name=name).exists():
        raise ValidationError(f"科室“{name}”已存在。")
    section = Section.objects.create(agency=agency, name=name, kind=kind, duties=duties, enforces=enforces)
    event_record(kind="section.create", subject=section, acting_user=acting_user, data={"name": name})
    return section


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationError(
            "未知角色："
            + "、".join(map(str, unknown))
            + "。可用角色："
            + "、".join(f"{c}（{label}）" for c, label in Role.choices)
        )
    return roles


def _agency_roles(roles: list[str]) -> list[str]:
    if Role.OVERSIGHT in roles:
        raise ValidationError(
            f"“{Role.OVERSIGHT.label}”角色只授予司法行政部门（执法监督机关）的人员，不能授予执法主体的工作人员。"
        )
    return roles


@transaction.atomic
def staff_create(
    *,
    acting_user=None,
    agency: Agency,
    username: str,
    name: str,
    password: str | None = None,
    section: Section | None = None,
    roles: Iterable[str] = (),
    position: str = "",
    phone: str = "",
    frontline: bool = False,
    legal_qualification: str = "",
) -> Staff:
    """Create a member of staff with roles.

    Raises ValidationError: unknown role, taken username, section of another agency, missing name.
    Raises PermissionDenied: the acting user is not an administrator of the agency.
    """
    require(acting_user, "org.manage_staff", agency=agency)
    roles = _agency_roles(_clean_roles(roles))
    username = (username or "").strip()
    name = (name or "").strip()
    if not username or not name:
        raise ValidationError("登录名和姓名不能为空。")
    _bounded(Staff, username=username, name=name, position=position, phone=phone,
             legal_qualification=legal_qualification)
    if Staff.objects.filter(username=username).exists():
        raise ValidationError(f"登录名“{username}”已被使用。")
    if section is not None and section.agency_id != agency.pk:
        raise ValidationError("所选科室不属于该执法主体。")
    staff = Staff(
        username=username,
        name=name,
        agency=agency,
        section=section,
        position=position,
        phone=phone,
        frontline=frontline,
        legal_qualification=legal_qualification,
    )
    if password:
        staff.set_password(password)
    else:
        staff.set_unusable_password()
    staff.save()
    RoleAssignment.objects.bulk_create(RoleAssignment(staff=staff, role=role) for role in roles)
    event_record(
        kind="staff.create",
        subject=staff,
        acting_user=acting_user,
        agency=agency,
        data={
            "username": username,
            "name": name,
            "roles": roles,
            "section": section.name if section else None,
        },
    )
    return staff


@transaction.atomic
def staff_set_roles(*, acting_user=None, staff: Staff, roles: Iterable[str]) -> Staff:
    """Replace a member of staff's roles. Raises ValidationError for an unknown role."""
    if staff.supervising_body_id:
        raise PermissionDenied("执法监督机关人员的角色由系统运维人员在服务器上设定，执法主体不能更改。")
    require(acting_user, "org.manage_staff", agency=staff.agency)
    roles = _agency_roles(_clean_roles(roles))
    before = sorted(staff.role_codes)
    RoleAssignment.objects.filter(staff=staff).exclude(role__in=roles).delete()
    existing = set(RoleAssignment.objects.filter(staff=staff).values_list("role", flat=True))
    RoleAssignment.objects.bulk_create(
        RoleAssignment(staff=staff, role=r) for r in roles if r not in existing
    )
    staff._role_codes = None
    event_record(
        kind="staff.roles",
        subject=staff,
        acting_user=acting_user,
        data={"before": before, "after": sorted(roles)},
    )
    return staff


@transaction.atomic
def certificate_issue(
    *,
    acting_user=None,
    staff: Staff,
    number: str,
    category: str,
    region: str,
    valid_from: date,
    valid_to: date,
    issuer: str = "",
) -> EnforcementCertificate:
    """Record a 执法证 for a member of staff.

    Raises ValidationError: end before start, duplicate number, empty fields.
    """
    require(acting_user, "org.manage_certificates", agency=staff.agency)
    number = (number or "").strip()
    if not number or not category or not region:
        raise ValidationError("证件编号、执法类别和执法区域不能为空。")
    if not valid_from or not valid_to:
        raise ValidationError("请填写有效期起止日期。")
    if valid_to < valid_from:
        raise ValidationError(
            f"有效期止（{valid_to:%Y-%m-%d}）早于有效期起（{valid_from:%Y-%m-%d}），请核对。"
        )
    if EnforcementCertificate.objects.filter(number=number).exists():
        raise ValidationError(f"执法证编号“{number}”已被登记，同一编号不能重复登记。")
    try:
        with transaction.atomic():
            certificate = EnforcementCertificate.objects.create(
                staff=staff,
                number=number,
                category=category,
                region=region,
                issuer=issuer,
                valid_from=valid_from,
                valid_to=valid_to,
            )
    except IntegrityError:
        raise ValidationError(f"执法证编号“{number}”已被登记，同一编号不能重复登记。") from None
    event_record(
        kind="certificate.issue",
        subject=certificate,
        acting_user=acting_user,
        agency=staff.agency,
        data={"number": number, "staff": staff.pk, "valid_from": str(valid_from), "valid_to": str(valid_to)},
    )
    return certificate


@transaction.atomic
def certificate_set_status(
    *, acting_user=None, certificate: EnforcementCertificate, status: str, reason: str
) -> EnforcementCertificate:
    """Suspend, revoke or restore a certificate, with the reason. Raises ValidationError."""
    require(acting_user, "org.manage_certificates", agency=certificate.staff.agency)
    if status not in CertificateStatus.values:
        raise ValidationError(f"未知证件状态“{status}”。")
    if not (reason or "").strip():
        raise ValidationError("请填写变更证件状态的理由。")
    before = certificate.status
    certificate.status = status
    certificate.save(update_fields=["status"])
    event_record(
        kind="certificate.status",
        subject=certificate,
        acting_user=acting_user,
        agency=certificate.staff.agency,
        data={"before": before, "after": status, "reason": reason},
    )
    return certificate


def officer_check_assignable(*, staff: Staff, on: date) -> EnforcementCertificate:
    """The certificate that lets `staff` take enforcement work on `on`.

    Raises NotAssignable with a Chinese message when the person is not an officer or holds no
    valid 执法证 that day (行政处罚法第四十二条: enforcement is done by officers holding one).
    """
    if not staff.has_role(Role.OFFICER):
        raise NotAssignable(f"{staff.name}不是执法人员，不能承担执法工作。")
    certificate = staff.certificates.valid_on(on).order_by("-valid_to").first()
    if certificate is None:
        latest = staff.certificates.order_by("-valid_to").first()
        if latest is None:
            raise NotAssignable(f"{staff.name}没有登记执法证，不能承担执法工作。")
        if latest.status != CertificateStatus.VALID:
            raise NotAssignable(
                f"{staff.name}的执法证（{latest.number}）已{latest.get_status_display()}，不能承担执法工作。"
            )
        if latest.valid_to < on:
            raise NotAssignable(
                f"{staff.name}的执法证（{latest.number}）已于{latest.valid_to:%Y年%m月%d日}过期，不能承担执法工作。"
            )
        raise NotAssignable(
            f"{staff.name}的执法证（{latest.number}）自{latest.valid_from:%Y年%m月%d日}起生效，当日不能承担执法工作。"
        )
    if refusal := assignment_refusal(staff, on):  # e.g. a 执法过错 measure (supervision)
        raise NotAssignable(refusal)
    return certificate


# --- 执法监督机关 (the 司法行政部门 supervising a government's agencies) --------------------------------


def _system_only(acting_user, what: str) -> None:
    if acting_user is not None:
        raise PermissionDenied(f"{what}只能由系统运维人员在服务器上用命令办理（zhifa agency）。")


@transaction.atomic
def supervising_body_create(
    *, acting_user=None, name: str, jurisdiction: str, short_name: str = ""
) -> SupervisingBody:
    """Register a supervising body (e.g. 抚顺市司法局). Only the system (a command on the server).

    Raises ValidationError: empty or too long name/范围, duplicate name (also of an agency).
    """
    _system_only(acting_user, "执法监督机关")
    name, jurisdiction, short_name = (name or "").strip(), (jurisdiction or "").strip(), (short_name or "").strip()
    if not name or not jurisdiction:
        raise ValidationError("执法监督机关的名称和监督范围不能为空。")
    for label, value, field in (("名称", name, "name"), ("监督范围", jurisdiction, "jurisdiction"),
                                ("简称", short_name, "short_name")):
        limit = SupervisingBody._meta.get_field(field).max_length
        if len(value) > limit:
            raise ValidationError(f"{label}不能超过{limit}个字（现为{len(value)}个字）。")
    if SupervisingBody.objects.filter(name=name).exists() or Agency.objects.filter(name=name).exists():
        raise ValidationError(f"“{name}”已登记，名称不能重复。")
    body = SupervisingBody.objects.create(name=name, jurisdiction=jurisdiction, short_name=short_name)
    event_record(kind="supervising_body.create", subject=body, data={"name": name, "jurisdiction": jurisdiction})
    return body


@transaction.atomic
def supervising_body_attach(*, acting_user=None, body: SupervisingBody, agency: Agency) -> SupervisedAgency:
    """Put an agency under a body's 执法监督. The event is in the agency's ledger: from then on
    the body's staff may read its matters, statistics and records' metadata.

    Raises ValidationError when the agency is already supervised by that body.
    """
    _system_only(acting_user, "纳入执法监督")
    if SupervisedAgency.objects.filter(body=body, agency=agency).exists():
        raise ValidationError(f"{agency.name}已在{body.name}的监督范围内。")
    link = SupervisedAgency.objects.create(body=body, agency=agency)
    event_record(kind="agency.supervisor_attach", subject=agency, agency=agency,
                 data={"body": body.name, "body_id": body.pk})
    return link


@transaction.atomic
def supervisor_create(
    *,
    acting_user=None,
    body: SupervisingBody,
    username: str,
    name: str,
    password: str | None = None,
    position: str = "",
    phone: str = "",
) -> Staff:
    """A member of a supervising body's staff with the read-only 执法监督 role (no agency).

    Raises ValidationError: empty or taken username, empty name, values longer than their columns.
    """
    _system_only(acting_user, "执法监督人员")
    username, name = (username or "").strip(), (name or "").strip()
    if not username or not name:
        raise ValidationError("登录名和姓名不能为空。")
    for label, value, field in (("登录名", username, "username"), ("姓名", name, "name"),
                                ("职务", position, "position"), ("电话", phone, "phone")):
        limit = Staff._meta.get_field(field).max_length
        if len(value) > limit:
            raise ValidationError(f"{label}不能超过{limit}个字（现为{len(value)}个字）。")
    if Staff.objects.filter(username=username).exists():
        raise ValidationError(f"登录名“{username}”已被使用。")
    staff = Staff(username=username, name=name, supervising_body=body, position=position, phone=phone)
    if password:
        staff.set_password(password)
    else:
        staff.set_unusable_password()
    staff.save()
    RoleAssignment.objects.create(staff=staff, role=Role.OVERSIGHT)
    event_record(kind="staff.create", subject=staff, data={"username": username, "name": name,
                                                           "roles": [Role.OVERSIGHT], "body": body.name})
    return staff


@transaction.atomic
def agency_provision(
    *,
    acting_user=None,
    name: str,
    uscc: str,
    jurisdiction: str,
    policy_pack: str,
    sections: Iterable[str],
    admin_username: str,
    admin_name: str,
    admin_password: str | None = None,
    short_name: str = "",
    instrument_prefix: str = "",
) -> Agency:
    """A new agency ready for its administrator: the agency with its pack, its sections and its
    first 系统管理员 (who then adds the staff). All or nothing.

    Raises ValidationError (as agency_create, section_create and staff_create) and when no section
    is given.
    """
    agency = agency_create(acting_user=acting_user, name=name, uscc=uscc, jurisdiction=jurisdiction,
                           policy_pack=policy_pack, short_name=short_name, instrument_prefix=instrument_prefix)
    names = [n.strip() for n in sections if n and n.strip()]
    if not names:
        raise ValidationError(f"{name}：请至少填写一个科室。")
    for section in dict.fromkeys(names):
        section_create(acting_user=acting_user, agency=agency, name=section)
    staff_create(acting_user=acting_user, agency=agency, username=admin_username, name=admin_name,
                 password=admin_password, roles=[Role.ADMIN])
    return agency
