from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class CalendarArrangement(models.Model):
    """节假日安排 — the State Council's holiday arrangement for one year, as entered by an administrator.

    Never edited: entering a year again adds a new row that supersedes the previous one.
    """

    year = models.PositiveSmallIntegerField("年度")
    holidays = models.JSONField("放假日期", default=list, help_text="[{date, name}]")
    workdays = models.JSONField("调休上班日期", default=list, help_text="[date]")
    document = models.CharField("依据文件", max_length=200)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name="取代",
    )
    entered_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="录入人"
    )
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["year", "-id"]

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"


class Deadline(models.Model):
    """法定期限 — a deadline computed from a pack rule for some step, kept so that it can be shown,
    flagged when provisional and recomputed when a year's holiday arrangement is entered."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="deadlines", verbose_name="执法主体"
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    rule_key = models.CharField("规则", max_length=80)
    pack_id = models.CharField("政策包", max_length=60)
    start = models.DateTimeField("起算时间")
    amount = models.PositiveIntegerField("期限数值")
    unit = models.CharField("单位", max_length=20)
    due = models.DateTimeField("届满时间")
    provisional = models.BooleanField("暂定", default=False)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = "法定期限"
        verbose_name_plural = "法定期限"
        ordering = ["due"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="deadline_subject")]

    def __str__(self) -> str:
        return f"{self.rule_key} → {self.due:%Y-%m-%d}"


class RuleSupplement(models.Model):
    """本单位补充规定 — a figure an agency adopts by its own document (文号, article), overlaying its
    policy pack for one rule key from the day the document takes effect.

    Never edited: adopting another figure adds a row with a later effective date; each rule's history
    is the pack's versions and these rows.
    """

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="rule_supplements", verbose_name="执法主体"
    )
    key = models.CharField("规则", max_length=80)
    value = models.JSONField("规定")
    unit = models.CharField("单位", max_length=20)
    document_title = models.CharField("采用文件", max_length=200)
    document_number = models.CharField("文号", max_length=100)
    article = models.CharField("条款", max_length=60)
    summary = models.CharField("说明", max_length=300)
    effective_from = models.DateField("施行日期")
    entered_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="录入人"
    )
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "本单位补充规定"
        verbose_name_plural = "本单位补充规定"
        ordering = ["key", "effective_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "key", "effective_from"], name="rule_supplement_one_per_key_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}（{self.document_number}，{self.effective_from:%Y-%m-%d}起）"
