"""执法监督 by the supervisor's own hand: AV spot checks, 案卷评查 and 执法过错 (issue 16 items 2-4).
Imported by supervision/models.py."""

from django.db import models

from supervision.choices import FaultKind, SpotCheckState


class SpotCheck(models.Model):
    """音像记录抽查 — the supervisor draws a proportion of a period's recordings at random (003 附件3
    第十六条). As in 双随机, the seed's SHA-256 is published first, the recordings of the period are
    fixed when the draw runs, and the seed is shown with the result so anyone can redo the draw."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="spot_checks")
    title = models.CharField("抽查名称", max_length=100)
    period_start = models.DateField("抽查期间起")
    period_end = models.DateField("抽查期间止")
    state = models.CharField("状态", max_length=10, choices=SpotCheckState.choices, default=SpotCheckState.COMMITTED)
    proportion = models.DecimalField("抽查比例（%）", max_digits=5, decimal_places=2)
    basis = models.CharField("依据", max_length=300)
    seed = models.CharField("随机种子", max_length=64, help_text="抽取前不公开")
    seed_sha256 = models.CharField("随机种子的SHA-256承诺值", max_length=64)
    inputs = models.JSONField("抽取输入", default=dict, blank=True)
    inputs_sha256 = models.CharField("抽取输入的SHA-256", max_length=64, blank=True)
    result = models.JSONField("抽取结果", default=dict, blank=True)
    committed_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name="抽查人"
    )
    committed_at = models.DateTimeField("承诺时间")
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)

    class Meta:
        ordering = ["-committed_at", "-pk"]
        verbose_name = "音像记录抽查"
        verbose_name_plural = "音像记录抽查"
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="spotcheck_period"),
        ]

    def __str__(self) -> str:
        return self.title


class SpotCheckItem(models.Model):
    """One drawn recording and the supervisor's answers to the three questions, with notes."""

    spot_check = models.ForeignKey("supervision.SpotCheck", on_delete=models.PROTECT, related_name="items")
    position = models.PositiveIntegerField("序号")
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="spot_check_items")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="spot_check_items")
    officers = models.ManyToManyField("org.Staff", related_name="spot_check_items", blank=True,
                                      verbose_name="执法人员")
    recorded = models.BooleanField("规定事项已音像记录", null=True, blank=True)
    continuous = models.BooleanField("全过程不间断记录", null=True, blank=True)
    handled = models.BooleanField("移交、存储、管理和使用符合规定", null=True, blank=True)
    note = models.TextField("检查情况", blank=True)
    answered_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name="检查人"
    )
    answered_at = models.DateTimeField("检查时间", null=True, blank=True)

    class Meta:
        ordering = ["spot_check", "position"]
        verbose_name = "抽查的音像记录"
        verbose_name_plural = "抽查的音像记录"
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "record"], name="spotcheckitem_unique_record"),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check} #{self.position}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def passed(self) -> bool | None:
        if not self.answered:
            return None
        return bool(self.recorded and self.continuous and self.handled)


class CaseReview(models.Model):
    """案卷评查 — one supervisor's scoring of one closed (archived) case file against the pack's
    scoring sheet, kept with the sheet as it was."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="case_reviews")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="case_reviews")
    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="case_reviews")
    case_file = models.ForeignKey(
        "archive.CaseFile", on_delete=models.PROTECT, related_name="reviews", null=True, blank=True
    )
    year = models.PositiveSmallIntegerField("评查年度")
    sheet = models.JSONField("评分表", default=list)
    scores = models.JSONField("各项得分", default=dict)
    notes = models.JSONField("各项说明", default=dict, blank=True)
    vetoed = models.JSONField("不符合的基本标准", default=list, blank=True)
    total = models.PositiveSmallIntegerField("得分")
    full_marks = models.PositiveSmallIntegerField("满分")
    pass_mark = models.PositiveSmallIntegerField("合格分数线")
    passed = models.BooleanField("合格")
    basis = models.CharField("依据", max_length=300)
    comment = models.TextField("评查意见", blank=True)
    reviewed_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="评查人")
    reviewed_at = models.DateTimeField("评查时间")

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        verbose_name = "案卷评查"
        verbose_name_plural = "案卷评查"
        constraints = [
            models.UniqueConstraint(fields=["matter", "year"], name="casereview_once_a_year"),
            models.CheckConstraint(condition=models.Q(total__lte=models.F("full_marks")), name="casereview_total"),
        ]
        indexes = [models.Index(fields=["agency", "year"], name="casereview_year")]

    def __str__(self) -> str:
        return f"{self.matter} {self.year}"


class Fault(models.Model):
    """执法过错 — a fault of an officer in recording, keeping or using records, the measures taken
    and the 责令限期整改 (003 附件3 第十七、十八条; 000 全过程记录制度第二十二条; 001 第三十条).
    停止执法工作 stops the officer's assignments from `suspension_start` to `suspension_end`."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="faults")
    officer = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="faults", verbose_name="执法人员")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="faults", null=True, blank=True)
    kind = models.CharField("过错行为", max_length=12, choices=FaultKind.choices)
    facts = models.TextField("事实")
    occurred_on = models.DateField("发生日期")
    records = models.ManyToManyField("records.Record", related_name="faults", blank=True, verbose_name="相关记录")
    matters = models.ManyToManyField("matters.Matter", related_name="faults", blank=True, verbose_name="相关事项")
    measures = models.JSONField("追究方式", default=list)
    suspension_start = models.DateField("停止执法工作起", null=True, blank=True)
    suspension_end = models.DateField("停止执法工作止", null=True, blank=True)
    rectification = models.CharField("责令整改内容", max_length=500, blank=True)
    rectification_due = models.DateField("整改期限", null=True, blank=True)
    basis = models.CharField("依据", max_length=300)
    recorded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = "执法过错"
        verbose_name_plural = "执法过错"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(suspension_start__isnull=True, suspension_end__isnull=True)
                | models.Q(suspension_end__gte=models.F("suspension_start")),
                name="fault_suspension_period",
            ),
        ]
        indexes = [models.Index(fields=["agency", "suspension_end"], name="fault_suspension")]

    def __str__(self) -> str:
        return f"执法过错记录第{self.pk}号"

    @property
    def number(self) -> str:
        return f"执法过错记录第{self.pk}号"

    def measure_labels(self) -> list[str]:
        from supervision.choices import FaultMeasure

        return [FaultMeasure(m).label for m in self.measures if m in FaultMeasure.values]
