"""Writes for recording devices: register, issue, return. The office does these (000 音像记录设备
使用管理办法和监督规则第六条: 办公室负责音像记录设备的登记、发放)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from equipment.choices import DeviceKind, DeviceStatus
from equipment.models import Device, DeviceIssue
from ledger.services import event_record
from org.permissions import require


@transaction.atomic
def device_register(*, acting_user=None, agency, section, kind: str, serial: str, model: str = "") -> Device:
    """Register a device. Raises ValidationError: unknown kind, duplicate serial, section of another agency."""
    require(acting_user, "equipment.manage", agency=agency)
    serial = (serial or "").strip()
    if kind not in DeviceKind.values:
        raise ValidationError(f"未知设备类型“{kind}”。")
    if not serial:
        raise ValidationError("设备编号不能为空。")
    if section.agency_id != agency.pk:
        raise ValidationError("使用科室不属于本单位。")
    if Device.objects.filter(serial=serial).exists():
        raise ValidationError(f"设备编号“{serial}”已登记。")
    device = Device.objects.create(agency=agency, section=section, kind=kind, serial=serial, model=model)
    event_record(
        kind="device.register",
        subject=device,
        acting_user=acting_user,
        data={"serial": serial, "kind": kind, "section": section.name},
    )
    return device


@transaction.atomic
def device_issue(*, acting_user=None, device: Device, holder) -> DeviceIssue:
    """Hand a device to a member of staff. Raises ValidationError if it is out or not in service."""
    require(acting_user, "equipment.manage", agency=device.agency)
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.status != DeviceStatus.IN_SERVICE:
        raise ValidationError(f"设备 {device.serial} 处于“{device.get_status_display()}”状态，不能发放。")
    if device.holder_id:
        raise ValidationError(f"设备 {device.serial} 已由{device.holder.name}领用，须先归还。")
    if holder.agency_id != device.agency_id:
        raise ValidationError("领用人不属于本单位。")
    issue = DeviceIssue.objects.create(
        device=device, holder=holder, issued_by=acting_user, issued_at=timezone.now()
    )
    device.holder = holder
    device.save(update_fields=["holder"])
    event_record(
        kind="device.issue",
        subject=device,
        acting_user=acting_user,
        data={"holder": holder.pk, "holder_name": holder.name},
    )
    return issue


@transaction.atomic
def device_return(*, acting_user=None, device: Device) -> DeviceIssue:
    """Take a device back. Raises ValidationError if it is not out."""
    require(acting_user, "equipment.manage", agency=device.agency)
    issue = DeviceIssue.objects.select_for_update().filter(device=device, returned_at__isnull=True).first()
    if issue is None:
        raise ValidationError(f"设备 {device.serial} 未被领用，无需归还。")
    issue.returned_at = timezone.now()
    issue.returned_to = acting_user
    issue.save(update_fields=["returned_at", "returned_to"])
    Device.objects.filter(pk=device.pk).update(holder=None)
    event_record(
        kind="device.return", subject=device, acting_user=acting_user, data={"holder": issue.holder_id}
    )
    return issue
