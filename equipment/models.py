from django.db import models
from django.db.models import Q

from equipment.choices import DeviceKind, DeviceStatus


class Device(models.Model):
    """音像记录设备 — a body camera, camera, voice recorder or camcorder registered by the office."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="devices", verbose_name="执法主体"
    )
    section = models.ForeignKey(
        "org.Section", on_delete=models.PROTECT, related_name="devices", verbose_name="使用科室"
    )
    kind = models.CharField("类型", max_length=20, choices=DeviceKind.choices)
    serial = models.CharField("设备编号", max_length=60, unique=True)
    model = models.CharField("型号", max_length=60, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=DeviceStatus.choices, default=DeviceStatus.IN_SERVICE
    )
    holder = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        related_name="devices_held",
        null=True,
        blank=True,
        verbose_name="当前领用人",
    )
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "音像记录设备"
        verbose_name_plural = "音像记录设备"
        ordering = ["section", "kind", "serial"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"


class DeviceIssue(models.Model):
    """领用记录 — a device handed to a member of staff and, later, returned."""

    device = models.ForeignKey(
        "equipment.Device", on_delete=models.PROTECT, related_name="issues", verbose_name="设备"
    )
    holder = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="device_issues", verbose_name="领用人"
    )
    issued_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, verbose_name="发放人"
    )
    issued_at = models.DateTimeField("领用时间")
    returned_at = models.DateTimeField("归还时间", null=True, blank=True)
    returned_to = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name="接收人"
    )

    class Meta:
        verbose_name = "领用记录"
        verbose_name_plural = "领用记录"
        ordering = ["-issued_at"]
        constraints = [
            # At most one open issue per device.
            models.UniqueConstraint(
                fields=["device"], condition=Q(returned_at__isnull=True), name="device_one_open_issue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device} → {self.holder}"
