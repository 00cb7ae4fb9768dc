"""执法监督: compliance findings found by the scan, with their history."""

from django.db import models

from supervision.choices import (
    LOST_RESULTS,
    ChallengeKind,
    ChallengeResult,
    Check,
    FindingEventKind,
    ReminderCategory,
)
from supervision.oversight_models import CaseReview, Fault, SpotCheck, SpotCheckItem  # noqa: F401 (issue 16 items 2-4)


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


class ReminderPreference(models.Model):
    """What one person chooses to receive: the bell in the application, the daily digest and a
    message when something of theirs becomes overdue, each by mail or SMS, and which kinds of item."""

    staff = models.OneToOneField("org.Staff", on_delete=models.CASCADE, related_name="reminder_preference")
    in_app = models.BooleanField("在平台内提醒（铃铛）", default=True)
    digest_mail = models.BooleanField("每日汇总邮件", default=True)
    overdue_mail = models.BooleanField("逾期时即时邮件", default=True)
    digest_sms = models.BooleanField("每日汇总短信", default=False)
    overdue_sms = models.BooleanField("逾期时即时短信", default=False)
    categories = models.JSONField("提醒事项", default=list, blank=True, help_text="empty: every category")
    digest_sent_on = models.DateField("最近汇总邮件日期", null=True, blank=True)

    class Meta:
        verbose_name = "提醒设置"
        verbose_name_plural = "提醒设置"

    def __str__(self) -> str:
        return f"{self.staff} 提醒设置"

    def wants(self, category: str) -> bool:
        return not self.categories or category in self.categories


class Reminder(models.Model):
    """提醒 — a due or overdue item for the person responsible for it, kept while it is open."""

    staff = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="reminders")
    key = models.CharField("事项标识", max_length=120)
    category = models.CharField("类别", max_length=20, choices=ReminderCategory.choices)
    title = models.CharField("事项", max_length=300)
    citation = models.CharField("依据", max_length=300, blank=True)
    due = models.DateTimeField("期限", null=True, blank=True)
    overdue = models.BooleanField("已逾期", default=False)
    opened_at = models.DateTimeField("提醒时间")
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    overdue_mailed_at = models.DateTimeField("逾期邮件发送时间", null=True, blank=True)

    class Meta:
        ordering = ["-overdue", "due", "pk"]
        verbose_name = "提醒"
        verbose_name_plural = "提醒"
        constraints = [models.UniqueConstraint(fields=["staff", "key"], name="reminder_unique_key")]
        indexes = [models.Index(fields=["staff", "done_at"], name="reminder_open")]

    def __str__(self) -> str:
        return self.title


class StatCell(models.Model):
    """One pre-aggregated figure of the statistics: a count or sum for one agency, month, section and
    (where the figure has one) officer or category. Rebuilt from the source tables by
    `statistics.statistics_refresh`; never edited by hand."""

    agency = models.ForeignKey("org.Agency", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    section = models.ForeignKey("org.Section", on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    officer = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    key = models.CharField("指标", max_length=40)
    dim = models.CharField("分类", max_length=120, blank=True)
    label = models.CharField("分类名称", max_length=300, blank=True)
    value = models.DecimalField("数值", max_digits=24, decimal_places=2)
    total = models.BigIntegerField("基数", null=True, blank=True)

    class Meta:
        verbose_name = "统计汇总"
        verbose_name_plural = "统计汇总"
        indexes = [models.Index(fields=["agency", "year"], name="statcell_year")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month} {self.key} {self.value}"


class StatState(models.Model):
    """How many times an agency's counted facts have changed: a build older than this is stale."""

    agency = models.OneToOneField("org.Agency", on_delete=models.CASCADE, related_name="+")
    changes = models.BigIntegerField("变更次数", default=0)

    class Meta:
        verbose_name = "统计数据版本"
        verbose_name_plural = "统计数据版本"

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.changes}"


class StatBuild(models.Model):
    """When one agency's year of StatCells was last rebuilt, and from which version of the facts."""

    agency = models.ForeignKey("org.Agency", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    version = models.BigIntegerField("数据版本")
    built_at = models.DateTimeField("汇总时间")
    seconds = models.FloatField("用时（秒）", default=0)

    class Meta:
        verbose_name = "统计汇总记录"
        verbose_name_plural = "统计汇总记录"
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="statbuild_unique_year")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}"


class Challenge(models.Model):
    """A 行政复议 or 行政诉讼 against a matter's decision, and its result: what 复议诉讼败诉率 counts."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="+")
    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="challenges")
    kind = models.CharField("类别", max_length=20, choices=ChallengeKind.choices)
    body = models.CharField("复议机关或人民法院", max_length=100)
    filed_on = models.DateField("申请或起诉日期")
    result = models.CharField("结果", max_length=20, choices=ChallengeResult.choices, default=ChallengeResult.PENDING)
    decided_on = models.DateField("审结日期", null=True, blank=True)
    document = models.CharField("复议决定书或裁判文书文号", max_length=100, blank=True)
    recorded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    decided_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        ordering = ["-filed_on", "-pk"]
        verbose_name = "行政复议、诉讼"
        verbose_name_plural = "行政复议、诉讼"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result=ChallengeResult.PENDING, decided_on__isnull=True)
                | (~models.Q(result=ChallengeResult.PENDING) & models.Q(decided_on__isnull=False)),
                name="challenge_decided_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.matter_id}"

    @property
    def lost(self) -> bool:
        return self.result in LOST_RESULTS
