"""执法监督: compliance findings found by the scan, with their history."""

from django.db import models

from supervision.choices import Check, FindingEventKind


class Finding(models.Model):
    """执法监督发现的问题 — one breach of a pack rule by one matter, record or publication. It opens
    when the scan finds it and closes by itself once the facts are put right (000 全过程记录制度第二十条、
    第二十二条: the supervising section checks, the officer's section orders it put right)."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="findings")
    section = models.ForeignKey(
        "org.Section", on_delete=models.PROTECT, related_name="findings", null=True, blank=True
    )
    matter = models.ForeignKey(
        "matters.Matter", on_delete=models.PROTECT, related_name="findings", null=True, blank=True
    )
    officer = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="findings", null=True, blank=True,
        verbose_name="责任执法人员",
    )
    kind = models.CharField("检查项", max_length=30, choices=Check.choices)
    subject = models.CharField("对象", max_length=80, help_text="app.model:pk[:detail] of what breaks the rule")
    rule_key = models.CharField("规则", max_length=80)
    citation = models.CharField("依据", max_length=300)
    message = models.CharField("问题", max_length=500)
    remedy = models.CharField("纠正办法", max_length=300)
    opened_at = models.DateTimeField("发现时间")
    closed_at = models.DateTimeField("纠正时间", null=True, blank=True)
    seen_at = models.DateTimeField("最近核查时间")

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = "监督发现"
        verbose_name_plural = "监督发现"
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "subject"], name="finding_unique_subject")]
        indexes = [models.Index(fields=["agency", "closed_at"], name="finding_open")]

    def __str__(self) -> str:
        return self.message[:40]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class FindingEvent(models.Model):
    """One change in a finding's life: found, put right, found again."""

    finding = models.ForeignKey("supervision.Finding", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事件", max_length=10, choices=FindingEventKind.choices)
    at = models.DateTimeField("时间")
    message = models.CharField("情况", max_length=500)

    class Meta:
        ordering = ["pk"]
        verbose_name = "监督发现记录"
        verbose_name_plural = "监督发现记录"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class ScanRun(models.Model):
    """One run of the compliance scan over one agency, with what it changed."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="scan_runs")
    at = models.DateTimeField("扫描时间")
    opened = models.PositiveIntegerField("新发现", default=0)
    reopened = models.PositiveIntegerField("再次发现", default=0)
    closed = models.PositiveIntegerField("已纠正", default=0)
    open = models.PositiveIntegerField("未纠正", default=0)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "合规扫描"
        verbose_name_plural = "合规扫描"

    def __str__(self) -> str:
        return f"{self.agency} {self.at:%Y-%m-%d %H:%M}"
