"""掌上执法: the 检查码 an inspection carries, the enterprise's rating of it, and the verification
code printed on every 文书."""

from django.conf import settings
from django.db import models

from field.choices import RatingScore, SendState, SyncState


class InspectionCode(models.Model):
    """检查码: the code an inspection matter gets before it starts (扫码入企). The officer shows it;
    the enterprise scans it and sees on the portal who inspects, on which item and basis."""

    matter = models.OneToOneField("matters.Matter", on_delete=models.PROTECT, related_name="inspection_code")
    token = models.CharField("检查码", max_length=43, unique=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("生成时间")

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = "检查码"
        verbose_name_plural = "检查码"

    def __str__(self) -> str:
        return f"检查码：{self.matter}"


class InspectionRating(models.Model):
    """The enterprise's rating of an inspection, given through its 检查码 after the inspection
    (涉企检查评价); it goes to supervision."""

    code = models.OneToOneField("field.InspectionCode", on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField("评价", choices=RatingScore.choices)
    comment = models.CharField("意见", max_length=500, blank=True)
    rated_at = models.DateTimeField("评价时间")

    class Meta:
        ordering = ["-rated_at", "-pk"]
        verbose_name = "检查评价"
        verbose_name_plural = "检查评价"
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="inspection_rating_score_range")
        ]

    def __str__(self) -> str:
        return f"{self.code.matter}：{self.get_score_display()}"


class InstrumentCheck(models.Model):
    """文书核验码: the random token in the QR code printed on a 文书's PDF. The code cannot carry the
    SHA-256 of the very file it is printed in, so it carries the address of the verification page,
    which shows the number and the SHA-256 registered when the PDF was issued."""

    instrument = models.OneToOneField("matters.Instrument", on_delete=models.PROTECT, related_name="verification")
    token = models.CharField("核验码", max_length=32, unique=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "文书核验码"
        verbose_name_plural = "文书核验码"

    def __str__(self) -> str:
        return f"核验码：{self.instrument}"


class SignatureBinding(models.Model):
    """现场签名: a signature drawn on the screen (its image a record in the vault, on the matters
    Signature) bound to the SHA-256 of the exact 文书 it signs. A 文书 changed afterwards no longer
    matches, and needs new signatures (001 第七条、第十条)."""

    signature = models.OneToOneField("matters.Signature", on_delete=models.PROTECT, related_name="binding")
    content_sha256 = models.CharField("所签文书内容SHA-256", max_length=64)
    pdf_sha256 = models.CharField("所签文书PDF SHA-256", max_length=64)
    signed_at = models.DateTimeField("签名时间（设备）")
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "现场签名"
        verbose_name_plural = "现场签名"

    def __str__(self) -> str:
        return str(self.signature)


class SyncItem(models.Model):
    """离线同步项: one piece of work done on a phone, sent under its idempotency key. The same key
    sent again gets the stored answer and changes nothing; the device's own time is kept."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="field_sync_items")
    key = models.CharField("幂等键", max_length=64)
    kind = models.CharField("类型", max_length=30)
    state = models.CharField("结果", max_length=10, choices=SyncState.choices)
    result = models.JSONField("同步结果", default=dict)
    message = models.CharField("说明", max_length=500, blank=True)
    device_time = models.DateTimeField("设备时间", null=True, blank=True)
    received_at = models.DateTimeField("接收时间")

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = "离线同步项"
        verbose_name_plural = "离线同步项"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="field_sync_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class ElectronicSend(models.Model):
    """电子送达发送尝试: one attempt to send a 文书 to the party by e-mail. Recorded before its message
    (.eml) is stored or handed to the mail server, so that the exact message, its Message-ID and its
    SHA-256 are known whatever happens next; the outcome is recorded after the mail server answers.
    An attempt left without an outcome is settled honestly by `zhifa field settle`: never as served."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey("matters.Instrument", on_delete=models.PROTECT, related_name="electronic_sends")
    address = models.ForeignKey("matters.ServiceAddress", on_delete=models.PROTECT, related_name="+")
    to = models.CharField("收件地址", max_length=100)
    # RFC 5322 2.1.1: no header line is longer than 998 characters
    message_id = models.CharField("Message-ID", max_length=998, unique=True)
    eml_sha256 = models.CharField("邮件SHA-256", max_length=64)
    eml_size = models.PositiveBigIntegerField("邮件大小")
    pdf_sha256 = models.CharField("文书PDF SHA-256", max_length=64)
    sent_record = models.OneToOneField(
        "records.Record", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="发送记录"
    )
    state = models.CharField("状态", max_length=10, choices=SendState.choices, default=SendState.PREPARED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("开始时间")
    settled_at = models.DateTimeField("结果登记时间", null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = "电子送达发送尝试"
        verbose_name_plural = "电子送达发送尝试"
        indexes = [models.Index(fields=["state", "started_at"], name="field_esend_state_started")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="prepared") | models.Q(state="abandoned") | models.Q(sent_record__isnull=False),
                name="field_esend_filed_before_handed_over",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument}：{self.to}（{self.get_state_display()}）"
