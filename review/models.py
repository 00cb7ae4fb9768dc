"""法制审核 models: one review of a matter's proposed major decision, from submission to 备案."""

from django.conf import settings
from django.db import models

from review.choices import Finding, LeaderDecision, Outcome, ReviewState


class LegalReview(models.Model):
    """重大行政执法决定法制审核: one submission of a matter and everything the review section did."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="legal_reviews")
    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="legal_reviews")
    transition = models.CharField("拟作出决定的环节", max_length=40, default="decide")
    state = models.CharField("状态", max_length=20, choices=ReviewState.choices)
    scope = models.JSONField("适用的审核目录条目", default=list, blank=True)
    application = models.JSONField("申请表内容", default=dict)
    situation = models.TextField("拟作决定的情况说明")
    draft_decision = models.TextField("拟作出的决定书文本")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("送审时间")
    # The clock (000 第十条): runs on working days from complete materials, paused while supplementing.
    clock_started_on = models.DateField("审核期限起算日", null=True, blank=True)
    days_used = models.PositiveIntegerField("已用工作日（补正前）", default=0)
    due = models.DateTimeField("审核期限届满", null=True, blank=True)
    due_provisional = models.BooleanField("期限暂定", default=False)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    extended_at = models.DateTimeField("延长批准时间", null=True, blank=True)
    extension_reason = models.CharField("延长理由", max_length=300, blank=True)
    # 第十二条: the leader approves, or the leaders decide collectively where the section disagrees.
    leader_decision = models.CharField(
        "领导决定", max_length=10, choices=LeaderDecision.choices, blank=True
    )
    leader_collective = models.BooleanField("局领导集体讨论决定", default=False)
    leader_note = models.TextField("领导意见", blank=True)
    leader_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    leader_at = models.DateTimeField("领导决定时间", null=True, blank=True)
    filed_step = models.ForeignKey(
        "matters.Step", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    filed_at = models.DateTimeField("备案时间", null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = "法制审核"
        verbose_name_plural = "法制审核"
        indexes = [models.Index(fields=["agency", "state"])]

    def __str__(self) -> str:
        return f"法制审核：{self.matter.title}"

    @property
    def passed(self) -> bool:
        return self.state in (ReviewState.PASSED, ReviewState.FILED)


class ReviewMaterial(models.Model):
    """One item of the submitted materials (000 第五条), with the vault records that make it up."""

    review = models.ForeignKey("review.LegalReview", on_delete=models.CASCADE, related_name="materials")
    item = models.CharField("材料", max_length=200)
    note = models.TextField("说明", blank=True)
    records = models.ManyToManyField("records.Record", related_name="+", blank=True)
    added_at = models.DateTimeField("提交时间")

    class Meta:
        ordering = ["pk"]
        verbose_name = "送审材料"
        verbose_name_plural = "送审材料"

    def __str__(self) -> str:
        return self.item


class SupplementRequest(models.Model):
    """材料补正 (000 第八条): the items to add by a date; the clock stops until they are in."""

    review = models.ForeignKey("review.LegalReview", on_delete=models.CASCADE, related_name="supplements")
    items = models.JSONField("需补正的材料")
    note = models.TextField("补正要求", blank=True)
    supply_by = models.DateField("补正期限")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("要求时间")
    supplied_at = models.DateTimeField("补齐时间", null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "材料补正"
        verbose_name_plural = "材料补正"

    def __str__(self) -> str:
        return "、".join(self.items)


class ReviewerAssignment(models.Model):
    """A reviewer of one review; the first (初审) reviewer must hold the legal-profession qualification."""

    review = models.ForeignKey("review.LegalReview", on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first = models.BooleanField("初审人员", default=False)
    no_interest_declared = models.BooleanField("已声明无利害关系", default=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField("指派时间")

    class Meta:
        ordering = ["-first", "pk"]
        verbose_name = "审核人员"
        verbose_name_plural = "审核人员"
        constraints = [
            models.UniqueConstraint(fields=["review", "reviewer"], name="review_assignment_unique"),
            models.UniqueConstraint(
                fields=["review"], condition=models.Q(first=True), name="review_one_first_reviewer"
            ),
        ]

    def __str__(self) -> str:
        return str(self.reviewer)


class ChecklistFinding(models.Model):
    """One of the checks of the pack's checklist (000 第七条) with its finding."""

    review = models.ForeignKey("review.LegalReview", on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveSmallIntegerField("序号")
    item = models.CharField("审核内容", max_length=200)
    finding = models.CharField("结论", max_length=10, choices=Finding.choices)
    note = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = "审核内容"
        verbose_name_plural = "审核内容"
        constraints = [
            models.UniqueConstraint(fields=["review", "position"], name="review_finding_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.item}"


class ReviewOpinion(models.Model):
    """审核意见 (000 第九条), decided collectively (科务会), and its 意见书 (第十一条, 附件2)."""

    review = models.OneToOneField("review.LegalReview", on_delete=models.PROTECT, related_name="opinion")
    outcome = models.CharField("审核意见类型", max_length=30, choices=Outcome.choices)
    opinion = models.TextField("审查意见")
    suggestions = models.JSONField("意见建议", default=list, blank=True)
    adviser = models.CharField("法律顾问、专家", max_length=200, blank=True)
    meeting_on = models.DateField("科务会日期", null=True, blank=True)
    meeting_participants = models.TextField("科务会参加人员", blank=True)
    meeting_minutes = models.TextField("科务会研究记录", blank=True)
    instrument = models.ForeignKey(
        "matters.Instrument", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    copies = models.JSONField("意见书份数及去向", default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("出具时间")

    class Meta:
        verbose_name = "审核意见"
        verbose_name_plural = "审核意见"

    def __str__(self) -> str:
        return self.get_outcome_display()
