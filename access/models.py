"""记录信息调阅: access requests, the documents presented, approvals, accompanied viewing, evidence
copies, the 刻盘存储记录表, exports and long-term keeping marks."""

from django.db import models
from django.db.models import Q

from access.choices import Action, KeepReason, Medium, Proceedings, RequesterKind, RequestState


class AccessRequest(models.Model):
    """调阅申请 — one request to view, copy or borrow records, with who asks, why, for which
    records and when (000 记录信息调阅监督制度第五至八条; 003 附件4)."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="access_requests")
    number = models.CharField("调阅编号", max_length=20)
    requester_kind = models.CharField("申请人类别", max_length=20, choices=RequesterKind.choices)
    action = models.CharField("调阅方式", max_length=10, choices=Action.choices)
    requester_staff = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        related_name="access_requests",
        null=True,
        blank=True,
        verbose_name="申请人（本局人员）",
    )
    requester_name = models.CharField("申请人", max_length=30)
    requester_org = models.CharField("申请单位", max_length=100, blank=True)
    requester_id_number = models.CharField("证件号码", max_length=40, blank=True)
    purpose = models.CharField("调阅事由", max_length=300)
    handling_section = models.ForeignKey(
        "org.Section", on_delete=models.PROTECT, related_name="access_requests", verbose_name="承办科室"
    )
    matter = models.ForeignKey(
        "matters.Matter",
        on_delete=models.PROTECT,
        related_name="access_requests",
        null=True,
        blank=True,
        verbose_name="执法事项",
    )
    records = models.ManyToManyField(
        "records.Record", related_name="access_requests", verbose_name="调阅记录"
    )
    period_start = models.DateTimeField("调阅期起")
    period_end = models.DateTimeField("调阅期止")
    proceedings = models.CharField(
        "复议诉讼情况", max_length=20, choices=Proceedings.choices, default=Proceedings.NONE
    )
    state = models.CharField(
        "状态", max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    approver_role = models.CharField("审批人", max_length=20, help_text="the pack's approver role, or none")
    rule_note = models.CharField("规定", max_length=300, blank=True)
    rule_citation = models.CharField("依据", max_length=300, blank=True)
    decided_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name="审批人"
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)
    lent_at = models.DateTimeField("借出时间", null=True, blank=True)
    returned_at = models.DateTimeField("归还时间", null=True, blank=True)
    return_note = models.CharField("归还情况", max_length=300, blank=True)
    posted_at = models.DateTimeField("寄送时间", null=True, blank=True)
    posting_note = models.CharField("寄送情况", max_length=200, blank=True)
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("申请时间")

    class Meta:
        verbose_name = "调阅申请"
        verbose_name_plural = "调阅申请"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="access_request_unique_number"),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="access_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values), name="access_request_known_state"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PresentedDocument(models.Model):
    """申请材料 — a scan of a document the requester presented (介绍信, 工作证, 身份证件, 营业执照,
    授权委托书, 律师函, 律师执业证 …), stored write-once in the records vault under its SHA-256."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.PROTECT, related_name="documents", verbose_name="调阅申请"
    )
    kind = models.CharField("材料", max_length=60)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField("大小（字节）")
    original_name = models.CharField("文件名", max_length=255)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["request", "pk"]

    def __str__(self) -> str:
        return self.kind


class ViewingSession(models.Model):
    """调阅场次 — one accompanied viewing: the records manager who watches over it (000 记录信息调阅
    监督制度第九条), when it opened and closed. Every record viewed inside it is a ledger event."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.PROTECT, related_name="sessions", verbose_name="调阅申请"
    )
    manager = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="陪同的记录信息管理人员"
    )
    place = models.CharField("调阅地点", max_length=100, blank=True)
    opened_at = models.DateTimeField("开始时间")
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    closing_note = models.CharField("结束情况", max_length=300, blank=True)

    class Meta:
        verbose_name = "调阅场次"
        verbose_name_plural = "调阅场次"
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(closed_at__isnull=True), name="access_one_open_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} 场次{self.pk}"


class EvidenceCopy(models.Model):
    """证据复制件 — a copy of one stored file for use as evidence, with its 说明: who made it, who
    extracted it, when, and what it proves (000 执法音像记录管理制度第十六条; 003 附件3 第十四条),
    and the fee charged (003 附件4 第十一条: copying at the applicant's cost)."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.PROTECT, related_name="copies", verbose_name="调阅申请"
    )
    version = models.ForeignKey(
        "records.RecordVersion", on_delete=models.PROTECT, related_name="+", verbose_name="记录版本"
    )
    medium = models.CharField("载体", max_length=10, choices=Medium.choices)
    maker = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="制作人")
    extractor = models.CharField("提取人", max_length=30)
    extracted_at = models.DateTimeField("提取时间")
    proves = models.CharField("证明对象", max_length=200, blank=True)
    fee = models.DecimalField("复制费用（元）", max_digits=8, decimal_places=2, default=0)
    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "证据复制件"
        verbose_name_plural = "证据复制件"
        ordering = ["request", "pk"]
        constraints = [models.CheckConstraint(condition=Q(fee__gte=0), name="access_copy_fee_not_negative")]

    def __str__(self) -> str:
        return f"{self.version} 复制件"


class DiscLog(models.Model):
    """执法音像记录设备摄录内容刻盘存储记录表 (003 附件3 第九条): the place, the signatures of
    everyone who handled the case and the approval of the head of the department. The officers,
    times, devices, formats and lengths come from the stored files when the table is printed."""

    request = models.OneToOneField(
        "access.AccessRequest", on_delete=models.PROTECT, related_name="disc_log", verbose_name="调阅申请"
    )
    place = models.CharField("摄录地点", max_length=200)
    signers = models.JSONField("办案人员签名", default=list)
    approved_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="主要负责人"
    )
    approved_at = models.DateTimeField("签字时间")

    class Meta:
        verbose_name = "刻盘存储记录表"
        verbose_name_plural = "刻盘存储记录表"

    def __str__(self) -> str:
        return f"{self.request} 刻盘存储记录表"


class Export(models.Model):
    """证据包 — a BagIt bag burned to an ISO 9660/Joliet/UDF image; the disc's SHA-256 is kept here
    and in the ledger."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.PROTECT, related_name="exports", verbose_name="调阅申请"
    )
    package_number = models.CharField("证据包编号", max_length=32)
    iso_sha256 = models.CharField("光盘映像 SHA-256", max_length=64)
    iso_size = models.BigIntegerField("光盘映像大小（字节）")
    files = models.PositiveIntegerField("文件数")
    checkpoint_size = models.PositiveBigIntegerField("检查点大小")
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField("导出时间")

    class Meta:
        verbose_name = "证据包"
        verbose_name_plural = "证据包"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.package_number


class KeepMark(models.Model):
    """长期保存标记 — a record to be kept long-term on disc (003 附件3 第十条); the archive applies
    the retention."""

    record = models.OneToOneField(
        "records.Record", on_delete=models.PROTECT, related_name="keep_mark", verbose_name="记录"
    )
    reason = models.CharField("情形", max_length=20, choices=KeepReason.choices)
    note = models.CharField("说明", max_length=300, blank=True)
    marked_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="标记人"
    )
    marked_at = models.DateTimeField("标记时间")

    class Meta:
        verbose_name = "长期保存标记"
        verbose_name_plural = "长期保存标记"

    def __str__(self) -> str:
        return f"{self.record} {self.get_reason_display()}"
